import EPCIS
import Foundation
import GS1Identifiers
import HTTPTypes
import Hummingbird
import LedgerStore
import Statements
import Threadline
import TransparencyLog

/// What the ledger says about a product (`Specs/17-server.md` §Routes): its journey, a listing check, and the
/// offline bundle.
struct ProductRoutes: Sendable {
    let ledger: Ledger

    var routes: RouteCollection<ServerContext> {
        let routes = RouteCollection(context: ServerContext.self)
        routes.get("/trace") { request, _ -> Response in
            let code = try Server.required("code", in: request)
            let journey = try await ledger.trace(code)
            guard !journey.steps.isEmpty else { throw LedgerError.noSuchProduct(code) }
            return try Server.json(encoding: JourneyJSON(journey))
        }
        routes.get("/check-listing") { request, _ -> Response in
            let claims = try request.uri.queryParameters.getAll("claim").map { text in
                guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
                    throw ServerError(.httpQuery, "claim '\(text)' is not KEY=VALUE")
                }
                return (key: String(text[..<equals]), value: String(text[text.index(after: equals)...]))
            }
            let result = try await ledger.checkListing(
                code: try Server.required("code", in: request), seller: try Server.required("seller", in: request),
                claims: claims)
            return try Server.json(encoding: result)
        }
        routes.get("/bundle") { request, _ -> Response in
            let bundle = try await ledger.bundle(try Server.required("code", in: request))
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            headers[.contentDisposition] = "attachment; filename=\"threadline-bundle.json\""
            headers[.cacheControl] = "no-cache"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bundle.encoded)))
        }
        return routes
    }
}
