import ArgumentParser
import Crypto
import Foundation
import LedgerBackends
import Statements
import Threadline
import TransparencyLog

#if canImport(Glibc)
    import Glibc
#endif

extension RootCommand {
    struct WitnessCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "witness",
            abstract: "Be a witness (C2SP tlog-witness), or ask witnesses to cosign this ledger's checkpoint.",
            discussion: """
                A witness keeps, per log, the latest checkpoint it cosigned (--state, updated atomically under a \
                lock) and cosigns a new one only if the log signed it and it is consistent with that one. \
                The log side: 'request' writes the add-checkpoint request, 'keep' stores the witness's \
                cosignatures with the checkpoint, so proofs and bundles carry them. Specs/15-witness.md.
                """,
            subcommands: [Key.self, AddCheckpoint.self, Request.self, Keep.self])

        struct Key: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Print the witness's cosignature verifier key (type 0x04) for its key file.")

            @Option(
                help: ArgumentHelp(
                    "The witness's private key file (from 'threadline key generate').", valueName: "file"))
            var key: String

            func run() async throws {
                try await reportingFailures { Output.line(try WitnessCommand.cosigner(key).verifier.verifierKey) }
            }
        }

        struct AddCheckpoint: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "add-checkpoint",
                abstract: "As a witness: check an add-checkpoint request and print the cosignature line.",
                discussion: """
                    Exit 0 with the cosignature on stdout; on a 409 conflict, the witness's size on stdout and exit \
                    2; other refusals (unknown log, bad signature, bad proof) exit 1 with the reason.
                    """)

            @Option(help: ArgumentHelp("The witness's private key file.", valueName: "file"))
            var key: String

            @Option(help: ArgumentHelp("The witness's state file (created if missing).", valueName: "file"))
            var state: String

            @Option(
                name: .customLong("log-vkey"),
                help: ArgumentHelp("A log key the witness trusts (repeat).", valueName: "vkey"))
            var logKeys: [String]

            @Argument(help: ArgumentHelp("The request body, or - for standard input.", valueName: "request"))
            var request: String = "-"

            func run() async throws {
                try await reportingFailures {
                    let witness = Witness(
                        cosigner: try WitnessCommand.cosigner(key),
                        logs: try logKeys.map { try Ed25519NoteVerifier(verifierKey: try Files.verifierKey($0)) })
                    let body = try WitnessRequest(parsing: try Files.readText(request, what: "request"))
                    let outcome = try StateFile.locked(state) { current in
                        let outcome = witness.addCheckpoint(
                            body, state: current, timestamp: UInt64(Date().timeIntervalSince1970))
                        if case .cosigned(_, let next) = outcome { return (outcome, next) }
                        return (outcome, nil)
                    }
                    switch outcome {
                    case .cosigned(let signature, _): Output.raw(Data(signature.line.utf8))
                    case .conflict(let size, let why):
                        Output.line(String(size))
                        Output.error("409 conflict: \(why)")
                        throw ExitCode(CommandFailure.inputRefused)
                    case .unknownOrigin(let why), .forbidden(let why), .badRequest(let why), .unprocessable(let why):
                        Output.error(why)
                        throw ExitCode(CommandFailure.verificationFailed)
                    }
                }
            }
        }

        struct Request: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Print the add-checkpoint request for this ledger's latest checkpoint.")

            @OptionGroup var options: LedgerOptions

            @Option(help: ArgumentHelp("The size the witness last cosigned (0 the first time).", valueName: "n"))
            var old: Int64 = 0

            func run() async throws {
                try await reportingFailures {
                    let ledger = try await options.open()
                    Output.raw(Data(try await ledger.witnessRequest(oldSize: old).encoded.utf8))
                }
            }
        }

        struct Keep: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Store a witness's cosignatures of the latest checkpoint in the ledger.")

            @OptionGroup var options: LedgerOptions

            @Option(
                name: .customLong("witness-vkey"),
                help: ArgumentHelp("The witness's cosignature key (repeat).", valueName: "vkey"))
            var witnesses: [String]

            @Argument(help: ArgumentHelp("The witness's response, or - for standard input.", valueName: "response"))
            var response: String = "-"

            func run() async throws {
                try await reportingFailures {
                    let ledger = try await options.open()
                    let names = try await ledger.addCosignatures(
                        try Files.readText(response, what: "witness response"),
                        witnesses: try witnesses.map(Files.cosignatureKey))
                    Output.line("kept cosignatures by \(names.joined(separator: ", "))")
                }
            }
        }

        /// A witness's cosigner from a key file in the signing-key format.
        static func cosigner(_ path: String) throws -> Cosigner {
            let key = try SigningKey(fileContents: try Files.readText(path, what: "witness key"))
            return try Cosigner(name: key.name, privateKey: key.noteSigner.privateKey)
        }
    }

    struct Monitor: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a ledger's latest checkpoint against the last one this monitor trusted.",
            discussion: """
                Reads the latest checkpoint from a ledger or, over HTTP, from its server; verifies its signature \
                (and a quorum of witness cosignatures), then the consistency proof from the checkpoint in --state \
                to it. A smaller size is a rollback and another root for the same size, or a failed proof, a \
                split view: exit 1, the state is left alone and both signed checkpoints are kept in \
                <state>.evidence. On success the state moves to the new checkpoint, atomically. \
                Specs/15-witness.md.
                """)

        @Option(help: ArgumentHelp("The log's verifier key (or a file holding it).", valueName: "vkey"))
        var vkey: String

        @Option(help: ArgumentHelp("The monitor's state file (created on first use).", valueName: "file"))
        var state: String

        @OptionGroup var witnesses: WitnessOptions

        @Argument(
            help: ArgumentHelp(
                "The ledger to watch: a SQLite path, a postgres:// URL, or its server's http(s):// URL.",
                valueName: "source"))
        var source: String

        func run() async throws {
            try await reportingFailures {
                let log = try Ed25519NoteVerifier(verifierKey: try Files.verifierKey(vkey))
                let witnessKeys = try witnesses.keys()
                let watched: any WatchedLog =
                    source.hasPrefix("http://") || source.hasPrefix("https://")
                    ? try RemoteLog(source) : try await LocalLog(source)
                let cosigned = try await watched.latestCheckpoint()
                let body = try Checkpoint(text: cosigned.text)
                guard case .verified(let names) = cosigned.verify([log] + witnessKeys), names.contains(log.name) else {
                    throw CommandFailure(
                        CommandFailure.verificationFailed, "the checkpoint is not signed by '\(log.name)'")
                }
                guard names.count - 1 >= witnesses.quorum else {
                    throw CommandFailure(
                        CommandFailure.verificationFailed,
                        "\(names.count - 1) of the required \(witnesses.quorum) witnesses cosigned the checkpoint")
                }
                let message: String = try await MonitorFile.advance(state, to: body, note: cosigned.encoded) {
                    old, oldRoot in
                    guard let proof = await watched.consistencyProof(from: old, to: body.size) else { return false }
                    return Proofs.verifyConsistency(
                        oldSize: old, newSize: body.size, oldRoot: oldRoot, newRoot: body.root, proof: proof)
                }
                Output.line(message)
            }
        }
    }
}

/// The monitor's state file: one checkpoint (origin, size, root), replaced atomically.
enum MonitorFile {
    /// Moves the state to `body` if it extends the trusted one (`consistent` checks a proof from the old size);
    /// throws a verification failure for a rollback or split view. Returns the line to print.
    static func advance(
        _ path: String, to body: Checkpoint, note: String, consistent: (Int64, Hash) async throws -> Bool
    ) async throws -> String {
        let old: MonitorState? =
            FileManager.default.fileExists(atPath: path)
            ? try JSONDecoder().decode(MonitorState.self, from: Data(contentsOf: URL(fileURLWithPath: path))) : nil
        if let old {
            guard old.origin == body.origin else {
                throw CommandFailure(
                    CommandFailure.inputRefused, "the state is for '\(old.origin)', not '\(body.origin)'")
            }
            guard let oldRoot = Hash(base64: old.root) else {
                throw CommandFailure(CommandFailure.inputRefused, "the state file's root is not a hash")
            }
            if body.size < old.size {
                throw try evidence(
                    path, old, note, "rollback: the log shows size \(body.size), but size \(old.size) was seen before")
            }
            if body.size == old.size {
                guard body.root == oldRoot else {
                    throw try evidence(
                        path, old, note,
                        "split view: size \(body.size) has root \(body.root.base64), but \(old.root) was seen before")
                }
                return "ok: \(body.origin) unchanged at size \(body.size)"
            }
            guard try await consistent(old.size, oldRoot) else {
                throw try evidence(
                    path, old, note,
                    "split view: the checkpoint of size \(body.size) is not consistent with size \(old.size)")
            }
        }
        try StateFile.write(
            try JSONEncoder().encode(
                MonitorState(origin: body.origin, size: body.size, root: body.root.base64, note: note)),
            to: path)
        return old.map { "ok: \(body.origin) grew from \($0.size) to \(body.size), consistently" }
            ?? "ok: \(body.origin) trusted at size \(body.size) (first checkpoint seen)"
    }

    /// Keeps both checkpoints beside the state, as `<state>.evidence` (the trusted one, as the state holds it,
    /// and the one just seen), and returns the failure to report.
    static func evidence(
        _ path: String, _ trusted: MonitorState, _ seen: String, _ why: String
    ) throws -> CommandFailure {
        struct Evidence: Encodable {
            let problem: String
            let trusted: MonitorState
            let seen: String
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try StateFile.write(
            try encoder.encode(Evidence(problem: why, trusted: trusted, seen: seen)), to: path + ".evidence")
        return CommandFailure(CommandFailure.verificationFailed, why + " (both checkpoints are in \(path).evidence)")
    }
}
