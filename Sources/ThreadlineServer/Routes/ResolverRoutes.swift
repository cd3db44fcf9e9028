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
                let assessment = try await ledger.assess(link.uri)
                let journey = assessment.journey
                guard !journey.steps.isEmpty else { throw LedgerError.noSuchProduct(link.uri) }
                switch Resolver.answer(to: request) {
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
        routes.get("/.well-known/gs1resolver") { _, _ -> Response in
            Server.json(Resolver.description(base: base).serialized, status: .ok)
        }
        return routes
    }
}
