import EPCIS
import Foundation
import GS1Identifiers
import LedgerRules
import Statements

/// What a subscriber asks to be told (`Specs/26-subscriptions.md` §2): new events matching an EPCIS 2.0
/// SimpleEventQuery, or Threadline's alerts about the codes, GTINs, lots, sellers or brands it names. Its JSON form
/// is what `subscribe` sends and what the store keeps.
public struct Subscription: Sendable, Equatable {
    /// Where deliveries are posted: an absolute `http` or `https` URL without a fragment.
    public let url: String
    /// What it is told of.
    public let topic: Topic
    /// The named query (26 §8) an event subscription was made on, whose parameters `topic` holds.
    public let queryName: String?

    public enum Topic: Sendable, Equatable {
        /// New events matching these SimpleEventQuery parameters (11 §3), in the order given.
        case events(query: [Parameter])
        /// Alerts of these kinds about what `subjects` names.
        case alerts(kinds: Set<AlertKind>, subjects: Subjects)
    }

    /// One SimpleEventQuery parameter.
    public struct Parameter: Sendable, Equatable {
        public let name: String
        public let value: String
        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    /// What an alert subscription names: each list canonical and without repeats.
    public struct Subjects: Sendable, Equatable {
        /// Products (serials) and lots, as canonical Digital Links.
        public var codes: [String] = []
        /// 14-digit GTINs.
        public var gtins: [String] = []
        /// Participant ids, as sellers (channels) and as brands.
        public var sellers: [String] = []
        public var brands: [String] = []

        var count: Int { codes.count + gtins.count + sellers.count + brands.count }
    }

    /// The most subjects, and query values, one subscription names; the longest URL; the largest JSON form.
    public static let maxSubjects = 1000
    public static let maxURLBytes = 2048
    public static let maxBytes = 256 * 1024
    /// The most subscriptions one participant keeps (the operator's are not counted).
    public static let maxPerSubscriber = 1000

    public init(url: String, topic: Topic, queryName: String? = nil) throws {
        try Subscription.check(url: url)
        if let queryName {
            guard case .events = topic else {
                throw EngineError(.subscriptionJSON, "only an event subscription is made on a named query")
            }
            try NamedQuery.check(name: queryName)
        }
        switch topic {
        case .events(let query):
            try Subscription.check(query: query, refusing: .subscriptionQuery)
        case .alerts(let kinds, let subjects):
            guard !kinds.isEmpty else { throw EngineError(.subscriptionAlerts, "name at least one kind of alert") }
            guard subjects.count > 0 else {
                throw EngineError(.subscriptionAlerts, "name at least one code, lot, GTIN, seller or brand")
            }
            guard subjects.count <= Subscription.maxSubjects else {
                throw EngineError(
                    .subscriptionAlerts,
                    "a subscription names at most \(Subscription.maxSubjects) codes, lots, GTINs, "
                        + "sellers and brands")
            }
        }
        self.url = url
        self.topic = topic
        self.queryName = queryName
    }

    /// Refuses, with `code`, a query of more than `maxSubjects` parameters or one that pages (`perPage`,
    /// `nextPageToken`: a subscription and a named query have no pages); and parses it, so that a bad parameter is
    /// refused when it is given (with its own `query.*` code), not when it is run.
    static func check(query: [Parameter], refusing code: EngineCode) throws {
        guard query.count <= Subscription.maxSubjects else {
            throw EngineError(code, "a query has at most \(Subscription.maxSubjects) parameters")
        }
        for parameter in query where ["perPage", "nextPageToken"].contains(parameter.name) {
            throw EngineError(code, "\(parameter.name) pages a query's answer; it is not part of the query")
        }
        _ = try EventQuery(parameters: query.map { ($0.name, $0.value) })
    }

    static func check(url: String) throws {
        guard url.utf8.count <= Subscription.maxURLBytes, let parsed = URLComponents(string: url),
            let scheme = parsed.scheme?.lowercased(), ["http", "https"].contains(scheme),
            let host = parsed.host, !host.isEmpty, parsed.fragment == nil, parsed.user == nil, parsed.password == nil
        else {
            throw EngineError(
                .subscriptionURL,
                "the webhook URL must be an absolute http or https URL of at most \(Subscription.maxURLBytes) bytes, "
                    + "without credentials or fragment")
        }
    }
}

/// What Threadline alerts on (`Specs/26-subscriptions.md` §3).
public enum AlertKind: String, Sendable, CaseIterable, Codable, Comparable {
    /// An event recalls, reports stolen, or destroys a product or lot (12: RECALLED, STOLEN, DESTROYED).
    case recalled, stolen, destroyed
    /// An event that makes the integrity rules suspect a clone of a serial: two custody chains, or places too far
    /// apart for the time between (12: CLONE_SUSPECTED).
    case cloneSuspected = "clone-suspected"
    /// A serial's hidden code entered correctly again: its first-scan check now fails (24 §7).
    case firstScanFailed = "first-scan-failed"
    /// A brand withdrew a channel's authorisation, or the authorisation's window ended (09).
    case authorizationWithdrawn = "authorization-withdrawn"
    case authorizationExpired = "authorization-expired"
    /// A participant, or one of its keys, was revoked (09).
    case revoked

    public static func < (a: AlertKind, b: AlertKind) -> Bool { a.rawValue < b.rawValue }

    /// The outbox topic of an alert of this kind.
    public var topic: String { "alert:" + rawValue }
}

extension Subscription {
    /// The outbox topic of a matching event.
    public static let eventTopic = "event"

    /// Reads the JSON form (`Specs/26-subscriptions.md` §2), refusing anything else.
    public init(json bytes: [UInt8]) throws {
        guard bytes.count <= Subscription.maxBytes else {
            throw EngineError(.subscriptionJSON, "a subscription is at most \(Subscription.maxBytes) bytes")
        }
        let value: JSONValue
        do { value = try JSONValue(parsing: bytes) } catch {
            throw EngineError(.subscriptionJSON, "the subscription is not JSON: \(error)")
        }
        guard case .object(let members) = value else {
            throw EngineError(.subscriptionJSON, "a subscription is a JSON object")
        }
        var fields: [String: JSONValue] = [:]
        let known: Set<String> = ["url", "queryName", "query", "alerts", "codes", "gtins", "sellers", "brands"]
        for member in members {
            guard known.contains(member.key), fields[member.key] == nil else {
                throw EngineError(.subscriptionJSON, "'\(member.key)' is unknown or repeated in a subscription")
            }
            fields[member.key] = member.value
        }
        guard case .string(let url)? = fields["url"] else {
            throw EngineError(.subscriptionURL, "a subscription needs its webhook 'url'")
        }
        if let query = fields["query"] {
            guard Set(fields.keys).subtracting(["queryName"]) == ["url", "query"], case .object(let parameters) = query
            else {
                throw EngineError(
                    .subscriptionJSON,
                    "an event subscription has 'url', 'query' (an object of parameters) and 'queryName' only")
            }
            var queryName: String?
            if let name = fields["queryName"] {
                guard case .string(let text) = name else {
                    throw EngineError(.subscriptionJSON, "'queryName' is a string")
                }
                queryName = text
            }
            let list = try parameters.map { member -> Parameter in
                guard case .string(let value) = member.value else {
                    throw EngineError(.subscriptionQuery, "query parameter '\(member.key)' is not a string")
                }
                return Parameter(member.key, value)
            }
            try self.init(url: url, topic: .events(query: list), queryName: queryName)
            return
        }
        guard fields["queryName"] == nil else {
            throw EngineError(.subscriptionJSON, "only an event subscription is made on a named query")
        }
        func strings(_ name: String) throws -> [String] {
            guard let value = fields[name] else { return [] }
            guard case .array(let items) = value, items.count <= Subscription.maxSubjects else {
                throw EngineError(
                    .subscriptionJSON, "'\(name)' is a list of at most \(Subscription.maxSubjects) strings")
            }
            return try items.map {
                guard case .string(let text) = $0 else {
                    throw EngineError(.subscriptionJSON, "'\(name)' is a list of strings")
                }
                return text
            }
        }
        let kinds =
            try fields["alerts"] == nil
            ? AlertKind.allCases
            : strings("alerts").map {
                guard let kind = AlertKind(rawValue: $0) else {
                    throw EngineError(
                        .subscriptionAlerts,
                        "'\($0)' is not an alert (\(AlertKind.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                return kind
            }
        let subjects = try Subjects(
            checking: try strings("codes"), gtins: try strings("gtins"), sellers: try strings("sellers"),
            brands: try strings("brands"))
        try self.init(url: url, topic: .alerts(kinds: Set(kinds), subjects: subjects))
    }

    /// The JSON form: members in a fixed order, lists as given (canonical).
    public var json: JSONValue {
        var members: [JSONValue.Member] = [.init("url", .string(url))]
        if let queryName { members.append(.init("queryName", .string(queryName))) }
        switch topic {
        case .events(let query):
            members.append(.init("query", .object(query.map { .init($0.name, .string($0.value)) })))
        case .alerts(let kinds, let subjects):
            members.append(.init("alerts", .array(kinds.sorted().map { .string($0.rawValue) })))
            for (name, list) in [
                ("codes", subjects.codes), ("gtins", subjects.gtins), ("sellers", subjects.sellers),
                ("brands", subjects.brands),
            ] where !list.isEmpty {
                members.append(.init(name, .array(list.map { .string($0) })))
            }
        }
        return .object(members)
    }
}

extension Subscription.Subjects {
    /// Subjects as a person writes them: codes and lots as Digital Links or EPC URNs, GTINs in any length; checked
    /// and made canonical. Participant ids are kept as given (the engine checks they are registered).
    public init(checking codes: [String], gtins: [String], sellers: [String], brands: [String]) throws {
        func unique(_ list: [String]) -> [String] {
            var seen = Set<String>()
            return list.filter { seen.insert($0).inserted }
        }
        self.codes = unique(
            try codes.map { code in
                do { return try DigitalLink.canonical(asking: code) } catch {
                    throw EngineError(.subscriptionAlerts, "code '\(code)' is not a product or lot code: \(error)")
                }
            })
        self.gtins = unique(
            try gtins.map { text in
                do { return try GTIN(text).digits } catch {
                    throw EngineError(.subscriptionAlerts, "'\(text)' is not a GTIN: \(error)")
                }
            })
        for id in sellers + brands where id.isEmpty || id.utf8.count > 256 {
            throw EngineError(.subscriptionAlerts, "a participant id is 1 to 256 bytes")
        }
        self.sellers = unique(sellers)
        self.brands = unique(brands)
    }
}

extension Subscription {
    /// Whether `url`'s host is this machine or a private network written as a name or an address: `localhost`
    /// (and `*.localhost`), IPv4 0/8, 10/8, 100.64/10, 127/8, 169.254/16, 172.16/12, 192.168/16, and IPv6 `::`,
    /// `::1`, fc00::/7, fe80::/10 and IPv4-mapped forms of those. A server refuses such webhooks from participants
    /// unless told otherwise (`serve --private-webhooks`): otherwise anyone with a key could make it post into its
    /// own network. (A public name that resolves to a private address is not caught here.)
    public static func isPrivate(url: String) -> Bool {
        guard var host = URLComponents(string: url)?.host?.lowercased() else { return true }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host == "localhost" || host.hasSuffix(".localhost") { return true }
        if host.hasPrefix("::ffff:") { host = String(host.dropFirst(7)) }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        if parts.count == 4, case let octets = parts.compactMap({ UInt8($0) }), octets.count == 4,
            parts.allSatisfy({ $0 == "0" || !$0.hasPrefix("0") })
        {
            let (a, b) = (octets[0], octets[1])
            return a == 0 || a == 10 || a == 127 || (a == 100 && (64...127).contains(b)) || (a == 169 && b == 254)
                || (a == 172 && (16...31).contains(b)) || (a == 192 && b == 168)
        }
        // Other numeric forms (`2130706433`, `0x7f.1`, `017.0.0.1`) resolve to addresses too: not taken.
        if let last = parts.last, last.allSatisfy(\.isNumber) || last.hasPrefix("0x") { return true }
        guard host.contains(":") else { return false }
        if host == "::" || host == "::1" { return true }
        let first = host.split(separator: ":", omittingEmptySubsequences: false).first.flatMap { UInt16($0, radix: 16) }
        guard let first else { return host.hasPrefix("::") }
        return (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80
    }
}
