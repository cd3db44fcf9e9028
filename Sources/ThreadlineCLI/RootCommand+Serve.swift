import ArgumentParser
import Foundation
import AsyncHTTPClient
import Hummingbird
import Threadline
import ThreadlineDeliveries
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
                Digital Link resolver /01/GTIN[/10/LOT][/21/SERIAL] with the consumer page. Reads are need-to-know \
                (Specs/21): a participant signs its requests (Specs/20); --public-reads opens everything. Every \
                route is in Specs/17-server.md. Errors are RFC 9457 application/problem+json. Stops on SIGINT/SIGTERM after \
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

        @Option(
            help: ArgumentHelp(
                "The server's address as the public reaches it, for the absolute links it gives (default: "
                    + "http://HOST:PORT). Links are never built from a request's Host header.",
                valueName: "url"))
        var publicURL: String?

        @Option(
            help: ArgumentHelp(
                "MiB of capture bodies the server holds at once (64 to 65536; each costs about five times its size "
                    + "while checked); a request beyond it is answered 503.",
                valueName: "mib"))
        var captureMemory = 128

        @Flag(
            help: ArgumentHelp(
                "Publish every record to everyone: no read needs a signature (Specs/21). For public-interest "
                    + "deployments; the default is need-to-know reads."))
        var publicReads = false

        @Flag(
            help: ArgumentHelp(
                "Record events sealed only (Specs/23): capture refuses plain event statements, so that every event "
                    + "recorded through the server is public with only its salted digests."))
        var requireSealed = false

        @Option(
            help: ArgumentHelp(
                "Seconds a signed request stays valid after it was signed (10 to 3600).", valueName: "seconds"))
        var signatureWindow: Int64 = 300

        @Flag(
            inversion: .prefixedNo,
            help: ArgumentHelp(
                "Deliver the outbox to subscribers' webhooks (Specs/26); needs the operator key, which signs them."))
        var deliveries = true

        @Option(
            help: ArgumentHelp(
                "Seconds after which a message still failing is a dead letter (60 to 31536000).", valueName: "seconds"))
        var deadLetterAfter: Int64 = 86400

        @Option(help: ArgumentHelp("Seconds a webhook has to answer (0.1 to 300).", valueName: "seconds"))
        var deliveryTimeout: Double = 10

        @Flag(
            help: ArgumentHelp(
                "Let participants subscribe webhooks on this machine or a private network (refused by default, so "
                    + "that nobody can make the server post into its own network)."))
        var privateWebhooks = false

        func validate() throws {
            // Every number is range-checked here: a timeout is turned into nanoseconds, a rate into tokens.
            guard (0...65535).contains(port) else { throw ValidationError("--port must be 0 to 65535.") }
            guard (0...1_000_000).contains(rateLimit), (1...1_000_000).contains(burst) else {
                throw ValidationError("--rate-limit must be 0 to 1000000 (0: no limit), --burst 1 to 1000000.")
            }
            guard (0.001...3600).contains(requestTimeout), (0.001...86400).contains(idleTimeout) else {
                throw ValidationError(
                    "--request-timeout must be 0.001 to 3600 seconds, --idle-timeout 0.001 to 86400 seconds.")
            }
            guard (64...65536).contains(captureMemory) else {
                throw ValidationError("--capture-memory must be 64 to 65536 MiB (the largest body is 64 MiB).")
            }
            guard (10...3600).contains(signatureWindow) else {
                throw ValidationError("--signature-window must be 10 to 3600 seconds.")
            }
            if let publicURL {
                guard let url = URLComponents(string: publicURL), ["http", "https"].contains(url.scheme),
                    url.host?.isEmpty == false, url.query == nil, url.fragment == nil, url.user == nil
                else {
                    throw ValidationError("--public-url must be an http or https URL without query or fragment.")
                }
            }
            guard (60...31_536_000).contains(deadLetterAfter), (0.1...300).contains(deliveryTimeout) else {
                throw ValidationError(
                    "--dead-letter-after must be 60 to 31536000 seconds, --delivery-timeout 0.1 to 300.")
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
                    idleTimeout: .seconds(idleTimeout), captureMemory: captureMemory << 20)
                let origin = ledger.metadata.origin
                let reads = Server.Reads(publicReads: publicReads, signatureMaxAge: signatureWindow)
                let app = Server.buildApplication(
                    ledger: ledger, host: host, port: port, witness: witness, limits: limits, reads: reads,
                    publicURL: publicURL?.trimmingSuffix("/"), requireSealed: requireSealed,
                    privateWebhooks: privateWebhooks
                ) { port in
                    Output.note("threadline: serving \(origin) on http://\(host):\(port)")
                    Output.note(
                        publicReads
                            ? "threadline: public reads: every record is served to anyone (--public-reads)"
                            : "threadline: need-to-know reads: records, events, traces, bundles and listing checks "
                                + "need a participant's signed request (Specs/21); sealed records are anyone's")
                    if requireSealed {
                        Output.note("threadline: sealed only: plain event statements are refused (--require-sealed)")
                    }
                }
                guard deliveries, let key = ledger.operatorSigningKey else {
                    if deliveries {
                        Output.note("threadline: deliveries off: without the operator key they cannot be signed")
                    }
                    return try await app.runService()
                }
                var options = Deliverer.Options()
                options.deadAfter = deadLetterAfter * 1000
                options.timeout = deliveryTimeout
                options.lease = Int64(deliveryTimeout * 3000) + 5000
                let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup)
                let deliverer = Deliverer(
                    ledger: ledger, key: key, client: client, options: options, logger: Logs.ledger)
                let delivering = Task { await deliverer.run() }
                do { try await app.runService() } catch {
                    delivering.cancel()
                    try await client.shutdown()
                    throw error
                }
                delivering.cancel()
                _ = await delivering.value
                try await client.shutdown()
            }
        }
    }
}

extension String {
    /// The string without any trailing `character`s.
    fileprivate func trimmingSuffix(_ character: Character) -> String {
        var text = self
        while text.last == character { text.removeLast() }
        return text
    }
}
