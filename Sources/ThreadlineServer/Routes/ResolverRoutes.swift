import EPCIS
import Foundation
import GS1Identifiers
import HTTPTypes
import Hummingbird
import LedgerRules
import LedgerStore
import Statements
import Threadline
import TransparencyLog

/// The GS1 Digital Link resolver (`Specs/17-server.md` §Resolver and consumer page): what a label's QR code
/// opens — the consumer page, a linkset, the journey as JSON, or the EPCIS query — and the resolver description.
struct ResolverRoutes: Sendable {
    let ledger: Ledger
    let gate: ReadGate
    /// The server's public address, for absolute links.
    let base: String

    var routes: RouteCollection<ServerContext> {
        let routes = RouteCollection(context: ServerContext.self)
        // The GS1 Digital Link resolver: what a label's QR code opens.
        for pattern in ["/01/:gtin", "/01/:gtin/10/:lot", "/01/:gtin/21/:serial", "/01/:gtin/10/:lot/21/:serial"] {
            routes.get(RouterPath(pattern)) { request, context -> Response in
                let gtin = try GTIN(try context.parameters.require("gtin"))
                // A value's escapes are decoded once here; a malformed one is refused, as everywhere (07 §canonical).
                func value(_ name: String) throws -> String? {
                    try context.parameters.get(name).map { text in
                        guard let decoded = text.removingPercentEncoding else {
                            throw GS1Error(.codeInvalid, "the \(name) '\(text)' has a malformed %-escape")
                        }
                        return decoded
                    }
                }
                let link = DigitalLink(.product(gtin: gtin, lot: try value("lot"), serial: try value("serial")))
                var response = try await answer(request, link: link, gtin: gtin)
                response.headers[Resolver.linkHeader] =
                    "<\(base + Resolver.path(of: link))?linkType=linkset>; rel=\"linkset\"; "
                    + "type=\"application/linkset+json\""
                return response
            }
        }
        routes.get("/.well-known/gs1resolver") { _, _ -> Response in
            Server.json(Resolver.description(base: base).serialized, status: .ok)
        }
        // A compressed Digital Link (one path segment of base64url): not supported, and said so.
        routes.get("/:compressed") { _, context -> Response in
            let segment = try context.parameters.require("compressed")
            guard Resolver.isCompressedLink(segment) else { throw NotFound("there is no resource /\(segment)") }
            throw ServerError(
                .resolverCompressed,
                "compressed Digital Links are not supported: give the uncompressed form, /01/<gtin>[/10/<lot>]"
                    + "[/21/<serial>]")
        }
        return routes
    }

    /// The answer to a product's Digital Link (before the resolver's headers).
    private func answer(_ request: Request, link: DigitalLink, gtin: GTIN) async throws -> Response {
        let assessment = try await ledger.assess(link.uri)
        let journey = assessment.journey
        let answer = Resolver.answer(to: request)
        // A code nobody recorded is a page that says so (404); any other answer, a problem.
        guard !journey.steps.isEmpty || answer == .page else { throw LedgerError.noSuchProduct(link.uri) }
        switch answer {
        case .linkset:
            return Server.json(
                Resolver.linkset(for: link, base: base).serialized, status: .ok,
                type: "application/linkset+json")
        case .traceability:
            // The journey as `/trace` gives it to a reader who may trace; the consumer view to anyone else.
            let admitted = try await gate.identify(request, for: .trace)
            guard admitted.access != .refused else {
                return try Server.json(encoding: JourneyJSON(journey, consumerView: true))
            }
            let visible = admitted.policy.visibleJourney(journey, reader: admitted.reader)
            guard !visible.steps.isEmpty else { throw LedgerError.noSuchProduct(link.uri) }
            return try Server.json(encoding: JourneyJSON(visible))
        case .epcis:
            // The query string goes along (but the link type, which chose the redirect).
            var headers = HTTPFields()
            let passed = request.uri.queryParameters.filter { $0.key != "linkType" }.map {
                Resolver.escaped(String($0.key)) + "=" + Resolver.escaped(String($0.value))
            }
            headers[.location] = ([Resolver.epcisQuery(for: link)] + passed).joined(separator: "&")
            return Response(status: .temporaryRedirect, headers: headers)
        case .page: break
        }
        let words = Localizer(
            Catalogue.shared.language(
                query: request.uri.queryParameters.get("lang"), acceptLanguage: request.headers[.acceptLanguage]
            ))
        let (proofs, entries) =
            journey.steps.isEmpty ? ([], []) : try await ledger.inclusionProofs(journey.steps.map(\.seq))
        let html = ConsumerPage.render(
            assessment, story: ProductStory(assessment),
            content: try await content(of: journey, gtin: gtin.digits, path: request.uri.path), proofs: proofs,
            entries: entries, log: ledger.operatorVerifier, words: words)
        var response = Server.text(html, type: "text/html; charset=utf-8", cache: "no-cache")
        response.status = journey.steps.isEmpty ? .notFound : .ok
        response.headers[.contentLanguage] = words.language
        response.headers[.vary] = "Accept, Accept-Language"
        return response
    }

    /// What the page shows besides the journey: the product data of its GTIN and of its materials' GTINs.
    func content(of journey: Journey, gtin: String, path: String) async throws -> ConsumerPage.Content {
        var content = ConsumerPage.Content(product: try await ledger.product(gtin: gtin)?.product, path: path)
        let gtins = Set(
            ReadPolicy.journeyIdentifiers(of: journey).map(DigitalLink.canonical).compactMap(
                DigitalLink.gtin(inCanonical:)))
        for other in gtins.sorted() where other != gtin {
            content.materials[other] = try await ledger.product(gtin: other)?.product
        }
        return content
    }
}
