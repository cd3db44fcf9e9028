import ArgumentParser
import Foundation
import Hummingbird
import Threadline
import ThreadlineServer

extension RootCommand {
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve the ledger over HTTP: capture of signed statements and verifiable reads.",
            discussion: """
                Routes (Specs/17-server.md): POST /statements (a DSSE envelope, answered 201 {"seq"} once \
                durable; concurrent requests share transactions), GET /checkpoint, /records/N, \
                /proofs/inclusion/N, /proofs/consistency?old=&new=, /journey?code=. Errors are RFC 9457 \
                application/problem+json. Stops on SIGINT/SIGTERM after answering what it accepted.
                """)

        @OptionGroup var options: LedgerOptions

        @Option(help: ArgumentHelp("The address to listen on.", valueName: "host"))
        var host = "127.0.0.1"

        @Option(help: ArgumentHelp("The port to listen on.", valueName: "port"))
        var port = 8080

        func run() async throws {
            try await reportingFailures {
                let ledger = try await options.open()
                let app = Server.buildApplication(ledger: ledger, host: host, port: port)
                Output.note("threadline: serving \(ledger.metadata.origin) on http://\(host):\(port)")
                try await app.runService()
            }
        }
    }
}
