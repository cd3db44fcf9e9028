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
        /// Every link, as an RFC 9264 linkset (`linkType=linkset` or `all`, or `Accept: application/linkset+json`).
        case linkset
    }

    static let vocabulary = "https://ref.gs1.org/voc/"

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
            let term = linkType.hasPrefix(vocabulary) ? String(linkType.dropFirst(vocabulary.count)) : linkType
            switch term.hasPrefix("gs1:") ? String(term.dropFirst(4)) : term {
            case "linkset", "all": return .linkset
            case "traceability": return .traceability
            case "epcis": return .epcis
            default: return .page
            }
        }
        if accept.contains("application/linkset+json") { return .linkset }
        if accept.contains("application/json") { return .traceability }
        return .page
    }

    /// The EPCIS query (11 §3) for the product's own events.
    static func epcisQuery(for link: DigitalLink) -> String {
        "/events?MATCH_epc=" + escaped(link.uri)
    }

    /// The linkset of a product's Digital Link: its page, its journey as JSON, and its EPCIS events.
    static func linkset(for link: DigitalLink, base: String) -> JSONValue {
        let path = String(link.uri.dropFirst(link.base.count))
        let code = escaped(link.uri)
        func target(_ href: String, _ title: String, _ type: String) -> JSONValue {
            .array([
                .object([
                    .init("href", .string(href)), .init("title", .string(title)), .init("type", .string(type)),
                    .init("hreflang", .array([.string("en")])),
                ])
            ])
        }
        return .object([
            .init(
                "linkset",
                .array([
                    .object([
                        .init("anchor", .string(base + path)),
                        .init(
                            vocabulary + "defaultLink", target(base + path, "The journey of this product", "text/html")),
                        .init(vocabulary + "pip", target(base + path, "The journey of this product", "text/html")),
                        .init(
                            vocabulary + "traceability",
                            target(base + "/trace?code=" + code, "The journey as JSON", "application/json")),
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
