import ArgumentParser
import Foundation
import LedgerStore
import Provenance
import Threadline
import TransparencyLog

extension RootCommand {
    struct Demo: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Build a small ledger of a T-shirt's supply chain and prove and audit it.",
            discussion: """
                Creates a ledger in a new temporary folder (or --dir), has five parties sign and append the \
                T-shirt's events, signs a checkpoint, proves one record, checks that proof offline, and audits \
                the whole ledger. The folder is kept so you can explore it with the other commands.
                """)

        @Option(help: ArgumentHelp("Build the demo ledger in this (new or empty) folder.", valueName: "dir"))
        var dir: String?

        func run() async throws {
            try await reportingFailures {
                Logs.bootstrap()
                let folder = try makeFolder()
                let ledgerPath = folder.appendingPathComponent("ledger.sqlite").path
                let operatorKey = try SigningKey(generatingWithName: DemoStory.origin)
                try Files.writeSecret(operatorKey.fileContents, to: ledgerPath + ".operator-key")
                let store = try SQLiteLedgerStore.create(
                    path: ledgerPath, metadata: Ledger.metadata(operatorKey: operatorKey))
                let ledger = try await Ledger(store: store, operatorKey: operatorKey, logger: Logs.ledger)

                Output.line("Threadline demo: a T-shirt from cotton bale to shop\n")
                Output.line("ledger    \(ledgerPath)")
                Output.line("operator  \(operatorKey.keyID)\n")
                try writeStory(to: folder)
                Output.line(
                    "events    \(folder.appendingPathComponent("events").path)/ (each party's test-only key in keys/)\n"
                )
                Output.line("Each party signs its EPCIS 2.0 event (DSSE, Ed25519) and the ledger appends it:")
                for step in DemoStory.steps {
                    let envelope = try Envelope(
                        signing: Array(step.payload.utf8), type: DemoStory.payloadType, with: step.party.key)
                    let seq = try await ledger.append([envelope]).lowerBound
                    let who = step.party.name.padding(toLength: 24, withPad: " ", startingAt: 0)
                    Output.line("  #\(seq)  \(who) \(step.summary)")
                }

                let checkpoint = try await ledger.checkpoint()
                Output.line("\nThe operator signs a checkpoint (C2SP tlog-checkpoint):\n")
                Output.raw(Data(checkpoint.encoded.utf8))

                let seq: Int64 = 2
                let proof = try await ledger.inclusionProof(seq)
                let entry = try await ledger.entry(seq)
                let proofPath = folder.appendingPathComponent("record-\(seq).tlog-proof")
                let entryPath = folder.appendingPathComponent("record-\(seq).entry")
                try Data(proof.encoded.utf8).write(to: proofPath)
                try Data(entry).write(to: entryPath)
                Output.line(
                    "\nA proof that record #\(seq) (the T-shirts being sewn) is in the log (C2SP tlog-proof):\n")
                Output.raw(Data(proof.encoded.utf8))

                Output.line("\nAnyone can check it offline, with only the proof, the record and the operator's key:")
                switch proof.verify(entry: entry, log: ledger.operatorVerifier) {
                case .valid(let body):
                    Output.line("  ok: record #\(seq) is in \(body.origin) at tree size \(body.size)")
                case .invalid(_, let why): Output.line("  FAIL: \(why)")
                }

                Output.line("\nThe audit re-checks every signature, the hash chain, every stored hash and checkpoint:")
                let report = await Auditor(store: store).run()
                if report.isSound {
                    Output.line(
                        "  ok: \(report.records) records, \(report.signatures) signatures, "
                            + "\(report.storedHashes) stored hashes, \(report.checkpoints) checkpoint(s)")
                } else {
                    for finding in report.findings { Output.line("  FAIL: \(finding)") }
                }

                Output.line("\nTry next:")
                Output.line("  threadline verify --ledger \(ledgerPath)")
                Output.line("  threadline entry --ledger \(ledgerPath) 2")
                Output.line(
                    "  threadline verify-proof \(proofPath.path) --vkey '\(operatorKey.keyID)' --entry \(entryPath.path)"
                )
                if !report.isSound { throw ExitCode(CommandFailure.verificationFailed) }
            }
        }

        /// The events and the parties' keys, so the story can be replayed by hand with `threadline append`.
        private func writeStory(to folder: URL) throws {
            let events = folder.appendingPathComponent("events")
            let keys = folder.appendingPathComponent("keys")
            try FileManager.default.createDirectory(at: events, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(at: keys, withIntermediateDirectories: true)
            for step in DemoStory.steps {
                try Data(step.payload.utf8).write(to: events.appendingPathComponent(step.file))
            }
            for party in DemoStory.parties {
                try Files.writeSecret(party.key.fileContents, to: keys.appendingPathComponent("\(party.name).key").path)
            }
        }

        private func makeFolder() throws -> URL {
            let fileManager = FileManager.default
            if let dir {
                let url = URL(fileURLWithPath: dir)
                if fileManager.fileExists(atPath: dir) {
                    guard (try? fileManager.contentsOfDirectory(atPath: dir))?.isEmpty == true else {
                        throw CommandFailure(CommandFailure.inputRefused, "'\(dir)' is not an empty folder")
                    }
                } else {
                    try fileManager.createDirectory(at: url, withIntermediateDirectories: true)
                }
                return url
            }
            let url = fileManager.temporaryDirectory.appendingPathComponent(
                "threadline-demo-\(UUID().uuidString.prefix(8))")
            try fileManager.createDirectory(at: url, withIntermediateDirectories: true)
            return url
        }
    }
}
