import ArgumentParser
import Foundation
import Threadline
import TransparencyLog

extension RootCommand {
    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Audit the whole ledger: signatures, hash chain, stored hashes, checkpoints.",
            discussion: """
                Exits 0 when sound. Otherwise exits 1 and names the first bad record and what is wrong with it, \
                then any further findings (up to \(Auditor.maxFindings)).
                """)

        @OptionGroup var options: LedgerOptions

        @Flag(help: "Print the report as JSON.")
        var json = false

        func run() async throws {
            try await reportingFailures {
                let store = try await options.location.open()
                let report = await Auditor(store: store).run { done, total in
                    Output.progress("verifying records", done, total)
                }
                if json {
                    try Output.json(report)
                } else if report.isSound {
                    Output.line(
                        "ok: \(report.records) records, \(report.signatures) signatures, "
                            + "\(report.storedHashes) stored hashes, \(report.checkpoints) checkpoints"
                            + (report.checkpointSize.map { " (latest size \($0))" } ?? ""))
                    if report.events + report.registryStatements + report.productStatements > 0 {
                        Output.line(
                            "    \(report.events) events and \(report.registryStatements) registry statements"
                                + (report.productStatements > 0
                                    ? " and \(report.productStatements) product statements" : "")
                                + " meet the ledger's rules; the index agrees for \(report.indexedRecords) records")
                    }
                    if report.sealedRecords > 0 {
                        Output.line(
                            "    \(report.sealedRecords) sealed records: \(report.disclosures) disclosures match their "
                                + "digests"
                                + (report.erasedDisclosures > 0 ? ", \(report.erasedDisclosures) erased" : ""))
                    }
                } else {
                    Output.line("FAIL: \(report.findings[0])")
                    for finding in report.findings.dropFirst() { Output.line("  also: \(finding)") }
                }
                if !report.isSound { throw ExitCode(CommandFailure.verificationFailed) }
            }
        }
    }

    struct VerifyProof: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify-proof",
            abstract: "Check a tlog-proof offline, with nothing but the files.",
            discussion: "Exits 0 when the entry is in the log the key signs for, 1 when not.")

        @Argument(help: ArgumentHelp("The .tlog-proof file.", valueName: "file"))
        var file: String

        @Option(help: ArgumentHelp("The log's verifier key, or a file holding it.", valueName: "vkey"))
        var vkey: String

        @Option(help: ArgumentHelp("The entry's exact bytes (as from 'threadline entry').", valueName: "entryfile"))
        var entry: String

        @OptionGroup var witnesses: WitnessOptions

        func run() async throws {
            try await reportingFailures {
                let proof = try TlogProof(parsing: try Files.readText(file, what: "proof"))
                let log = try Ed25519NoteVerifier(verifierKey: try Files.verifierKey(vkey))
                let witnessKeys = try witnesses.keys()
                let bytes = try Files.read(entry, what: "entry")
                switch proof.verify(entry: bytes, log: log, witnesses: witnessKeys, quorum: witnesses.quorum) {
                case .valid(let checkpoint):
                    Output.line("ok: entry \(proof.index) is in \(checkpoint.origin) at tree size \(checkpoint.size)")
                case .invalid(let failure, let why):
                    Output.line("FAIL: \(failure.rawValue): \(why)")
                    throw ExitCode(CommandFailure.verificationFailed)
                }
            }
        }
    }
}
