import ArgumentParser
import EPCIS
import Foundation
import GS1Identifiers
import LedgerRules
import Participants
import Threadline
import TransparencyLog

extension RootCommand {
    struct Trace: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a product's journey, stage by stage, from the ledger.",
            discussion: """
                CODE is a GS1 Digital Link (any domain), an EPC URN, or a GTIN with --lot or --serial. The \
                journey holds the product's own events, those of the cartons and pallets it travelled in while \
                it was in them, and those of the materials it was made from, back to the raw material — each \
                with who, what, where, when, certifications and its ledger record. Specs/11-trace.md.
                """)

        @OptionGroup var target: TargetOptions

        @OptionGroup var reader: ReaderOptions

        @Argument(help: ArgumentHelp("The product's code.", valueName: "code"))
        var code: String

        @Option(help: ArgumentHelp("With a bare GTIN: the batch/lot.", valueName: "lot"))
        var lot: String?

        @Option(help: ArgumentHelp("With a bare GTIN: the serial number.", valueName: "serial"))
        var serial: String?

        @Flag(help: "One line per step (the consumer's view) instead of every detail.")
        var brief = false

        @Flag(help: "Print JSON.")
        var json = false

        func run() async throws {
            try await reportingFailures {
                let identifier = try Trace.identifier(code, lot: lot, serial: serial)
                let journey: Journey
                let registry: Registry
                switch try target.target(reader: try reader.load()) {
                case .local(let options):
                    let ledger = try await options.open()
                    journey = try await ledger.trace(identifier)
                    (registry, _) = try await ledger.registry()
                case .remote(let remote):
                    (journey, registry) = try await remote.trace(identifier)
                }
                if json { return try Output.json(JourneyJSON(journey)) }
                let lines = brief ? JourneyText.brief(journey) : JourneyText.lines(journey, registry: registry)
                for line in lines { Output.line(line) }
                if journey.steps.isEmpty { throw ExitCode(CommandFailure.notFound) }
            }
        }

        /// The identifier to trace: a code as given, or a GTIN made precise with a lot or serial.
        static func identifier(_ code: String, lot: String?, serial: String?) throws -> String {
            let trimmed = code.trimmingCharacters(in: .whitespaces)
            guard lot != nil || serial != nil else {
                if trimmed.contains(":") { return trimmed }
                throw CommandFailure(
                    CommandFailure.inputRefused,
                    "a bare GTIN names a product class, not a product: add --lot or --serial")
            }
            let gtin = try GTIN(trimmed)
            return DigitalLink(.product(gtin: gtin, lot: lot, serial: serial)).uri
        }
    }

    struct Events: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Find recorded EPCIS events with EPCIS query parameters.",
            discussion: """
                Each PARAM is NAME=VALUE; a value may list alternatives separated by commas. Names: MATCH_epc, \
                MATCH_anyEPC, MATCH_epcClass, EQ_bizStep, EQ_disposition, EQ_bizLocation, EQ_readPoint, \
                eventType, EQ_action, GE_eventTime, LT_eventTime, perPage, nextPageToken. Prints one line per \
                event (record, time, type, business step, what); --json prints an EPCISQueryDocument holding \
                the events exactly as recorded. Through a server (--server, --remote), the events the reader may \
                see, each proved in the log. Specs/11-trace.md §3.
                """)

        @OptionGroup var target: TargetOptions

        @OptionGroup var reader: ReaderOptions

        @Argument(help: ArgumentHelp("Query parameters, NAME=VALUE.", valueName: "param"))
        var parameters: [String] = []

        @Flag(help: "Print an EPCISQueryDocument.")
        var json = false

        func run() async throws {
            try await reportingFailures {
                let pairs = try Events.pairs(parameters)
                let query = try Events.query(pairs)
                let page: EventPage
                switch try target.target(reader: try reader.load()) {
                case .local(let options): page = try await options.open().page(query)
                case .remote(let remote): page = try await remote.events(pairs)
                }
                if json {
                    let now = Timestamp.format(millis: Int64(Date().timeIntervalSince1970 * 1000))
                    return Output.jsonLine(try EventQuery.document(page, creationDate: now).serialized)
                }
                for recorded in page.events { Output.line(JourneyText.summary(recorded)) }
                if let next = page.next { Output.note("threadline: more events: add nextPageToken=\(next)") }
            }
        }

        static func pairs(_ parameters: [String]) throws -> [(String, String)] {
            try parameters.map { parameter -> (String, String) in
                guard let equals = parameter.firstIndex(of: "=") else {
                    throw ValidationError("'\(parameter)' is not NAME=VALUE")
                }
                return (String(parameter[..<equals]), String(parameter[parameter.index(after: equals)...]))
            }
        }

        /// The query `pairs` make (checked here, before any server is asked).
        static func query(_ pairs: [(String, String)]) throws -> EventQuery {
            do { return try EventQuery(parameters: pairs) } catch let error as any CodedError {
                throw ValidationError(error.reason)
            }
        }
    }

    struct Reindex: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rebuild the derived index (identifiers, event hashes, registry) from the log.",
            discussion: "The log is the truth; the index only speeds up queries. Shows progress on a terminal.")

        @OptionGroup var options: LedgerOptions

        func run() async throws {
            try await reportingFailures {
                let ledger = try await options.open()
                let size = try await ledger.reindex { done, total in Output.progress("indexing", done, total) }
                Output.line("indexed \(size) records")
            }
        }
    }
}
