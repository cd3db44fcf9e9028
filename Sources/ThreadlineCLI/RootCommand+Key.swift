import ArgumentParser
import Foundation
import Statements
import Threadline

extension RootCommand {
    struct Key: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Manage participant keys.", subcommands: [Generate.self])

        struct Generate: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Make an Ed25519 key; print its public verifier key (the DSSE keyid).",
                discussion: "The private key is written with mode 0600; an existing file is never replaced.")

            @Option(help: ArgumentHelp("Where to write the private key.", valueName: "file"))
            var out: String

            @Option(help: ArgumentHelp("The key's name (default: the file name without extension).", valueName: "name"))
            var name: String?

            @Flag(help: "Print JSON: {name, keyid, file}.")
            var json = false

            func run() async throws {
                try await reportingFailures {
                    let keyName = name ?? URL(fileURLWithPath: out).deletingPathExtension().lastPathComponent
                    let key = try SigningKey(generatingWithName: keyName)
                    try StateFile.writeSecret(key.fileContents, to: out)
                    if json {
                        try Output.json(["name": key.name, "keyid": key.keyID, "file": out])
                    } else {
                        Output.line(key.keyID)
                    }
                }
            }
        }
    }
}
