import ArgumentParser
import EPCIS
import EPCISXML
import Foundation

extension RootCommand {
    struct Convert: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Convert an EPCIS document between EPCIS 2.0 JSON-LD and EPCIS 2.0 XML.",
            discussion: """
                FILE is EPCIS 2.0 JSON-LD, EPCIS 2.0 XML or EPCIS 1.2 XML (told apart by content), or - for \
                standard input. It is read and validated as 'import' reads it (an invalid one exits 2 with \
                every problem) and written to standard output in EPCIS 2.0 --to jsonld (the form the ledger \
                signs) or --to xml (element order as the 2.0 schema has it). Every event keeps its CBV 2.0 \
                event hash: converting back and forth changes no hash. Specs/08-epcis.md §6–7.
                """)

        enum Target: String, ExpressibleByArgument, CaseIterable {
            case jsonld, xml
        }

        @Argument(help: ArgumentHelp("The EPCIS document, or - for standard input.", valueName: "file"))
        var file: String

        @Option(help: "The form to write: jsonld or xml.")
        var to: Target = .jsonld

        @Option(help: "The EPCIS version to write; 2.0 is the one there is.")
        var version = "2.0"

        @OptionGroup var reading: XMLReadingOptions

        func validate() throws {
            guard version == "2.0" || version == "2" else {
                throw ValidationError("--version \(version): Threadline writes EPCIS 2.0 (it reads 1.2)")
            }
        }

        func run() async throws {
            try await reportingFailures {
                let document = try reading.document(try Files.read(file, what: "EPCIS document"))
                switch to {
                case .jsonld: Output.jsonLine(document.json.indented)
                case .xml:
                    do { Output.jsonLine(try EPCISXMLWriter.document(document)) } catch let failure
                        as EPCISXMLWriter.Failure
                    {
                        throw CommandFailure(CommandFailure.inputRefused, failure.description)
                    }
                }
            }
        }
    }
}
