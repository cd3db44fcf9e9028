import Foundation
import HTTPTypes
import Hummingbird
import LedgerStore
import Provenance
import Threadline
import TransparencyLog

/// Threadline's HTTP server (`Specs/17-server.md`), first increment: capture of pre-signed statements under the
/// ledger's rules (answered once durable, sharing transactions with concurrent requests), and verifiable reads —
/// the checkpoint, records, inclusion and consistency proofs, and a product's journey as JSON.
public enum Server {
    /// The largest request body accepted (a statement is at most 64 KiB − 1 as a record).
    public static let maxBody = 1 << 20
    /// The largest capture body (many statements).
    public static let maxCaptureBody = 256 << 20

    /// The envelopes of a capture body: one DSSE envelope, a JSON array of them, or JSON objects one after another
    /// (JSON Lines). Objects are found by scanning bytes (strings and nesting), not by parsing: each envelope is
    /// parsed once, by `Ledger.prepare`.
    static func envelopes(_ body: [UInt8]) throws -> [[UInt8]] {
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }
        if body.first(where: { !isSpace($0) }) == UInt8(ascii: "[") {
            guard case .array(let elements) = try JSONValue(parsing: body) else {
                throw FormatError("capture.body", "the capture body is not an array of envelopes")
            }
            return elements.map { Array($0.serialized.utf8) }
        }
        var values: [[UInt8]] = []
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
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                if depth == 0 {
                    guard byte == UInt8(ascii: "{") else {
                        throw FormatError("capture.body", "byte \(i) starts something other than an envelope")
                    }
                    start = i
                }
                depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                guard depth >= 0 else { throw FormatError("capture.body", "byte \(i) closes nothing") }
                if depth == 0 { values.append(Array(body[start...i])) }
            default:
                guard depth > 0 || isSpace(byte) else {
                    throw FormatError("capture.body", "byte \(i) is outside any envelope")
                }
            }
        }
        guard depth == 0, !inString else { throw FormatError("envelope.json", "the body ends inside an envelope") }
        return values
    }

    /// Submissions checked for appending by a capture route: every signer must be a registered participant's
    /// current key (or the operator's), checked again under the append's sequencing; the EPCIS routes take only
    /// event statements.
    static func capture(_ submissions: [[UInt8]], eventsOnly: Bool) throws -> PreparedStatements {
        var prepared = try Ledger.prepare(submissions: submissions)
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
        limits: Limits = Limits(), onRunning: @escaping @Sendable (_ port: Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let registry = Server.metrics
        let router = Router(context: ServerContext.self)
        router.add(middleware: ProblemMiddleware())
        router.add(middleware: LogRequestsMiddleware(.debug))
        router.add(middleware: MetricsMiddleware())
        if limits.requestsPerSecond > 0 {
            router.add(middleware: RateLimitMiddleware(rate: limits.requestsPerSecond, burst: limits.burst))
        }
        router.add(middleware: TimeoutMiddleware(timeout: limits.requestTimeout))
        router.get("/metrics") { _, _ -> Response in
            Server.text(registry.emitToString(), type: "text/plain; version=0.0.4; charset=utf-8", cache: "no-store")
        }
        let jobs = CaptureJobs()
        router.post("/events") { request, _ -> Response in
            var request = request
            let body = try await request.collectBody(upTo: Server.maxBody)
            let prepared = try Server.capture([Array(buffer: body)], eventsOnly: true)
            let range = try await ledger.append(prepared: prepared)
            return Server.json(#"{"seq":\#(range.lowerBound)}"#, status: .created)
        }
        router.post("/capture") { request, _ -> Response in
            var request = request
            let body = try await request.collectBody(upTo: Server.maxCaptureBody)
            let submissions = try Server.envelopes(Array(buffer: body))
            let atomic = request.headers[HTTPField.Name("GS1-Capture-Error-Behaviour")!] != "proceed"
            let id = await jobs.start(count: submissions.count) { job in
                do {
                    let prepared = try Server.capture(submissions, eventsOnly: true)
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
            let body = Array(buffer: try await request.collectBody(upTo: Server.maxCaptureBody))
            let submissions = try Server.envelopes(body)
            guard !submissions.isEmpty else { throw FormatError("capture.body", "the body holds no envelope") }
            let range = try await ledger.append(prepared: try Server.capture(submissions, eventsOnly: false))
            var fields: [JSONValue.Member] = [.init("seq", .number(String(range.lowerBound)))]
            let firstByte = body.first(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) })
            if submissions.count > 1 || firstByte != UInt8(ascii: "{") {
                fields.append(.init("count", .number(String(range.count))))
            }
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
                let link = DigitalLink(
                    .product(
                        gtin: gtin, lot: context.parameters.get("lot").map { $0.removingPercentEncoding ?? $0 },
                        serial: context.parameters.get("serial").map { $0.removingPercentEncoding ?? $0 }))
                let journey = try await ledger.trace(link.uri)
                guard !journey.steps.isEmpty else { throw LedgerError.noSuchProduct(link.uri) }
                switch Resolver.answer(to: request) {
                case .linkset:
                    return Server.json(
                        Resolver.linkset(for: link, base: Resolver.base(of: request)).serialized, status: .ok,
                        type: "application/linkset+json")
                case .traceability: return try Server.json(encoding: JourneyJSON(journey))
                case .epcis:
                    var headers = HTTPFields()
                    headers[.location] = Resolver.epcisQuery(for: link)
                    return Response(status: .temporaryRedirect, headers: headers)
                case .page: break
                }
                // The proofs are read while the integrity rules run.
                async let proven = ledger.inclusionProofs(journey.steps.map(\.seq))
                let registry = try await ledger.currentRegistry()
                let integrity = IntegrityRules.check(
                    journey.steps.map { IntegrityRules.Step(seq: $0.seq, event: $0.event, recorder: $0.participant) },
                    registry: registry)
                let (proofs, entries) = try await proven
                let html = ConsumerPage.render(
                    journey: journey, proofs: proofs, entries: entries, log: ledger.operatorVerifier,
                    registry: registry,
                    integrity: integrity)
                return Server.text(html, type: "text/html; charset=utf-8", cache: "no-cache")
            }
        }
        router.get("/.well-known/gs1resolver") { request, _ -> Response in
            Server.json(Resolver.description(base: Resolver.base(of: request)).serialized, status: .ok)
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
            return Server.problem(status: .badRequest, code: error.code, detail: error.reason)
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

/// Capture jobs (EPCIS 2.0 capture interface): each runs in the background; its status is kept in memory.
actor CaptureJobs {
    struct Failure: Sendable {
        let index: Int
        let code: String
        let detail: String

        init(index: Int, code: String, detail: String) {
            self.index = index
            self.code = code
            self.detail = detail
        }

        init(index: Int, _ error: LedgerError) {
            switch error {
            case .invalidStatement(let i, let reason), .refused(let i, let reason, _):
                self.init(index: i, code: reason.code, detail: reason.reason)
            default: self.init(index: index, code: "capture", detail: error.description)
            }
        }
    }

    private struct Job {
        var status: String
        let count: Int
        var records: [Int64] = []
        var errors: [Failure] = []
    }

    private var jobs: [String: Job] = [:]
    private var next = 0

    /// Registers a job and starts `work` for it; returns its id.
    func start(count: Int, _ work: @escaping @Sendable (String) async -> Void) -> String {
        next += 1
        let id = String(next)
        jobs[id] = Job(status: "pending", count: count)
        Task { await work(id) }
        return id
    }

    func finish(_ id: String, records: [Int64], errors: [Failure]) {
        jobs[id]?.records = records
        jobs[id]?.errors = errors
        jobs[id]?.status = errors.isEmpty ? "success" : (records.isEmpty ? "failure" : "partial")
    }

    func status(_ id: String) -> JSONValue? {
        guard let job = jobs[id] else { return nil }
        return .object([
            .init("id", .string(id)), .init("status", .string(job.status)),
            .init("statements", .number(String(job.count))),
            .init("records", .array(job.records.map { .number(String($0)) })),
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
}
