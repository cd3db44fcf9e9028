import EPCIS
import Foundation
import GS1Identifiers
import HTTPTypes
import Hummingbird

/// The GS1 Digital Link resolver conventions (GS1-Conformant Resolver standard 1.2) for `/01/…`
/// (`Specs/17-server.md` §Resolver): which link a request asks for, the linkset listing them, and the
/// resolver description at `/.well-known/gs1resolver`.
enum Resolver {
    /// What a request to a product's Digital Link is answered with.
    enum Answer: Equatable {
        /// The consumer page (`gs1:pip`, the default link).
        case page
        /// The journey as JSON (`gs1:traceability`, or `Accept: application/json`).
        case traceability
        /// A redirect to the EPCIS query of the product's events (`gs1:epcis`).
        case epcis
        /// The product's Digital Product Passport (`gs1:sustainabilityInfo`, or UNTP's `dpp` link type), a VC-JOSE
        /// credential.
        case passport
        /// Every link, as an RFC 9264 linkset (`linkType=linkset` or `all`, or `Accept: application/linkset+json`).
        case linkset
    }

    static let vocabulary = "https://ref.gs1.org/voc/"
    /// UNTP's link type of a Digital Product Passport.
    static let untpPassport = "https://test.uncefact.org/vocabulary/linkTypes/dpp"

    /// The `Link` header (RFC 8288), which HTTPTypes does not name.
    static let linkHeader = HTTPField.Name("Link")!  // a valid field name: never nil

    /// RFC 3986 unreserved characters: what a query value keeps unescaped.
    static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    static func escaped(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: unreserved) ?? value
    }

    /// The link `request` asks for. An unknown link type gets the default link, as the standard asks.
    static func answer(to request: Request) -> Answer {
        let accept = request.headers[.accept] ?? ""
        if let linkType = request.uri.queryParameters.get("linkType") {
            if linkType == untpPassport || linkType == "untp:dpp" { return .passport }
            let term = linkType.hasPrefix(vocabulary) ? String(linkType.dropFirst(vocabulary.count)) : linkType
            switch term.hasPrefix("gs1:") ? String(term.dropFirst(4)) : term {
            case "linkset", "all": return .linkset
            case "traceability": return .traceability
            case "epcis": return .epcis
            case "sustainabilityInfo": return .passport
            default: return .page
            }
        }
        if accept.contains("application/linkset+json") { return .linkset }
        if accept.contains("application/json") { return .traceability }
        return .page
    }

    /// The `Link` header value naming a Digital Link's linkset.
    static func linksetLink(for link: DigitalLink, base: String) -> String {
        "<\(base + path(of: link))?linkType=linkset>; rel=\"linkset\"; type=\"application/linkset+json\""
    }

    /// The fields of an HTML form's body (`application/x-www-form-urlencoded`): names to values, `+` a space,
    /// escapes decoded; a malformed pair is left out.
    static func form(_ body: ByteBuffer) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in String(buffer: body).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decoded(_ text: Substring) -> String? {
                text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
            }
            guard parts.count == 2, let name = decoded(parts[0]), let value = decoded(parts[1]) else { continue }
            fields[name] = value
        }
        return fields
    }

    /// A Digital Link's path on this resolver: `/01/<gtin>[/10/<lot>][/21/<serial>]`.
    static func path(of link: DigitalLink) -> String { String(link.uri.dropFirst(link.base.count)) }

    /// Whether a one-segment path is a compressed Digital Link (GS1 Digital Link 1.2 §8): 10 or more characters of
    /// base64url, not all lower-case letters (the server's own one-word routes, like `/checkpoint`, are those).
    static func isCompressedLink(_ segment: String) -> Bool {
        segment.utf8.count >= 10
            && segment.utf8.allSatisfy { Base64URLAlphabet.contains($0) }
            && !segment.utf8.allSatisfy { (0x61...0x7A).contains($0) }
    }

    /// Whether `path` is the resolver's: a Digital Link, compressed or not, or its description.
    static func isResolverPath(_ path: String) -> Bool {
        path.hasPrefix("/01/") || path == "/.well-known/gs1resolver"
            || (path.dropFirst().allSatisfy { $0 != "/" } && isCompressedLink(String(path.dropFirst())))
    }

    private static let Base64URLAlphabet = Set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// The EPCIS query (11 §3) for the product's own events.
    static func epcisQuery(for link: DigitalLink) -> String {
        "/events?MATCH_epc=" + escaped(link.uri)
    }

    /// The linkset of a product's Digital Link: its page, its journey as JSON, and its EPCIS events.
    static func linkset(for link: DigitalLink, base: String) -> JSONValue {
        let path = path(of: link)
        let code = escaped(link.uri)
        // The page speaks every language of the catalogue; the JSON answers are data.
        func target(_ href: String, _ title: String, _ type: String, languages: [String] = []) -> JSONValue {
            var members: [JSONValue.Member] = [
                .init("href", .string(href)), .init("title", .string(title)), .init("type", .string(type)),
            ]
            if !languages.isEmpty { members.append(.init("hreflang", .array(languages.map(JSONValue.string)))) }
            return .array([.object(members)])
        }
        let languages = Catalogue.shared.languages.map(\.tag)
        return .object([
            .init(
                "linkset",
                .array([
                    .object([
                        .init("anchor", .string(base + path)),
                        .init(
                            vocabulary + "defaultLink",
                            target(base + path, "The product's passport", "text/html", languages: languages)),
                        .init(
                            vocabulary + "pip",
                            target(base + path, "The product's passport", "text/html", languages: languages)),
                        .init(
                            vocabulary + "traceability",
                            target(base + "/trace?code=" + code, "The journey as JSON", "application/json")),
                        .init(
                            vocabulary + "sustainabilityInfo",
                            target(
                                base + path + "?linkType=gs1:sustainabilityInfo",
                                "The product's Digital Product Passport",
                                "application/vc+jwt")),
                        .init(
                            vocabulary + "epcis",
                            target(base + epcisQuery(for: link), "The product's EPCIS events", "application/json")),
                    ])
                ]))
        ])
    }

    /// The resolver description file (`/.well-known/gs1resolver`).
    static func description(base: String) -> JSONValue {
        .object([
            .init("name", .string("Threadline")), .init("resolverRoot", .string(base)),
            .init("supportedPrimaryKeys", .array([.string("01")])),
            .init(
                "supportedLinkType",
                .array([.object([.init("namespace", .string(vocabulary)), .init("prefix", .string("gs1:"))])])),
            .init("linkTypeDefaultCanBeLinkset", .bool(false)),
        ])
    }
}

/// What browsers and the GS1-Conformant Resolver standard need of every answer under the resolver's paths
/// (`Specs/17-server.md` §Resolver), problems included: CORS (any origin may read a product's public answers, and a
/// preflight `OPTIONS` is answered here, `204`). The `Link` to the linkset is added by each resolved answer.
struct ResolverHeaders<Context: RequestContext>: RouterMiddleware {
    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard Resolver.isResolverPath(request.uri.path) else { return try await next(request, context) }
        var response: Response
        if request.method == .options {
            response = Response(status: .noContent)
            response.headers[.allow] = "GET, HEAD, OPTIONS"
            response.headers[.accessControlAllowMethods] = "GET, HEAD, OPTIONS"
            response.headers[.accessControlAllowHeaders] = "Accept, Accept-Language"
            response.headers[.accessControlMaxAge] = "86400"
        } else {
            response = try await next(request, context)
        }
        response.headers[.accessControlAllowOrigin] = "*"
        response.headers[.accessControlExposeHeaders] = "Link, Location, Content-Language"
        return response
    }
}
