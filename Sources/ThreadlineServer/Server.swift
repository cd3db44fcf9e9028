import EPCIS
import Foundation
import GS1Identifiers
import HTTPTypes
import Hummingbird
import LedgerStore
import Statements
import Threadline
import TransparencyLog

/// Threadline's HTTP server (`Specs/17-server.md`), first increment: capture of pre-signed statements under the
/// ledger's rules (answered once durable, sharing transactions with concurrent requests), and verifiable reads —
/// the checkpoint, records, inclusion and consistency proofs, and a product's journey as JSON.
public enum Server {
    /// The largest request body accepted (a statement is at most 64 KiB − 1 as a record).
    public static let maxBody = 1 << 20
    /// The largest capture body (many statements): with `maxStatements`, what keeps one request's memory to a
    /// small multiple of its size (`Specs/17-server.md`, limits).
    public static let maxCaptureBody = 64 << 20
    /// The most statements one request may carry.
    public static let maxStatements = 100_000

    /// The envelopes of a capture body: one DSSE envelope, a JSON array of them, or JSON objects one after another
    /// (JSON Lines), as slices of the body. Objects are found by scanning bytes (strings and nesting), not by
    /// parsing: each envelope is parsed once, by `Ledger.prepare`, and nothing is copied here. Anything but
    /// whitespace outside the objects (and, for an array, its brackets and commas) is refused, and so is a body
    /// of more than `limit` objects, as soon as the scan reaches the one too many.
    @_spi(Fuzzing) public static func envelopes(
        _ body: [UInt8], limit: Int = maxStatements
    ) throws
        -> [ArraySlice<UInt8>]
    {
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }
        let isArray = body.first(where: { !isSpace($0) }) == UInt8(ascii: "[")
        // Outside the objects, an array's body reads `[`, then objects separated by commas, then `]`.
        enum Between { case opening, first, afterObject, afterComma, closed }
        var between: Between = isArray ? .opening : .first
        var values: [ArraySlice<UInt8>] = []
        var depth = 0
        var start = 0
        var inString = false
        var escaped = false
        for (i, byte) in body.enumerated() {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            if depth > 0 {
                switch byte {
                case UInt8(ascii: "\""): inString = true
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 {
                        guard byte == UInt8(ascii: "}") else {
                            throw FormatError("capture.body", "byte \(i) closes an envelope with ']'")
                        }
                        values.append(body[start...i])
                        between = .afterObject
                    }
                default: break
                }
                continue
            }
            if isSpace(byte) { continue }
            switch byte {
            case UInt8(ascii: "[") where between == .opening: between = .first
            case UInt8(ascii: "{")
            where between == .first || between == .afterComma || (between == .afterObject && !isArray):
                guard values.count < limit else {
                    throw FormatError("capture.size", "a request carries at most \(limit) statements")
                }
                start = i
                depth = 1
            case UInt8(ascii: ",") where isArray && between == .afterObject: between = .afterComma
            case UInt8(ascii: "]") where isArray && (between == .first || between == .afterObject): between = .closed
            default:
                throw FormatError(
                    "capture.body",
                    "byte \(i) is outside any envelope"
                        + (isArray ? " (an array of envelopes is [ {…}, {…} ])" : ""))
            }
        }
        guard depth == 0, !inString else { throw FormatError("envelope.json", "the body ends inside an envelope") }
        guard !isArray || between == .closed else { throw FormatError("capture.body", "the array is not closed") }
        return values
    }

    /// Runs CPU-heavy work (splitting a body, decoding, verifying and validating its statements) on a thread of
    /// its own, never on the server's event-loop threads nor on the few threads Swift's tasks share: while a
    /// large request is checked, the others are still read and answered.
    static func offload<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try work() }) }.start()
        }
    }

    /// Submissions checked for appending by a capture route: every signer must be a registered participant's
    /// current key (or the operator's), checked again under the append's sequencing; the EPCIS routes take only
    /// event statements.
    static func capture<Piece: Collection<UInt8> & Sendable>(
        _ submissions: [Piece], eventsOnly: Bool, ledger: Ledger
    ) async throws
        -> PreparedStatements
    {
        let registry = try await ledger.currentRegistry()
        var prepared = try await offload { try Ledger.prepare(submissions: submissions, signersIn: registry) }
        prepared.participantsOnly = true
        if eventsOnly && !prepared.allEvents {
            throw FormatError(
                "capture.type",
                "the EPCIS capture interface takes EPCIS event statements (payloadType \(Statement.eventPayloadType))")
        }
        return prepared
    }

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
        let jobs = CaptureJobs(lifetime: limits.captureJobLifetime)
        let budget = BodyBudget(limits.captureMemory)
        /// The body of a capture request, read once its size fits the budget; the reservation lives as long as
        /// the body is needed.
        @Sendable func captureBody(_ request: inout Request) async throws -> ([UInt8], BodyBudget.Reservation) {
            let declared = request.headers[.contentLength].flatMap { Int($0) } ?? Server.maxCaptureBody
            guard declared <= Server.maxCaptureBody else { throw HTTPError(.contentTooLarge) }
            guard let reservation = budget.reserve(max(declared, 1)) else {
                throw FormatError(
                    "capture.busy", "the server is reading as many capture bodies as it can hold; try again shortly")
            }
            return (Array(buffer: try await request.collectBody(upTo: Server.maxCaptureBody)), reservation)
        }
        router.post("/events") { request, _ -> Response in
            var request = request
            let body = try await request.collectBody(upTo: Server.maxBody)
            let prepared = try await Server.capture([Array(buffer: body)], eventsOnly: true, ledger: ledger)
            let range = try await ledger.append(prepared: prepared)
            return Server.json(#"{"seq":\#(range.lowerBound)}"#, status: .created)
        }
        router.post("/capture") { request, _ -> Response in
            var request = request
            let (body, reservation) = try await captureBody(&request)
            let submissions = try await offload { try Server.envelopes(body) }
            let atomic = request.headers[HTTPField.Name("GS1-Capture-Error-Behaviour")!] != "proceed"
            let started = await jobs.start(count: submissions.count) { job in
                // The job holds the body (its statements are slices of it) until it ends.
                defer { withExtendedLifetime(reservation) {} }
                do {
                    let prepared = try await Server.capture(submissions, eventsOnly: true, ledger: ledger)
                    if atomic {
                        let range = try await ledger.append(prepared: prepared)
                        await jobs.finish(job, records: Array(range), errors: [])
                    } else {
                        var records: [Int64] = []
                        var errors: [CaptureJobs.Failure] = []
                        for (index, result) in try await ledger.appendEach(prepared: prepared).enumerated() {
                            switch result {
                            case .success(let seq): records.append(seq)
                            case .failure(let error): errors.append(.init(index: index, error))
                            }
                        }
                        await jobs.finish(job, records: records, errors: errors)
                    }
                } catch let error as LedgerError {
                    await jobs.finish(job, records: [], errors: [.init(index: error.index ?? 0, error)])
                } catch let error as FormatError {
                    await jobs.finish(
                        job, records: [], errors: [.init(index: 0, code: error.code, detail: error.reason)])
                } catch {
                    await jobs.finish(job, records: [], errors: [.init(index: 0, code: "capture", detail: "\(error)")])
                }
            }
            guard let id = started else {
                var response = Server.problem(
                    status: .serviceUnavailable, code: "capture.busy",
                    detail: "\(jobs.maxRunning) capture jobs are running; try again when one has ended")
                response.headers[.retryAfter] = "1"
                return response
            }
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            headers[.location] = "/capture/\(id)"
            return Response(
                status: .accepted, headers: headers,
                body: .init(byteBuffer: ByteBuffer(string: #"{"id":"\#(id)","status":"pending"}"#)))
        }
        router.get("/capture/:id") { _, context -> Response in
            let id = try context.parameters.require("id")
            guard let job = await jobs.status(id) else { throw LedgerError.noSuchProduct("capture job \(id)") }
            return Server.json(job.serialized, status: .ok)
        }
        router.get("/checkpoint") { _, _ -> Response in
            let note = try await ledger.checkpoint()
            return Server.text(note.encoded, type: "text/plain; charset=utf-8", cache: "no-cache")
        }
        router.post("/statements") { request, _ -> Response in
            var request = request
            let (body, reservation) = try await captureBody(&request)
            defer { withExtendedLifetime(reservation) {} }
            // The body and its slices are needed only until the statements are prepared: a function of their own
            // frees them then, before the append builds the records.
            @Sendable func prepare(_ body: [UInt8]) async throws -> (PreparedStatements, counted: Bool) {
                let submissions = try await offload { try Server.envelopes(body) }
                guard !submissions.isEmpty else { throw FormatError("capture.body", "the body holds no envelope") }
                let firstByte = body.first(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) })
                return (
                    try await Server.capture(submissions, eventsOnly: false, ledger: ledger),
                    submissions.count > 1 || firstByte != UInt8(ascii: "{")
                )
            }
            let (prepared, counted) = try await prepare(consume body)
            let range = try await ledger.append(prepared: prepared)
            var fields: [JSONValue.Member] = [.init("seq", .number(String(range.lowerBound)))]
            if counted { fields.append(.init("count", .number(String(range.count)))) }
            if let wanted = request.uri.queryParameters.get("proof"), wanted != "false" {
                var proofs: [JSONValue] = []
                for seq in range { proofs.append(.string(try await ledger.inclusionProof(seq).encoded)) }
                fields.append(.init("proofs", .array(proofs)))
            }
            return Server.json(JSONValue.object(fields).serialized, status: .created)
        }
        router.get("/records/:seq") { _, context -> Response in
            let seq = try context.parameters.require("seq", as: Int64.self)
            let bytes = try await ledger.entry(seq)
            var headers = HTTPFields()
            headers[.contentType] = "application/octet-stream"
            headers[.cacheControl] = "public, max-age=31536000, immutable"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
        router.get("/proofs/inclusion/:seq") { _, context -> Response in
            let seq = try context.parameters.require("seq", as: Int64.self)
            let proof = try await ledger.inclusionProof(seq)
            return Server.text(proof.encoded, type: "text/plain; charset=utf-8", cache: "no-cache")
        }
        router.get("/proofs/consistency") { request, _ -> Response in
            guard let old = request.uri.queryParameters.get("old", as: Int64.self),
                let new = request.uri.queryParameters.get("new", as: Int64.self)
            else { throw FormatError("http.query", "give old=<size>&new=<size>") }
            let proof = try await ledger.consistencyProof(from: old, to: new)
            return Server.text(
                proof.map { $0.base64 + "\n" }.joined(), type: "text/plain; charset=utf-8",
                cache: "public, max-age=31536000, immutable")
        }
        router.get("/events") { request, _ -> Response in
            let query = try EventQuery(
                parameters: request.uri.queryParameters.map { (String($0.key), String($0.value)) })
            let found = try await ledger.query(query)
            let now = Timestamp.format(millis: Int64(Date().timeIntervalSince1970 * 1000))
            return Server.json(
                try EventQuery.document(found, limit: query.limit, creationDate: now).serialized, status: .ok)
        }
        router.get("/tile/**") { _, context -> Response in
            let path = "tile/" + context.parameters.getCatchAll().joined(separator: "/")
            let bytes = try await ledger.tile(path: path)
            var headers = HTTPFields()
            headers[.contentType] = "application/octet-stream"
            headers[.cacheControl] = "public, max-age=31536000, immutable"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: Array(bytes))))
        }
        if let witness {
            router.post("/add-checkpoint") { request, _ -> Response in
                var request = request
                let body = try await request.collectBody(upTo: 64 << 10)
                let submitted = try WitnessRequest(parsing: String(buffer: body))
                let outcome = try StateFile.locked(witness.statePath) { state in
                    let outcome = witness.witness.addCheckpoint(
                        submitted, state: state, timestamp: UInt64(Date().timeIntervalSince1970))
                    if case .cosigned(_, let next) = outcome { return (outcome, next) }
                    return (outcome, nil)
                }
                switch outcome {
                case .cosigned(let signature, _):
                    return Server.text(signature.line, type: "text/plain; charset=utf-8", cache: "no-store")
                case .conflict(let size, _):
                    var headers = HTTPFields()
                    headers[.contentType] = "text/x.tlog.size"
                    return Response(
                        status: .conflict, headers: headers, body: .init(byteBuffer: ByteBuffer(string: "\(size)\n")))
                case .unknownOrigin(let why):
                    return Server.problem(
                        status: .notFound, code: "witness.origin", detail: why)
                case .forbidden(let why):
                    return Server.problem(
                        status: .forbidden, code: "witness.signature", detail: why)
                case .badRequest(let why):
                    return Server.problem(
                        status: .badRequest, code: "witness.request", detail: why)
                case .unprocessable(let why):
                    return Server.problem(
                        status: .unprocessableContent, code: "witness.proof", detail: why)
                }
            }
        }
        // The GS1 Digital Link resolver: what a label's QR code opens.
        for pattern in ["/01/:gtin", "/01/:gtin/10/:lot", "/01/:gtin/21/:serial", "/01/:gtin/10/:lot/21/:serial"] {
            router.get(RouterPath(pattern)) { request, context -> Response in
                let gtin = try GTIN(try context.parameters.require("gtin"))
                // A value's escapes are decoded once here; a malformed one is refused, as everywhere (07 §canonical).
                func value(_ name: String) throws -> String? {
                    try context.parameters.get(name).map { text in
                        guard let decoded = text.removingPercentEncoding else {
                            throw FormatError("code.invalid", "the \(name) '\(text)' has a malformed %-escape")
                        }
                        return decoded
                    }
                }
                let link = DigitalLink(.product(gtin: gtin, lot: try value("lot"), serial: try value("serial")))
                let assessment = try await ledger.assess(link.uri)
                let journey = assessment.journey
                guard !journey.steps.isEmpty else { throw LedgerError.noSuchProduct(link.uri) }
                switch Resolver.answer(to: request) {
                case .linkset:
                    return Server.json(
                        Resolver.linkset(for: link, base: base).serialized, status: .ok,
                        type: "application/linkset+json")
                case .traceability: return try Server.json(encoding: JourneyJSON(journey))
                case .epcis:
                    var headers = HTTPFields()
                    headers[.location] = Resolver.epcisQuery(for: link)
                    return Response(status: .temporaryRedirect, headers: headers)
                case .page: break
                }
                let (proofs, entries) = try await ledger.inclusionProofs(journey.steps.map(\.seq))
                let html = ConsumerPage.render(
                    assessment, proofs: proofs, entries: entries, log: ledger.operatorVerifier)
                return Server.text(html, type: "text/html; charset=utf-8", cache: "no-cache")
            }
        }
        router.get("/.well-known/gs1resolver") { _, _ -> Response in
            Server.json(Resolver.description(base: base).serialized, status: .ok)
        }
        router.get("/trace") { request, _ -> Response in
            let code = try Server.required("code", in: request)
            let journey = try await ledger.trace(code)
            guard !journey.steps.isEmpty else { throw LedgerError.noSuchProduct(code) }
            return try Server.json(encoding: JourneyJSON(journey))
        }
        router.get("/check-listing") { request, _ -> Response in
            let claims = try request.uri.queryParameters.getAll("claim").map { text in
                guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
                    throw FormatError("http.query", "claim '\(text)' is not KEY=VALUE")
                }
                return (key: String(text[..<equals]), value: String(text[text.index(after: equals)...]))
            }
            let result = try await ledger.checkListing(
                code: try Server.required("code", in: request), seller: try Server.required("seller", in: request),
                claims: claims)
            return try Server.json(encoding: result)
        }
        router.get("/bundle") { request, _ -> Response in
            let bundle = try await ledger.bundle(try Server.required("code", in: request))
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            headers[.contentDisposition] = "attachment; filename=\"threadline-bundle.json\""
            headers[.cacheControl] = "no-cache"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bundle.encoded)))
        }
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
            throw FormatError("http.query", "give \(name)=…")
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

/// Every failure as RFC 9457 problem details: a stable `type`, a `title`, the `status` and the `detail`.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as HTTPError {
            return Server.problem(status: error.status, code: "http", detail: error.body ?? "\(error.status)")
        } catch let error as any HTTPResponseError {
            let detail =
                error.status == .contentTooLarge
                ? "the body is larger than this route accepts" : error.status.reasonPhrase
            return Server.problem(status: error.status, code: "http", detail: detail)
        } catch let error as FormatError {
            // More statements than a request may carry is a body too large, as one over the byte limit is.
            switch error.code {
            case "capture.size":
                return Server.problem(status: .contentTooLarge, code: error.code, detail: error.reason)
            case "capture.busy":
                var response = Server.problem(status: .serviceUnavailable, code: error.code, detail: error.reason)
                response.headers[.retryAfter] = "1"
                return response
            default:
                return Server.problem(status: .badRequest, code: error.code, detail: error.reason)
            }
        } catch let error as EPCISValidationError {
            return Server.problem(status: .badRequest, code: "epcis.invalid", detail: error.description)
        } catch let error as LedgerError {
            switch error {
            case .invalidStatement(_, let reason):
                return Server.problem(status: .badRequest, code: reason.code, detail: reason.reason)
            case .refused(_, let reason, _):
                return Server.problem(status: .unprocessableContent, code: reason.code, detail: reason.reason)
            case .noSuchRecord, .badTreeSize, .noSuchProduct:
                return Server.problem(status: .notFound, code: "not-found", detail: error.description)
            case .noOperatorKey, .wrongOperatorKey:
                return Server.problem(status: .serviceUnavailable, code: "operator-key", detail: error.description)
            case .inconsistent:
                return Server.problem(status: .internalServerError, code: "inconsistent", detail: error.description)
            }
        } catch let error as LedgerStoreError {
            return Server.problem(status: .serviceUnavailable, code: "store", detail: error.description)
        }
    }
}

/// Capture jobs (EPCIS 2.0 capture interface): each runs in the background; its status is kept in memory for
/// `lifetime` after it ends (`Specs/17-server.md` §Capture jobs).
///
/// What a job keeps is bounded whatever its request held: its records as ranges of sequence numbers, at most
/// `maxErrors` errors (and how many there were), each detail cut to `maxDetail` characters. At most `maxJobs` are
/// kept (the oldest finished go first) and at most `maxRunning` run at once. A job's id is 128 random bits, so
/// only whoever started it (and was told its `Location`) can read its results.
actor CaptureJobs {
    struct Failure: Sendable {
        let index: Int
        let code: String
        let detail: String

        init(index: Int, code: String, detail: String) {
            self.index = index
            self.code = code
            self.detail = detail.count > CaptureJobs.maxDetail ? detail.prefix(CaptureJobs.maxDetail) + "…" : detail
        }

        init(index: Int, _ error: LedgerError) {
            switch error {
            case .invalidStatement(let i, let reason), .refused(let i, let reason, _):
                self.init(index: i, code: reason.code, detail: reason.reason)
            default: self.init(index: index, code: "capture", detail: error.description)
            }
        }
    }

    /// The most errors a job keeps; `errorCount` says how many there were.
    static let maxErrors = 100
    /// The most characters of an error's detail kept.
    static let maxDetail = 500

    private struct Job {
        var status = "pending"
        let count: Int
        var records: [ClosedRange<Int64>] = []
        var errors: [Failure] = []
        var errorCount = 0
        /// When the job ended; nil while it runs.
        var ended: ContinuousClock.Instant?
    }

    let lifetime: Duration
    let maxJobs: Int
    let maxRunning: Int
    private let now: @Sendable () -> ContinuousClock.Instant
    private var jobs: [String: Job] = [:]
    /// Ended jobs' ids, oldest first (expiry and eviction walk it from the front).
    private var ended: [String] = []
    private var endedStart = 0
    private var running = 0

    init(
        lifetime: Duration = .seconds(3600), maxJobs: Int = 10_000, maxRunning: Int = 64,
        now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }
    ) {
        self.lifetime = lifetime
        self.maxJobs = maxJobs
        self.maxRunning = maxRunning
        self.now = now
    }

    /// Registers a job and starts `work` for it; returns its id, or nil when `maxRunning` jobs are running.
    func start(count: Int, _ work: @escaping @Sendable (String) async -> Void) -> String? {
        expire()
        guard running < maxRunning else { return nil }
        var id = ""
        repeat {
            var random = SystemRandomNumberGenerator()
            id = (0..<2).map { _ in String(random.next() as UInt64, radix: 16).leftPadded(to: 16) }.joined()
        } while jobs[id] != nil
        while jobs.count >= maxJobs, endedStart < ended.count { forgetOldest() }
        jobs[id] = Job(count: count)
        running += 1
        Task { await work(id) }
        return id
    }

    func finish(_ id: String, records: [Int64], errors: [Failure]) {
        running -= 1
        guard var job = jobs[id] else { return }
        for seq in records {
            if let last = job.records.last, last.upperBound + 1 == seq {
                job.records[job.records.count - 1] = last.lowerBound...seq
            } else {
                job.records.append(seq...seq)
            }
        }
        job.errors = Array(errors.prefix(CaptureJobs.maxErrors))
        job.errorCount = errors.count
        job.status = errors.isEmpty ? "success" : (records.isEmpty ? "failure" : "partial")
        job.ended = now()
        jobs[id] = job
        ended.append(id)
    }

    func status(_ id: String) -> JSONValue? {
        expire()
        guard let job = jobs[id] else { return nil }
        return .object([
            .init("id", .string(id)), .init("status", .string(job.status)),
            .init("statements", .number(String(job.count))),
            .init("records", .array(job.records.flatMap { $0.map { .number(String($0)) } })),
            .init("errorCount", .number(String(job.errorCount))),
            .init(
                "errors",
                .array(
                    job.errors.map {
                        .object([
                            .init("index", .number(String($0.index))),
                            .init("type", .string("https://threadline.example/problems/\($0.code)")),
                            .init("detail", .string($0.detail)),
                        ])
                    })),
        ])
    }

    /// How many jobs are kept.
    var count: Int { jobs.count }

    /// Forgets the jobs that ended more than `lifetime` ago.
    private func expire() {
        let limit = now() - lifetime
        while endedStart < ended.count, let end = jobs[ended[endedStart]]?.ended, end <= limit { forgetOldest() }
    }

    private func forgetOldest() {
        jobs[ended[endedStart]] = nil
        endedStart += 1
        if endedStart > 1024 && endedStart * 2 > ended.count {
            ended.removeFirst(endedStart)
            endedStart = 0
        }
    }
}

extension String {
    /// The string with `0`s in front up to `width` characters.
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
