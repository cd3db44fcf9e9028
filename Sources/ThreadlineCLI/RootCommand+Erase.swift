import ArgumentParser
import Foundation
import Threadline

extension RootCommand {
    struct Erase: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Erase a sealed record's disclosures (all, or one field's); the log is untouched.",
            discussion: """
                Deletes the disclosures from beside the log and records an erasure statement, signed by the \
                operator, naming the record and the erased digests (never the values) and why — in one \
                transaction. The log still verifies; reads and the audit show those fields as erased. A field \
                is named in the event as it now opens: member names separated by dots and list elements by \
                [index] (bizLocation, epcList[3], ilmd.example:grower). Operator only (the operator key). \
                Specs/23-sealed-events.md §7.
                """)

        @OptionGroup var options: LedgerOptions

        @Option(help: ArgumentHelp("The sealed record whose disclosures to erase.", valueName: "seq"))
        var record: Int64

        @Option(help: ArgumentHelp("Only this field (default: the whole event).", valueName: "path"))
        var field: String?

        @Option(
            help: ArgumentHelp("Why (recorded in the log; 1 to 1024 bytes, no control characters).", valueName: "text"))
        var reason: String

        @Flag(help: "Print a JSON summary.")
        var json = false

        func validate() throws {
            guard record >= 0 else { throw ValidationError("--record must be 0 or more.") }
        }

        struct Summary: Encodable {
            let erasure: Int64
            let record: Int64
            let digests: [String]
            let remainsEvent: Bool
        }

        func run() async throws {
            try await reportingFailures {
                let ledger = try await options.open(needsOperatorKey: true)
                let result = try await ledger.erase(record: record, field: field, reason: reason)
                if json {
                    try Output.json(
                        Summary(
                            erasure: result.seq, record: result.record, digests: result.digests,
                            remainsEvent: result.remainsEvent))
                } else {
                    Output.line(
                        "erased \(result.digests.count) disclosures of record \(result.record); the erasure is record "
                            + "\(result.seq)"
                            + (result.remainsEvent ? "" : "; what remains is no longer an event (read as opaque)"))
                }
            }
        }
    }
}
