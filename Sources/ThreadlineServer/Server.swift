import EPCIS
import Foundation
import GS1Identifiers
import HTTPSignatures
import HTTPTypes
import Hummingbird
import LedgerStore
import Statements
import Threadline
import TransparencyLog

/// Threadline's HTTP server (`Specs/17-server.md`): the middleware every request passes (metrics, problem
/// details, rate limit, timeout) and the route collections, each in its own file under `Routes/` — capture and
/// query, the log's read side, the witness, the resolver and consumer page, and products (trace, listings,
/// bundles).
public enum Server {
    /// The largest request body accepted (a statement is at most 64 KiB − 1 as a record).
    public static let maxBody = 1 << 20
    /// The largest capture body (many statements): with `maxStatements`, what keeps one request's memory to a
    /// small multiple of its size (`Specs/17-server.md`, limits).
    public static let maxCaptureBody = 64 << 20
    /// The most statements one request may carry.
    public static let maxStatements = 100_000

    /// A witness the server also acts as (C2SP tlog-witness `add-checkpoint`), with its state file.
    public struct WitnessRole: Sendable {
        public let witness: Witness
        public let statePath: String

        public init(witness: Witness, statePath: String) {
            self.witness = witness
            self.statePath = statePath
        }
    }

    /// Who may read what (`Specs/21-read-policy.md`): need-to-know by default; `publicReads` publishes every
    /// record to everyone. `signatureMaxAge` is how old a request signature may be, in seconds (20 §5).
    public struct Reads: Sendable {
        public var publicReads: Bool
        public var signatureMaxAge: Int64

        public init(publicReads: Bool = false, signatureMaxAge: Int64 = RequestSignature.defaultMaxAge) {
            self.publicReads = publicReads
            self.signatureMaxAge = signatureMaxAge
        }

        /// Every record to everyone (`serve --public-reads`).
        public static let open = Reads(publicReads: true)
    }

    /// The application over `ledger`, listening on `host`:`port` (tests call this and run it in process); with
    /// `witness`, it also answers `POST /add-checkpoint` as that witness. `publicURL` is the address links name
    /// and requests are signed for (default: links name `http://host:port`, signatures the request's Host).
    /// `requireSealed` refuses plain event statements at capture (`serve --require-sealed`), so that every event
    /// recorded through the server is public with only its digests (`Specs/23-sealed-events.md`).
    /// `privateWebhooks` lets participants subscribe webhooks on this machine or a private network
    /// (`Specs/26-subscriptions.md` §7).
    public static func buildApplication(
        ledger: Ledger, host: String = "127.0.0.1", port: Int = 8080, witness: WitnessRole? = nil,
        limits: Limits = Limits(), reads: Reads = Reads(), publicURL: String? = nil, requireSealed: Bool = false,
        privateWebhooks: Bool = false, onRunning: @escaping @Sendable (_ port: Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let registry = Server.metrics
        // Absolute links name the configured address, never the request's Host header, which the client writes.
        let base = publicURL ?? "http://\(host):\(port)"
        // Every GET answers HEAD too (its headers, no body).
        let router = Router(context: ServerContext.self, options: .autoGenerateHeadEndpoints)
        // Metrics outside the problem middleware, so that they count the status each request was answered with
        // (a refused statement is a 400 or 422, not the 500 an error passing through would be counted as).
        router.add(middleware: MetricsMiddleware())
        // Outside the problem middleware, so that the resolver's problems carry its headers too.
        router.add(middleware: ResolverHeaders())
        router.add(middleware: ProblemMiddleware())
        router.add(middleware: LogRequestsMiddleware(.debug))
        if limits.requestsPerSecond > 0 {
            router.add(middleware: RateLimitMiddleware(rate: limits.requestsPerSecond, burst: limits.burst))
        }
        router.add(middleware: TimeoutMiddleware(timeout: limits.requestTimeout))
        // The OpenAPI 3.1 document of every route (`Specs/openapi.json`).
        router.get("/openapi.json") { _, _ -> Response in
            Server.text(Server.openAPI, type: "application/json", cache: "no-cache")
        }
        router.get("/metrics") { _, _ -> Response in
            Server.text(registry.emitToString(), type: "text/plain; version=0.0.4; charset=utf-8", cache: "no-store")
        }
        let gate = ReadGate(
            ledger: ledger, authentication: RequestAuthentication(maxAge: reads.signatureMaxAge),
            publicReads: reads.publicReads, signedBase: publicURL)
        router.addRoutes(CaptureRoutes(ledger: ledger, gate: gate, limits: limits, requireSealed: requireSealed).routes)
        router.addRoutes(LogRoutes(ledger: ledger, gate: gate).routes)
        if let witness { router.addRoutes(WitnessRoutes(role: witness).routes) }
        router.addRoutes(ResolverRoutes(ledger: ledger, gate: gate, base: base).routes)
        router.addRoutes(ProductRoutes(ledger: ledger, gate: gate).routes)
        router.addRoutes(SubscriptionRoutes(ledger: ledger, gate: gate, privateWebhooks: privateWebhooks).routes)
        router.addRoutes(QueryRoutes(ledger: ledger, gate: gate, privateWebhooks: privateWebhooks).routes)
        let idle = limits.idleTimeout.components
        return Application(
            router: router,
            server: .http1(
                configuration: .init(
                    idleTimeout: .nanoseconds(idle.seconds * 1_000_000_000 + idle.attoseconds / 1_000_000_000))),
            configuration: .init(address: .hostname(host, port: port), serverName: "threadline"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) })
    }

    /// A query parameter the route cannot do without.
    static func required(_ name: String, in request: Request) throws -> String {
        guard let value = request.uri.queryParameters.get(name), !value.isEmpty else {
            throw ServerError(.httpQuery, "give \(name)=…")
        }
        return value
    }

    /// The time a query parameter `name` gives (an xsd:dateTime with a zone, years 0000–9999), in microseconds since
    /// the epoch; nil when the request has none.
    static func time(_ name: String, in request: Request) throws -> Int64? {
        guard let text = request.uri.queryParameters.get(name) else { return nil }
        guard let time = Timestamp.parseDateTime(text) else {
            throw ServerError(
                .httpQuery, "\(name) must be a date and time with a zone (2026-12-12T20:00:00+08:00), not '\(text)'")
        }
        return time.micros
    }

    /// The `code` query parameter, checked to be a product code before anything else is asked (a malformed code
    /// is `400` whoever asks).
    static func code(in request: Request) throws -> String {
        let code = try required("code", in: request)
        _ = try DigitalLink.canonical(asking: code)
        return code
    }

    /// `value` as the CLI's `--json` prints it, compact: the same members, sorted.
    static func json(encoding value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return json(String(decoding: try encoder.encode(value), as: UTF8.self), status: status)
    }

    /// An RFC 9457 problem details answer: a stable `type`, a `title`, the `status` and the `detail`.
    static func problem(
        status: HTTPResponse.Status, code: String, detail: String, extra: [JSONValue.Member] = []
    ) -> Response {
        let body = JSONValue.object(
            [
                .init("type", .string("https://threadline.example/problems/\(code)")),
                .init("title", .string(status.reasonPhrase)), .init("status", .number(String(status.code))),
                .init("detail", .string(detail)),
            ] + extra)
        var headers = HTTPFields()
        headers[.contentType] = "application/problem+json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body.serialized)))
    }

    /// The OpenAPI document, as built in.
    static let openAPI = String(decoding: PackageResources.openapi_json, as: UTF8.self)

    /// The cache policy of what never changes, for everyone.
    static let immutable = "public, max-age=31536000, immutable"
    /// The cache policy of what never changes but is the reader's own (never kept by a shared cache).
    static let privateImmutable = "private, max-age=31536000, immutable"

    static func bytes(_ bytes: [UInt8], cache: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/octet-stream"
        headers[.cacheControl] = cache
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func text(_ text: String, type: String, cache: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        headers[.cacheControl] = cache
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func json(_ text: String, status: HTTPResponse.Status, type: String = "application/json") -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
