import ArgumentParser
import Foundation
import ThreadlineDemo

extension RootCommand {
    struct Demo: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record two supply chains — a T-shirt and a sneaker — and show what a consumer sees.",
            discussion: """
                Creates a ledger in a new temporary folder (or --dir), registers the participants of samples/ \
                (farm, ginner, spinner, knitter, dyehouse, garment factory, brand, distributor and online \
                store; tannery, sole maker, shoe factory, brand and retailer), lets the brands authorise their \
                channels, records every party's EPCIS 2.0 events under the ledger's rules, prints the journey of \
                one T-shirt and one sneaker, proves a record offline, audits the whole ledger, and ends with the \
                command that serves the ledger and the consumer pages to open. The folder is kept so you can \
                explore it with the other commands.
                """)

        @Option(help: ArgumentHelp("Build the demo ledger in this (new or empty) folder.", valueName: "dir"))
        var dir: String?

        func run() async throws {
            try await reportingFailures {
                let sound = try await ThreadlineDemo.Demo(folder: try makeFolder(), say: Output.line).run(
                    logger: Logs.ledger)
                if !sound { throw ExitCode(CommandFailure.verificationFailed) }
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
