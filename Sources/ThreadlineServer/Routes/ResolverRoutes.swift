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
    /// The limits on guessing hidden codes.
    let guardian = CodeGuard()

    var routes: RouteCollection<ServerContext> {
        let routes = RouteCollection(context: ServerContext.self)
        // The GS1 Digital Link resolver: what a label's QR code opens.
        for pattern in ["/01/:gtin", "/01/:gtin/10/:lot", "/01/:gtin/21/:serial", "/01/:gtin/10/:lot/21/:serial"] {
            routes.get(RouterPath(pattern)) { request, context -> Response in
                let (link, gtin) = try Self.link(context)
                var response = try await answer(request, link: link, gtin: gtin)
                response.headers[Resolver.linkHeader] = Resolver.linksetLink(for: link, base: base)
                return response
            }
            // The hidden code's form posts to the product's own link (24 §7).
            guard pattern.hasSuffix(":serial") else { continue }
            routes.post(RouterPath(pattern)) { request, context -> Response in
                let (link, gtin) = try Self.link(context)
                let form = Resolver.form(try await request.body.collect(upTo: 4096))
                let outcome = try await check(
                    form["code"] ?? "", product: link.uri,
                    client: context.remoteAddress?.ipAddress ?? "unknown")
                var response = try await page(request, link: link, gtin: gtin, code: outcome)
                if outcome == .limited { response.status = .tooManyRequests }
                response.headers[Resolver.linkHeader] = Resolver.linksetLink(for: link, base: base)
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

    /// The Digital Link a route's parameters name, and its GTIN. A value's escapes are decoded once here; a
    /// malformed one is refused, as everywhere (07 §canonical).
    static func link(_ context: ServerContext) throws -> (DigitalLink, GTIN) {
        let gtin = try GTIN(try context.parameters.require("gtin"))
        func value(_ name: String) throws -> String? {
            try context.parameters.get(name).map { text in
                guard let decoded = text.removingPercentEncoding else {
                    throw GS1Error(.codeInvalid, "the \(name) '\(text)' has a malformed %-escape")
                }
                return decoded
            }
        }
        return (DigitalLink(.product(gtin: gtin, lot: try value("lot"), serial: try value("serial"))), gtin)
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
        case .passport:
            // Issued by the operator, the only key the server holds (a brand issues its own with `passport --as`).
            guard let key = ledger.operatorSigningKey else { throw LedgerError.noOperatorKey }
            let sources = try await ledger.passportSources(link.uri)
            let passport = ProductPassport(
                sources, issuer: (ProductPassport.didKey(key.verifier.publicKey), ledger.metadata.origin),
                millis: Int64(Date().timeIntervalSince1970 * 1000), id: "urn:uuid:" + UUID().uuidString.lowercased())
            return Server.text(try passport.jws(signedBy: key), type: "application/vc+jwt", cache: "no-cache")
        case .page: break
        }
        return try await page(request, link: link, gtin: gtin, assessment: assessment)
    }

    /// What an entered hidden code came to, on the page.
    enum CodeOutcome: Equatable {
        case checked(Ledger.CodeCheck)
        /// Not a code's form at all.
        case invalid
        /// Too many tries for the serial or from the client.
        case limited
    }

    /// Checks an entered code under the limits on guessing.
    private func check(_ entered: String, product: String, client: String) async throws -> CodeOutcome {
        guard HiddenCode.normalized(entered) != nil else { return .invalid }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        guard await guardian.admit(serial: product, client: client, now: now) else { return .limited }
        let ledger = self.ledger
        let result = try await guardian.limited { try await ledger.checkCode(entered, product: product) }
        if result == .wrong { await guardian.failed(serial: product, now: now) }
        return .checked(result)
    }

    /// The consumer page of `link` (the product `assessment` gives, else assessed now), with the outcome of an
    /// entered code.
    private func page(
        _ request: Request, link: DigitalLink, gtin: GTIN, assessment given: Assessment? = nil,
        code: CodeOutcome? = nil
    ) async throws -> Response {
        let assessment: Assessment
        if let given { assessment = given } else { assessment = try await ledger.assess(link.uri) }
        let journey = assessment.journey
        let words = Localizer(
            Catalogue.shared.language(
                query: request.uri.queryParameters.get("lang"), acceptLanguage: request.headers[.acceptLanguage]))
        let (proofs, entries) =
            journey.steps.isEmpty ? ([], []) : try await ledger.inclusionProofs(journey.steps.map(\.seq))
        var content = try await content(of: journey, gtin: gtin.digits, path: request.uri.path)
        if link.uri.contains("/21/"), try await ledger.commitment(of: link.uri) != nil {
            content.code = ConsumerPage.CodeBox(outcome: code)
        }
        let html = ConsumerPage.render(
            assessment, story: ProductStory(assessment), content: content, proofs: proofs, entries: entries,
            log: ledger.operatorVerifier, words: words)
        var response = Server.text(html, type: "text/html; charset=utf-8", cache: "no-cache")
        response.status = journey.steps.isEmpty ? .notFound : .ok
        response.headers[.contentLanguage] = words.language
        response.headers[.vary] = "Accept, Accept-Language"
        return response
    }

    /// What the page shows besides the journey: the product data of its GTIN and of its materials' GTINs.
    func content(of journey: Journey, gtin: String, path: String) async throws -> ConsumerPage.Content {
        let (product, others) = try await ledger.productData(of: journey)
        var content = ConsumerPage.Content(product: product, path: path)
        content.materials = others
        return content
    }
}
