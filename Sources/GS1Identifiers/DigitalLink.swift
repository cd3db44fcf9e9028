import Foundation
import TransparencyLog

/// A GS1 Digital Link URI (GS1 Digital Link Standard: URI Syntax 1.4): `https://<domain>[/<path>]/01/<gtin>
/// [/22/<cpv>][/10/<lot>][/21/<serial>][?<attributes>]`, or the same with `00/<sscc>` or
/// `414/<gln>[/254/<extension>]`. Any domain; values percent-encoded; query attributes kept as they are.
public struct DigitalLink: Hashable, Sendable {
    /// The identifier in the path.
    public let identifier: GS1Identifier
    /// `scheme://host[:port]` plus any path before the primary key.
    public let base: String
    /// Query attributes (`linkType`, data attributes such as `17`), in order, percent-decoded.
    public let attributes: [(key: String, value: String)]

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.identifier == rhs.identifier && lhs.base == rhs.base
            && lhs.attributes.map { [$0.key, $0.value] } == rhs.attributes.map { [$0.key, $0.value] }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(identifier)
        hasher.combine(base)
    }

    /// The default resolver domain.
    public static let defaultBase = "https://id.gs1.org"

    /// A Digital Link for `identifier` on `base`.
    public init(
        _ identifier: GS1Identifier, base: String = DigitalLink.defaultBase,
        attributes: [(key: String, value: String)] = []
    ) {
        self.identifier = identifier
        self.base = base.hasSuffix("/") ? String(base.dropLast()) : base
        self.attributes = attributes
    }

    /// The URI, with values percent-encoded where they must be.
    public var uri: String {
        var path = ""
        switch identifier {
        case .product(let gtin, let cpv, let lot, let serial):
            path = "/01/\(gtin.digits)"
            if let cpv { path += "/22/" + DigitalLink.escape(cpv) }
            if let lot { path += "/10/" + DigitalLink.escape(lot) }
            if let serial { path += "/21/" + DigitalLink.escape(serial) }
        case .logisticUnit(let sscc): path = "/00/\(sscc)"
        case .location(let gln, let ext):
            path = "/414/\(gln)" + (ext.map { "/254/" + DigitalLink.escape($0) } ?? "")
        }
        let query = attributes.map { DigitalLink.escape($0.key) + "=" + DigitalLink.escape($0.value) }
        return base + path + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
    }

    /// Characters left as they are in a path segment or query value (RFC 3986 unreserved).
    private static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    static func escape(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: unreserved) ?? value
    }

    /// The primary keys and the qualifiers each allows, in the order they must appear.
    private static let qualifiers: [String: [String]] = ["01": ["22", "10", "21"], "00": [], "414": ["254"]]

    /// Parses a Digital Link URI. The primary key is the first path segment that is a known key followed by
    /// a value; everything before it is the base.
    public init(_ text: String) throws {
        // The host as written: decoding its escapes (`%25` to `%`) would write back a URI that does not parse.
        guard let components = URLComponents(string: text), let scheme = components.scheme,
            ["http", "https"].contains(scheme.lowercased()), let host = components.percentEncodedHost, !host.isEmpty
        else { throw GS1Error(.dlURI, "'\(text)' is not an http(s) URI with a domain") }
        let segments = components.percentEncodedPath.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
            .map(String.init)
        guard
            let start = segments.indices.first(where: {
                DigitalLink.qualifiers[segments[$0]] != nil && $0 + 1 < segments.count + segments.startIndex
            })
        else {
            throw GS1Error(.dlKey, "'\(text)' has no GS1 primary key (01, 00 or 414) in its path")
        }
        let prefix = segments[segments.startIndex..<start].joined(separator: "/")
        base = "\(scheme)://\(host)" + (components.port.map { ":\($0)" } ?? "") + (prefix.isEmpty ? "" : "/" + prefix)
        let rest = Array(segments[start...])
        guard rest.count % 2 == 0 else {
            throw GS1Error(.dlPath, "'\(text)': the path after the primary key must be AI/value pairs")
        }
        var pairs: [(ai: String, value: String)] = []
        for i in stride(from: 0, to: rest.count, by: 2) {
            guard let value = rest[i + 1].removingPercentEncoding, !value.isEmpty else {
                throw GS1Error(
                    .dlEscape, "'\(text)': the value of AI \(rest[i]) is empty or badly percent-encoded")
            }
            pairs.append((rest[i], value))
        }
        let key = pairs[0].ai
        let allowed = DigitalLink.qualifiers[key]!
        var lastPosition = -1
        var values: [String: String] = [:]
        for pair in pairs.dropFirst() {
            guard let position = allowed.firstIndex(of: pair.ai) else {
                throw GS1Error(.dlQualifier, "AI \(pair.ai) is not a qualifier of AI \(key) in '\(text)'")
            }
            guard position > lastPosition else {
                throw GS1Error(
                    .dlOrder,
                    "qualifier \(pair.ai) comes after \(allowed[lastPosition]) in '\(text)'; the order is "
                        + allowed.joined(separator: ", "))
            }
            lastPosition = position
            values[pair.ai] = pair.value
        }
        switch key {
        case "01":
            identifier = try GS1Identifier.product(
                gtin: try GTIN(pairs[0].value), cpv: values["22"], lot: values["10"], serial: values["21"]
            ).validated()
        case "00": identifier = try GS1Identifier.logisticUnit(sscc: pairs[0].value).validated()
        default: identifier = try GS1Identifier.location(gln: pairs[0].value, extension: values["254"]).validated()
        }
        attributes = (components.percentEncodedQueryItems ?? []).map {
            ($0.name.removingPercentEncoding ?? $0.name, $0.value?.removingPercentEncoding ?? "")
        }
    }
}
