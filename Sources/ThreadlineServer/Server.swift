import Foundation
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

    /// The application over `ledger`, listening on `host`:`port` (tests call this and run it in process).
    public static func buildApplication(
        ledger: Ledger, host: String = "127.0.0.1", port: Int = 8080
    )
        -> some ApplicationProtocol
    {
        let router = Router()
        router.add(middleware: ProblemMiddleware())
        router.get("/checkpoint") { _, _ -> Response in
            let note = try await ledger.checkpoint()
            return Server.text(note.encoded, type: "text/plain; charset=utf-8", cache: "no-cache")
        }
        router.post("/statements") { request, _ -> Response in
            var request = request
            let body = try await request.collectBody(upTo: Server.maxBody)
            let prepared = try Ledger.prepare(submissions: [Array(buffer: body)])
            let range = try await ledger.append(prepared: prepared)
            return Server.json(#"{"seq":\#(range.lowerBound)}"#, status: .created)
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
        router.get("/journey") { request, _ -> Response in
            guard let code = request.uri.queryParameters.get("code") else {
                throw FormatError("http.query", "give code=<Digital Link or EPC URN>")
            }
            let journey = try await ledger.trace(code)
            guard !journey.steps.isEmpty else { throw LedgerError.noSuchProduct(code) }
            let steps = journey.steps.map { step -> JSONValue in
                .object([
                    .init("seq", .number(String(step.seq))), .init("hash", .string(step.hash)),
                    .init("stage", .string(step.stage.rawValue)), .init("eventType", .string(step.event.kind.rawValue)),
                    .init("bizStep", step.event.bizStep.map { .string($0) } ?? .null),
                    .init("eventTime", .string(Timestamp.format(millis: step.event.eventTime.millis))),
                    .init("participant", step.participant.map { .string($0.id) } ?? .null),
                    .init("certifications", .array(step.event.certificationInfo.map { .string($0) })),
                ])
            }
            let body = JSONValue.object([
                .init("identifier", .string(journey.identifier)), .init("recalled", .bool(journey.isRecalled)),
                .init("steps", .array(steps)),
            ])
            return Server.json(body.serialized, status: .ok)
        }
        return Application(router: router, configuration: .init(address: .hostname(host, port: port)))
    }

    static func text(_ text: String, type: String, cache: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        headers[.cacheControl] = cache
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func json(_ text: String, status: HTTPResponse.Status) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
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
            return Self.problem(status: error.status, code: "http", detail: error.body ?? "\(error.status)")
        } catch let error as FormatError {
            return Self.problem(status: .badRequest, code: error.code, detail: error.reason)
        } catch let error as EPCISValidationError {
            return Self.problem(status: .badRequest, code: "epcis.invalid", detail: error.description)
        } catch let error as LedgerError {
            switch error {
            case .invalidStatement(_, let reason):
                return Self.problem(status: .badRequest, code: reason.code, detail: reason.reason)
            case .refused(_, let reason, _):
                return Self.problem(status: .unprocessableContent, code: reason.code, detail: reason.reason)
            case .noSuchRecord, .badTreeSize, .noSuchProduct:
                return Self.problem(status: .notFound, code: "not-found", detail: error.description)
            case .noOperatorKey, .wrongOperatorKey:
                return Self.problem(status: .serviceUnavailable, code: "operator-key", detail: error.description)
            case .inconsistent:
                return Self.problem(status: .internalServerError, code: "inconsistent", detail: error.description)
            }
        } catch let error as LedgerStoreError {
            return Self.problem(status: .serviceUnavailable, code: "store", detail: error.description)
        }
    }

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
}
