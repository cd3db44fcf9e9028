import ArgumentParser
import Foundation
import Hummingbird
import Threadline
import ThreadlineServer
import TransparencyLog

extension RootCommand {
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve the ledger over HTTP: capture of signed statements and verifiable reads.",
            discussion: """
                Capture: POST /statements (DSSE envelopes, answered once durable; concurrent requests share \
                transactions), POST /events, POST /capture (EPCIS capture jobs). Reads: /checkpoint, /records/N, \
                /proofs/…, /tile/…, GET /events (EPCIS queries), /trace, /check-listing, /bundle, and the GS1 \
                Digital Link resolver /01/GTIN[/10/LOT][/21/SERIAL] with the consumer page. Every route is in \
                Specs/17-server.md. Errors are RFC 9457 application/problem+json. Stops on SIGINT/SIGTERM after \
                answering what it accepted.
                """)

        @OptionGroup var options: LedgerOptions

        @Option(help: ArgumentHelp("The address to listen on.", valueName: "host"))
        var host = "127.0.0.1"

        @Option(
            help: ArgumentHelp(
                "The port to listen on (0: any free port; the line on stderr names it).", valueName: "port"))
        var port = 8080

        @Option(
            name: .customLong("witness-key"),
            help: ArgumentHelp("Also act as a witness with this key file.", valueName: "file"))
        var witnessKey: String?

        @Option(name: .customLong("witness-state"), help: ArgumentHelp("The witness's state file.", valueName: "file"))
        var witnessState: String?

        @Option(
            name: .customLong("witness-log-vkey"),
            help: ArgumentHelp("A log the witness trusts (repeat).", valueName: "vkey"))
        var witnessLogs: [String] = []

        @Option(
            help: ArgumentHelp(
                "Requests per second each client address may make on average (0: no limit).", valueName: "n"))
        var rateLimit: Double = 1000

        @Option(help: ArgumentHelp("Requests a client may make at once above its rate.", valueName: "n"))
        var burst: Double = 2000

        @Option(help: ArgumentHelp("Seconds a request may take before a 503 answer.", valueName: "seconds"))
        var requestTimeout: Double = 30

        @Option(help: ArgumentHelp("Seconds an idle connection is kept open.", valueName: "seconds"))
        var idleTimeout: Double = 60

        func validate() throws {
            guard rateLimit >= 0, burst >= 1, requestTimeout > 0, idleTimeout > 0 else {
                throw ValidationError("--rate-limit must be 0 or more, --burst at least 1, timeouts positive.")
            }
            guard (witnessKey == nil) == (witnessState == nil), witnessKey == nil || !witnessLogs.isEmpty else {
                throw ValidationError("--witness-key needs --witness-state and at least one --witness-log-vkey.")
            }
        }

        func run() async throws {
            try await reportingFailures {
                let ledger = try await options.open()
                let witness = try witnessKey.map { key in
                    Server.WitnessRole(
                        witness: Witness(
                            cosigner: try WitnessCommand.cosigner(key),
                            logs: try witnessLogs.map {
                                try Ed25519NoteVerifier(verifierKey: try Files.verifierKey($0))
                            }),
                        statePath: witnessState!)
                }
                let limits = Server.Limits(
                    requestsPerSecond: rateLimit, burst: burst, requestTimeout: .seconds(requestTimeout),
                    idleTimeout: .seconds(idleTimeout))
                let origin = ledger.metadata.origin
                let app = Server.buildApplication(
                    ledger: ledger, host: host, port: port, witness: witness, limits: limits
                ) { port in
                    Output.note("threadline: serving \(origin) on http://\(host):\(port)")
                }
                try await app.runService()
            }
        }
    }
}
