import EPCIS
import Foundation
import GS1Identifiers
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

    /// The application over `ledger`, listening on `host`:`port` (tests call this and run it in process); with
    /// `witness`, it also answers `POST /add-checkpoint` as that witness.
    public static func buildApplication(
        ledger: Ledger, host: String = "127.0.0.1", port: Int = 8080, witness: WitnessRole? = nil,
        limits: Limits = Limits(), publicURL: String? = nil,
        onRunning: @escaping @Sendable (_ port: Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let registry = Server.metrics
        // Absolute links name the configured address, never the request's Host header, which the client writes.
        let base = publicURL ?? "http://\(host):\(port)"
        let router = Router(context: ServerContext.self)
        // Metrics outside the problem middleware, so that they count the status each request was answered with
        // (a refused statement is a 400 or 422, not the 500 an error passing through would be counted as).
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: ProblemMiddleware())
        router.add(middleware: LogRequestsMiddleware(.debug))
        if limits.requestsPerSecond > 0 {
            router.add(middleware: RateLimitMiddleware(rate: limits.requestsPerSecond, burst: limits.burst))
        }
        router.add(middleware: TimeoutMiddleware(timeout: limits.requestTimeout))
        router.get("/metrics") { _, _ -> Response in
            Server.text(registry.emitToString(), type: "text/plain; version=0.0.4; charset=utf-8", cache: "no-store")
        }
        router.addRoutes(CaptureRoutes(ledger: ledger, limits: limits).routes)
        router.addRoutes(LogRoutes(ledger: ledger).routes)
        if let witness { router.addRoutes(WitnessRoutes(role: witness).routes) }
        router.addRoutes(ResolverRoutes(ledger: ledger, base: base).routes)
        router.addRoutes(ProductRoutes(ledger: ledger).routes)
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

    /// `value` as the CLI's `--json` prints it, compact: the same members, sorted.
    static func json(encoding value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return json(String(decoding: try encoder.encode(value), as: UTF8.self), status: status)
    }

    /// An RFC 9457 problem details answer: a stable `type`, a `title`, the `status` and the `detail`.
    static func problem(status: HTTPResponse.Status, code: String, detail: String) -> Response {
        let body = JSONValue.object([
            .init("type", .string("https://threadline.example/problems/\(code)")),
            .init("title", .string(status.reasonPhrase)), .init("status", .number(String(status.code))),
            .init("detail", .string(detail)),
        ])
        var headers = HTTPFields()
        headers[.contentType] = "application/problem+json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body.serialized)))
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
