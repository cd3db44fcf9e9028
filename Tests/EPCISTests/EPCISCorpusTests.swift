import EPCIS
import Foundation
import Testing
import ThreadlineTestSupport

@Suite("EPCIS corpora")
struct EPCISCorpusTests {
    @Test("the corpora are where the tests expect them")
    func corporaPresent() {
        #expect(Corpus.hashExamples.count >= 22)
        #expect(Corpus.validDocuments.count >= 80)
        #expect(Corpus.invalidDocuments.count == 15)
    }

    @Test("each JSON-LD example gives exactly the hashes of its .hashes file", arguments: Corpus.hashExamples)
    func eventHashes(file: String) throws {
        let expected = String(decoding: try Corpus.bytes(Corpus.hashesFile(of: file)), as: UTF8.self)
            .split(whereSeparator: \.isNewline).map(String.init)
        let document = try EPCISDocument(parsing: try Corpus.bytes(file))
        let hashes = document.eventHashes
        #expect(hashes == expected)
    }

    @Test("Threadline's own textile events hash as the reference implementation hashes them")
    func ownVectors() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Specs/vectors")
        let expected = try String(contentsOf: root.appendingPathComponent("epcis-events.hashes"), encoding: .utf8)
            .split(whereSeparator: \.isNewline).map(String.init)
        let document = try EPCISDocument(
            parsing: try Data(contentsOf: root.appendingPathComponent("epcis-events.jsonld")))
        #expect(document.events.count == 5)
        #expect(document.eventHashes == expected)
    }

    @Test("each valid document parses and validates", arguments: Corpus.validDocuments)
    func validDocument(file: String) throws {
        let document = try EPCISDocument(parsing: try Corpus.bytes(file))
        #expect(!document.events.isEmpty)
        for event in document.events { #expect(event.hash().hasPrefix("ni:///sha-256;")) }
    }

    /// Each invalid document and the fields its refusal must name.
    static let invalid: [String: [String]] = [
        "Combination_of_events_with_missing_mandatory_fields.json": [
            "eventList[0].action", "eventList[1].action", "eventList[1].eventTimeZoneOffset",
        ],
        "Combination_of_multiple_invalid_fields.json": [
            "eventList[0].bizStep", "eventList[1].disposition", "eventList[2].sourceList[0].type",
            "eventList[3].ilmd.materialType", "eventList[4].eventTime", "eventList[4].action",
        ],
        "Combination_of_non_standard_bizStep_and_disposition.json": [
            "eventList[0].bizStep", "eventList[1].disposition",
        ],
        "EPCISDocument_without_context.json": ["@context"],
        "ObjectEvent_with_ilmd_field_without_namespace.json": ["eventList[0].ilmd.materialType"],
        "ObjectEvent_with_invalid_action.json": ["eventList[0].action"],
        "ObjectEvent_with_invalid_certificationInfo.json": ["eventList[0].certificationInfo[0]"],
        "ObjectEvent_with_invalid_eventTime_format.json": ["eventList[0].eventTime"],
        "ObjectEvent_with_non_standard_bizStep.json": ["eventList[0].bizStep"],
        "ObjectEvent_with_non_standard_bizStep_in_second_event.json": ["eventList[1].bizStep"],
        "ObjectEvent_with_non_standard_disposition.json": ["eventList[0].disposition"],
        "ObjectEvent_with_quantity_as_text.json": ["eventList[0].quantityList[0].quantity"],
        "ObjectEvent_with_unknown_field_in_quantityList.json": ["eventList[0].quantityList[0].weight"],
        "ObjectEvent_without_action_and_eventTime.json": ["eventList[0].action", "eventList[0].eventTime"],
        "ObjectEvent_without_identifier_list.json": ["eventList[0].epcList"],
    ]

    @Test("each invalid document is refused, naming the fields at fault", arguments: Corpus.invalidDocuments)
    func invalidDocument(file: String) throws {
        let name = String(file.split(separator: "/").last!)
        let fields = try #require(EPCISCorpusTests.invalid[name], "no expectation for \(name)")
        let error = try #require(throws: EPCISValidationError.self) {
            try EPCISDocument(parsing: try Corpus.bytes(file))
        }
        let paths = error.problems.map(\.path)
        for field in fields {
            #expect(paths.contains { $0.hasSuffix(field) }, "\(name): no problem names \(field); got \(paths)")
        }
        for problem in error.problems {
            let last = String(problem.path.split(separator: ".").last!.split(separator: "[").first!)
            #expect(problem.message.contains(last) || problem.path == "@context", "\(problem) does not name its field")
        }
    }
}
