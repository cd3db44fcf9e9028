import ArgumentParser
import Foundation
import Statements
import Threadline

extension RootCommand {
    struct Init: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a ledger and its operator key; print the operator's verifier key.",
            discussion: """
                The operator key (the checkpoint signer, named after the origin) is written with mode 0600 to \
                --operator-key, or beside the ledger as <ledger>.operator-key. Neither may exist yet.
                """)

        @OptionGroup var options: LedgerOptions

        @Option(help: ArgumentHelp("The log's origin, e.g. ledger.example.com/acme.", valueName: "origin"))
        var origin: String

        func run() async throws {
            try await reportingFailures {
                let location = try options.location
                guard let keyPath = options.operatorKey ?? location.defaultOperatorKeyPath else {
                    throw ValidationError("--operator-key is required for this ledger location")
                }
                let key: SigningKey
                do { key = try SigningKey(generatingWithName: origin) } catch {
                    throw CommandFailure(
                        CommandFailure.inputRefused,
                        "origin '\(origin)' cannot name a key: it must be printable ASCII without spaces, '+', '\"' or '\\'"
                    )
                }
                let metadata = Ledger.metadata(operatorKey: key)
                if case .sqlite(let path) = location, FileManager.default.fileExists(atPath: path) {
                    throw CommandFailure(
                        CommandFailure.ledgerUnavailable, "\(path) already exists; a new ledger needs a new location")
                }
                try StateFile.writeSecret(key.fileContents, to: keyPath)
                do { _ = try await location.create(metadata: metadata) } catch {
                    try? FileManager.default.removeItem(atPath: keyPath)
                    throw error
                }
                Output.line(metadata.operatorKey)
            }
        }
    }
}
