import ArgumentParser
import Foundation
import TransparencyLog

extension RootCommand {
    struct RemoteCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "remote",
            abstract: "Name the ledger servers a participant uses, with the operator's key pinned.",
            discussion: """
                Remotes are kept in $XDG_CONFIG_HOME/threadline/remotes.json (default ~/.config/…); a command \
                given --remote NAME runs through that server and verifies what it answers. Specs/22-client.md.
                """,
            subcommands: [Add.self, List.self, Remove.self])

        struct Add: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Add (or replace) a named server.")

            @Argument(help: ArgumentHelp("The remote's name (letters, digits, '-', '_', '.').", valueName: "name"))
            var name: String

            @Argument(help: ArgumentHelp("The server's http:// or https:// URL.", valueName: "url"))
            var url: String

            @Option(help: ArgumentHelp("The operator's verifier key (or a file holding it).", valueName: "vkey"))
            var vkey: String

            @Option(
                name: .customLong("as"),
                help: ArgumentHelp("The participant's key file that signs reads by default.", valueName: "keyfile"))
            var key: String?

            @OptionGroup var witnesses: WitnessOptions

            func validate() throws {
                guard !name.isEmpty, name.count <= 64,
                    name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) })
                else { throw ValidationError("A remote's name is 1 to 64 letters, digits, '-', '_' or '.'.") }
            }

            func run() async throws {
                try await reportingFailures {
                    // Everything is checked before it is kept: the URL, the keys, the reading key file.
                    _ = try ServerConnection(url, reader: nil)
                    let vkey = try Files.verifierKey(vkey)
                    _ = try Ed25519NoteVerifier(verifierKey: vkey)
                    _ = try witnesses.keys()
                    let witnessKeys = try witnesses.witnesses.map { try Files.verifierKey($0) }
                    let keyPath = try key.map { path in
                        _ = try TargetOptions.signingKey(path)
                        return URL(fileURLWithPath: path).standardizedFileURL.path
                    }
                    var remotes = try Remotes.load()
                    remotes.remotes[name] = .init(
                        url: url, vkey: vkey, key: keyPath, witnesses: witnessKeys, quorum: witnesses.quorum)
                    try remotes.save()
                    Output.line("remote \(name): \(url), pinned key \(vkey.split(separator: "+").first ?? "")")
                }
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List the named servers.")

            @Flag(help: "Print JSON: the remotes file's contents.")
            var json = false

            func run() async throws {
                try await reportingFailures {
                    let remotes = try Remotes.load()
                    if json { return try Output.json(remotes) }
                    for (name, remote) in remotes.remotes.sorted(by: { $0.key < $1.key }) {
                        let extra =
                            (remote.key.map { ", reads as \($0)" } ?? "")
                            + (remote.quorum > 0 ? ", \(remote.quorum) of \(remote.witnesses.count) witnesses" : "")
                        Output.line("\(name)  \(remote.url)  \(remote.vkey)\(extra)")
                    }
                }
            }
        }

        struct Remove: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Forget a named server (its state file stays).")

            @Argument(help: ArgumentHelp("The remote's name.", valueName: "name"))
            var name: String

            func run() async throws {
                try await reportingFailures {
                    var remotes = try Remotes.load()
                    guard remotes.remotes.removeValue(forKey: name) != nil else {
                        throw CommandFailure(CommandFailure.inputRefused, "there is no remote '\(name)'")
                    }
                    try remotes.save()
                    Output.line("removed remote \(name)")
                }
            }
        }
    }
}
