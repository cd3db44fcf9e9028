import ArgumentParser
import Foundation
import Threadline
import TransparencyLog

extension RootCommand {
    struct CheckpointCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "checkpoint",
            abstract: "Print the latest signed checkpoint, signing a new one if the log grew.",
            discussion: """
                Through a server (--server, --remote), the server's latest checkpoint once verified: signed by \
                the pinned key, cosigned by the quorum, and proved consistent with the one this client trusted \
                before (a rollback or fork is exit 1, with both kept as evidence). Specs/22-client.md.
                """)

        @OptionGroup var target: TargetOptions

        func run() async throws {
            try await reportingFailures {
                switch try target.target() {
                case .local(let options):
                    Output.raw(Data(try await options.open().checkpoint().encoded.utf8))
                case .remote(let remote):
                    Output.raw(Data(try await remote.latestCheckpoint().note.encoded.utf8))
                }
            }
        }
    }

    struct Prove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a tlog-proof of a record, or a consistency proof, against the latest checkpoint.",
            discussion: """
                With SEQ: a c2sp.org/tlog-proof@v1 for that record. With --consistency OLD: the RFC 9162 \
                consistency proof from tree size OLD to the latest checkpoint, one base64 hash per line. \
                A new checkpoint is signed first if the log grew. Through a server, the proof is checked \
                (against the record, for SEQ) before it is printed.
                """)

        @OptionGroup var target: TargetOptions

        @OptionGroup var reader: ReaderOptions

        @Argument(help: ArgumentHelp("The record's sequence number.", valueName: "seq"))
        var seq: Int64?

        @Option(help: ArgumentHelp("Prove consistency from this tree size instead.", valueName: "old"))
        var consistency: Int64?

        func validate() throws {
            guard (seq == nil) != (consistency == nil) else {
                throw ValidationError("Give either a sequence number or --consistency OLD.")
            }
        }

        func run() async throws {
            try await reportingFailures {
                switch try target.target(reader: try reader.load()) {
                case .local(let options):
                    let ledger = try await options.open()
                    if let seq {
                        Output.raw(Data(try await ledger.inclusionProof(seq).encoded.utf8))
                    } else if let consistency {
                        let size = try Checkpoint(text: try await ledger.checkpoint().text).size
                        for hash in try await ledger.consistencyProof(from: consistency, to: size) {
                            Output.line(hash.base64)
                        }
                    }
                case .remote(let remote):
                    if let seq {
                        Output.raw(Data(try await remote.provedRecord(seq).proof.encoded.utf8))
                    } else if let consistency {
                        for hash in try await remote.consistencyProof(from: consistency) { Output.line(hash.base64) }
                    }
                }
            }
        }
    }

    struct ExportTiles: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export-tiles",
            abstract: "Write the ledger as C2SP tlog-tiles: checkpoint, tile/…, tile/entries/….")

        @OptionGroup var options: LedgerOptions

        @Argument(help: ArgumentHelp("The output directory.", valueName: "dir"))
        var directory: String

        @Flag(help: "Print a JSON summary.")
        var json = false

        func run() async throws {
            try await reportingFailures {
                let ledger = try await options.open()
                let note = try await ledger.checkpoint()
                let summary = try await ledger.exportTiles(checkpoint: note, to: URL(fileURLWithPath: directory)) {
                    done, total in Output.progress("exporting tiles", Int64(done), Int64(total))
                }
                if json {
                    try Output.json(summary)
                } else {
                    Output.line(
                        "exported tree size \(summary.treeSize): \(summary.hashTiles) hash tiles, "
                            + "\(summary.entryBundles) entry bundles, checkpoint")
                }
            }
        }
    }
}
