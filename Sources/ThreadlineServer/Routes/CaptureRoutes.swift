import EPCIS
import Foundation
import GS1Identifiers
import HTTPTypes
import Hummingbird
import LedgerStore
import Statements
import Threadline
import TransparencyLog

/// Capture and query (`Specs/17-server.md` §Routes, §Capture jobs): the EPCIS 2.0 capture interface (one event
/// statement, or a job of many), Threadline's own statements route, and EPCIS queries.
struct CaptureRoutes: Sendable {
    let ledger: Ledger
    let gate: ReadGate
    let jobs: CaptureJobs
    let budget: BodyBudget
    /// Whether plain event statements are refused (`serve --require-sealed`).
    let requireSealed: Bool

    init(ledger: Ledger, gate: ReadGate, limits: Server.Limits, requireSealed: Bool) {
        self.ledger = ledger
        self.gate = gate
        self.requireSealed = requireSealed
        self.jobs = CaptureJobs(lifetime: limits.captureJobLifetime)
        self.budget = BodyBudget(limits.captureMemory)
    }

    var routes: RouteCollection<ServerContext> {
        let routes = RouteCollection(context: ServerContext.self)
        routes.post("/events") { request, _ -> Response in
            var request = request
            let body = try await request.collectBody(upTo: Server.maxBody)
            let prepared = try await Server.capture(
                [Array(buffer: body)], eventsOnly: true, requireSealed: requireSealed, ledger: ledger)
            let range = try await ledger.append(prepared: prepared)
            return Server.json(#"{"seq":\#(range.lowerBound)}"#, status: .created)
        }
        routes.post("/capture") { request, _ -> Response in
            var request = request
            let (body, reservation) = try await captureBody(&request)
            let submissions = try await Server.offload { try Server.envelopes(body) }
            let atomic = request.headers[HTTPField.Name("GS1-Capture-Error-Behaviour")!] != "proceed"
            let started = await jobs.start(count: submissions.count) { job in
                // The job holds the body (its statements are slices of it) until it ends.
                defer { withExtendedLifetime(reservation) {} }
                do {
                    let prepared = try await Server.capture(
                        submissions, eventsOnly: true, requireSealed: requireSealed, ledger: ledger)
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
                } catch let error as any CodedError {
                    await jobs.finish(
                        job, records: [], errors: [.init(index: 0, code: error.codeName, detail: error.reason)])
                } catch {
                    await jobs.finish(job, records: [], errors: [.init(index: 0, code: "capture", detail: "\(error)")])
                }
            }
            guard let id = started else {
                var response = Server.problem(
                    status: .serviceUnavailable, code: ServerCode.captureBusy.rawValue,
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
        routes.get("/capture/:id") { _, context -> Response in
            let id = try context.parameters.require("id")
            guard let job = await jobs.status(id) else {
                throw NotFound("there is no capture job \(id) (a job is kept for a while after it ends)")
            }
            return Server.json(job.serialized, status: .ok)
        }
        routes.post("/statements") { request, _ -> Response in
            var request = request
            let (body, reservation) = try await captureBody(&request)
            defer { withExtendedLifetime(reservation) {} }
            // The body and its slices are needed only until the statements are prepared: a function of their own
            // frees them then, before the append builds the records.
            @Sendable func prepare(_ body: [UInt8]) async throws -> (PreparedStatements, counted: Bool) {
                let submissions = try await Server.offload { try Server.envelopes(body) }
                guard !submissions.isEmpty else { throw ServerError(.captureBody, "the body holds no envelope") }
                let firstByte = body.first(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) })
                return (
                    try await Server.capture(
                        submissions, eventsOnly: false, requireSealed: requireSealed, ledger: ledger),
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
        routes.get("/events") { request, _ -> Response in
            let query = try EventQuery(
                parameters: request.uri.queryParameters.map { (String($0.key), String($0.value)) })
            let admitted = try await gate.admit(.events, request)
            let (policy, reader) = (admitted.policy, admitted.reader)
            let page = try await ledger.page(query) {
                policy.sees(signers: $0.signers, event: $0.event, reader: reader)
            }
            let now = Timestamp.format(millis: Int64(Date().timeIntervalSince1970 * 1000))
            return Server.json(try EventQuery.document(page, creationDate: now).serialized, status: .ok)
        }
        return routes
    }

    /// The body of a capture request, read once its size fits the budget; the reservation lives as long as the
    /// body is needed.
    @Sendable func captureBody(_ request: inout Request) async throws -> ([UInt8], BodyBudget.Reservation) {
        let declared = request.headers[.contentLength].flatMap { Int($0) } ?? Server.maxCaptureBody
        guard declared <= Server.maxCaptureBody else { throw HTTPError(.contentTooLarge) }
        guard let reservation = budget.reserve(max(declared, 1)) else {
            throw ServerError(
                .captureBusy, "the server is reading as many capture bodies as it can hold; try again shortly")
        }
        return (Array(buffer: try await request.collectBody(upTo: Server.maxCaptureBody)), reservation)
    }
}
