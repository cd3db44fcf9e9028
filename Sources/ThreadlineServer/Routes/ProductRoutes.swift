import EPCIS
import Foundation
import GS1Identifiers
import HTTPTypes
import Hummingbird
import LedgerStore
import Statements
import Threadline
import TransparencyLog

/// What the ledger says about a product (`Specs/17-server.md` §Routes): its journey, a listing check, the offline
/// bundle, and its brand's product data.
struct ProductRoutes: Sendable {
    let ledger: Ledger
    let gate: ReadGate

    var routes: RouteCollection<ServerContext> {
        let routes = RouteCollection(context: ServerContext.self)
        routes.get("/trace") { request, _ -> Response in
            let code = try Server.code(in: request)
            let admitted = try await gate.admit(.trace, request)
            let journey = admitted.policy.visibleJourney(
                try await ledger.trace(code, registry: admitted.policy.registry), reader: admitted.reader)
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
            let (code, seller) = (try Server.code(in: request), try Server.required("seller", in: request))
            let at = try Server.time("at", in: request) ?? Timestamp.nowMicros
            let admitted = try await gate.admit(.checkListing, request)
            let result = try await ledger.checkListing(
                code: code, seller: seller, claims: claims, registry: admitted.policy.registry, at: at)
            return try Server.json(encoding: result)
        }
        routes.get("/products/:gtin") { request, context -> Response in
            _ = try await gate.admit(.productData, request)
            let gtin = try GTIN(try context.parameters.require("gtin")).digits
            guard let (note, entry) = try await ledger.provedProduct(gtin: gtin) else {
                throw NotFound("no product data is recorded for GTIN \(gtin)")
            }
            let body = JSONValue.object([
                .init("checkpoint", .string(note.encoded)), .init("records", ProductBundle.records([entry])),
            ])
            return Server.text(body.serialized, type: "application/json", cache: "no-cache")
        }
        routes.get("/bundle") { request, _ -> Response in
            let code = try Server.code(in: request)
            let admitted = try await gate.admit(.bundle, request)
            let bundle = try await ledger.bundle(code, for: admitted.reader, publicReads: gate.publicReads)
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            headers[.contentDisposition] = "attachment; filename=\"threadline-bundle.json\""
            headers[.cacheControl] = gate.publicReads ? "no-cache" : "private, no-cache"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bundle.encoded)))
        }
        return routes
    }
}
