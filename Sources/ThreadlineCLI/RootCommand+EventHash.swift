import ArgumentParser
import EPCIS
import EPCISXML
import Foundation

extension RootCommand {
    struct EventHashCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "event-hash",
            abstract: "Print the CBV 2.0 event hash of each event in an EPCIS 2.0 document.",
            discussion: """
                FILE is an EPCIS document (EPCISDocument, EPCISQueryDocument, or one event) in EPCIS 2.0 \
                JSON-LD, EPCIS 2.0 XML or EPCIS 1.2 XML, told apart by content; or - for standard input. The \
                document is validated first; an invalid one exits 2 with every problem, each naming its field \
                (and, in XML, its line). Prints one ni:///sha-256;…?ver=CBV2.0 line per event, in document \
                order: an event has the same hash in every form. Specs/08-epcis.md describes the hash and §6 \
                the XML.
                """)

        @Argument(help: ArgumentHelp("The EPCIS document, or - for standard input.", valueName: "file"))
        var file: String

        @OptionGroup var reading: XMLReadingOptions

        @Flag(help: "Also print each event's pre-hash string (indented, on the line after its hash).")
        var prehash = false

        @Flag(help: "Print JSON: an array of {index, type, eventTime, hash, preHash}.")
        var json = false

        struct Line: Encodable {
            let index: Int
            let type: String
            let eventTime: String
            let hash: String
            let preHash: String
        }

        func run() async throws {
            try await reportingFailures {
                let document = try reading.document(try Files.read(file, what: "EPCIS document"))
                let lines = document.events.enumerated().map { index, event in
                    let preHash = EventHash.preHash(
                        of: event.json, context: event.context, ignoring: document.ignoredFields)
                    return Line(
                        index: index, type: event.kind.rawValue,
                        eventTime: Timestamp.format(millis: event.eventTime.millis),
                        hash: EventHash.uri(ofPreHash: preHash), preHash: preHash)
                }
                if json { return try Output.json(lines) }
                for line in lines {
                    Output.line(line.hash)
                    if prehash { Output.line("  " + line.preHash) }
                }
            }
        }
    }
}
