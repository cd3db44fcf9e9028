import EPCIS
import EPCISCSV
import Foundation
import Participants
import Testing

/// `Specs/vectors/spreadsheets.json`: each step's CSV makes exactly the events the spec shows, with their hashes.
@Suite struct SpreadsheetVectorTests {
    static let vectors: JSONValue = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Specs/vectors/spreadsheets.json")
        // The spec's own file: it parses, or every test below fails on its absence.
        return (try? JSONValue(parsing: Array((try? Data(contentsOf: url)) ?? Data()))) ?? .null
    }()

    static var cases: [JSONValue] { vectors["cases"]?.elements ?? [] }

    @Test("every step has a vector")
    func everyStep() {
        #expect(Set(Self.cases.compactMap { $0["step"]?.stringValue }) == Set(SpreadsheetStep.allCases.map(\.rawValue)))
    }

    @Test("each vector's rows make its events and hashes", arguments: cases)
    func vector(_ vector: JSONValue) throws {
        let step = try #require(vector["step"]?.stringValue.flatMap(SpreadsheetStep.init(rawValue:)))
        let csv = try #require(vector["csv"]?.stringValue)
        // Places are GLNs: an empty registry names them all.
        let sheet = try Spreadsheet(Array(csv.utf8), step: step, registry: Registry(operatorKey: "vectors"))
        let events = try sheet.events.map { try $0.result.get() }
        #expect(events == vector["events"]?.elements)
        let document = try EPCISDocument(json: Spreadsheet.document(events, created: "2026-09-01T00:00:00Z"))
        #expect(document.eventHashes == vector["hashes"]?.elements?.compactMap(\.stringValue))
    }
}
