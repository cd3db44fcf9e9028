import ArgumentParser
import Foundation
import LedgerBackends
import Threadline

extension RootCommand {
    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy a ledger to a new location (SQLite ⇄ PostgreSQL) and show the copy is the same log.",
            discussion: """
                The destination must be new (a path that does not exist, or a database with no ledger). Every \
                stored hash is recomputed from the records; at the end sizes and roots are compared and the \
                latest checkpoint is verified against the copy. The source is only read. The operator key file \
                is not copied: keep using it with --operator-key.
                """)

        @Option(help: ArgumentHelp("The ledger to copy.", valueName: "location"))
        var from: String

        @Option(help: ArgumentHelp("The new ledger's location.", valueName: "location"))
        var to: String

        @Flag(help: "Print a JSON summary.")
        var json = false

        func run() async throws {
            try await reportingFailures {
                let source = try await LedgerLocation(from).open()
                let destination = try LedgerLocation(to)
                let summary = try await LedgerMigration.copy(
                    from: source, creating: { try await destination.create(metadata: $0) }
                ) { done, total in
                    Output.progress("copying records", done, total)
                }
                if json {
                    try Output.json(summary)
                } else {
                    Output.line(
                        "copied \(summary.records) records and \(summary.checkpoints) checkpoints; root \(summary.root)"
                            + (summary.checkpointSize.map { "; checkpoint \($0) verifies against the copy" } ?? ""))
                }
            }
        }
    }
}
