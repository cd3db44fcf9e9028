import EPCIS
import Foundation
import GS1Identifiers
import HTTPTypes
import Hummingbird
import LedgerStore
import Statements
import Threadline
import TransparencyLog

/// The server as a witness (C2SP tlog-witness `add-checkpoint`; `Specs/15-witness.md` §1).
struct WitnessRoutes: Sendable {
    let role: Server.WitnessRole

    var routes: RouteCollection<ServerContext> {
        let routes = RouteCollection(context: ServerContext.self)
        routes.post("/add-checkpoint") { request, _ -> Response in
            var request = request
            let body = try await request.collectBody(upTo: 64 << 10)
            let submitted = try WitnessRequest(parsing: String(buffer: body))
            let outcome = try StateFile.locked(role.statePath) { state in
                let outcome = role.witness.addCheckpoint(
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
            // The problem types of C2SP tlog-witness's statuses.
            case .unknownOrigin(let why): return Server.problem(status: .notFound, code: "witness.origin", detail: why)
            case .forbidden(let why): return Server.problem(status: .forbidden, code: "witness.signature", detail: why)
            case .badRequest(let why): return Server.problem(status: .badRequest, code: "witness.request", detail: why)
            case .unprocessable(let why):
                return Server.problem(status: .unprocessableContent, code: "witness.proof", detail: why)
            }
        }
        return routes
    }
}
