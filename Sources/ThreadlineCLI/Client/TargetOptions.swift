import ArgumentParser
import Foundation
import Statements
import Threadline
import TransparencyLog

/// Where a participant's command runs (`Specs/22-client.md` §1): on the ledger's database, as the operator
/// (`--ledger`), or through its server (`--server URL`, a named `--remote`, or `$THREADLINE_SERVER`), verifying
/// what the server says against the operator's pinned key.
struct TargetOptions: ParsableArguments {
    @OptionGroup var local: LedgerOptions

    @Option(
        help: ArgumentHelp(
            "The ledger's server, for a participant on another machine (defaults to $THREADLINE_SERVER when no "
                + "--ledger or $THREADLINE_LEDGER is given); needs --vkey.",
            valueName: "url"))
    var server: String?

    @Option(
        help: ArgumentHelp(
            "A server added with 'threadline remote add' (its URL, pinned key, witnesses and reading key).",
            valueName: "name"))
    var remote: String?

    @Option(
        help: ArgumentHelp(
            "With --server: the operator's verifier key (or a file holding it), pinned: the server's checkpoints "
                + "must be signed by it.",
            valueName: "vkey"))
    var vkey: String?

    @Option(
        help: ArgumentHelp(
            "With --server or --remote: the file keeping the checkpoint this client trusts (default: in "
                + "$XDG_STATE_HOME/threadline/servers/).",
            valueName: "file"))
    var state: String?

    /// With --server: the witnesses demanded (with --remote, they replace the remote's when given).
    @OptionGroup var witnesses: WitnessOptions

    func validate() throws {
        guard [local.ledger, server, remote].compactMap({ $0 }).count <= 1 else {
            throw ValidationError("Give one of --ledger, --server and --remote.")
        }
        if server != nil || (local.given == nil && remote == nil && environmentServer != nil) {
            guard vkey != nil else { throw ValidationError("--server needs --vkey, the operator's verifier key.") }
        }
    }

    private var environmentServer: String? {
        ProcessInfo.processInfo.environment["THREADLINE_SERVER"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// What the command runs against.
    enum Target {
        case local(LedgerOptions)
        case remote(RemoteLedger)
    }

    /// The target; `reader` signs the requests that need an identity (nil: the remote's configured key, if any).
    func target(reader: SigningKey? = nil) throws -> Target {
        if let remote {
            guard let configured = try Remotes.load().remotes[remote] else {
                throw CommandFailure(
                    CommandFailure.inputRefused, "there is no remote '\(remote)' (see 'threadline remote list')")
            }
            let key = try reader ?? configured.key.map(Self.signingKey)
            return .remote(
                try Self.remote(
                    url: configured.url, vkey: vkey ?? configured.vkey,
                    witnesses: witnesses.witnesses.isEmpty ? configured.witnesses : witnesses.witnesses,
                    quorum: witnesses.witnesses.isEmpty ? configured.quorum : witnesses.quorum, reader: key,
                    state: state ?? Remotes.statePath(for: remote)))
        }
        guard let url = server ?? (local.given == nil ? environmentServer : nil) else { return .local(local) }
        guard let vkey else { throw ValidationError("--server needs --vkey, the operator's verifier key.") }
        return .remote(
            try Self.remote(
                url: url, vkey: vkey, witnesses: witnesses.witnesses, quorum: witnesses.quorum, reader: reader,
                state: state ?? Remotes.statePath(for: Self.stateName(url))))
    }

    static func remote(
        url: String, vkey: String, witnesses: [String], quorum: Int, reader: SigningKey?, state: String
    ) throws -> RemoteLedger {
        let keys = try witnesses.map(Files.cosignatureKey)
        guard quorum <= keys.count else {
            throw CommandFailure(CommandFailure.inputRefused, "a quorum of \(quorum) needs as many --witness keys")
        }
        return RemoteLedger(
            server: try ServerConnection(url, reader: reader),
            log: try Ed25519NoteVerifier(verifierKey: try Files.verifierKey(vkey)), witnesses: keys, quorum: quorum,
            statePath: state)
    }

    /// The state file's name for a server URL: its host, port and path.
    static func stateName(_ url: String) -> String {
        let parts = URLComponents(string: url)
        return [parts?.host, parts?.port.map(String.init), parts?.path].compactMap { $0 }.filter { !$0.isEmpty }
            .joined(separator: "_")
    }

    static func signingKey(_ path: String) throws -> SigningKey {
        try SigningKey(fileContents: try Files.readText(path, what: "key"))
    }
}

/// The participant a read is signed as: `--as KEYFILE` (else the remote's configured key).
struct ReaderOptions: ParsableArguments {
    @Option(
        name: .customLong("as"),
        help: ArgumentHelp(
            "With --server or --remote: the participant's private key file, to sign the request (reads need a "
                + "participant's signature; Specs/21).",
            valueName: "keyfile"))
    var key: String?

    func load() throws -> SigningKey? { try key.map(TargetOptions.signingKey) }
}
