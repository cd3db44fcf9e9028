import EPCIS
import Foundation

/// A named query of the EPCIS 2.0 REST binding (`Specs/26-subscriptions.md` §8): a SimpleEventQuery's parameters
/// kept under a name by the participant that made it, run at `/queries/<name>/events` and subscribed to at
/// `/queries/<name>/subscriptions`.
public struct NamedQuery: Sendable, Equatable {
    public let name: String
    /// The parameters, in the order given; a list of alternatives as 11 §3 takes it (comma-separated).
    public let parameters: [Subscription.Parameter]

    /// The longest name; the most named queries one participant keeps.
    public static let maxName = 64
    public static let maxPerOwner = 1000
    /// The largest JSON form taken: a query's parameters, not a document.
    public static let maxBytes = 64 * 1024

    public init(name: String, parameters: [Subscription.Parameter]) throws {
        try NamedQuery.check(name: name)
        try Subscription.check(query: parameters, refusing: .queryDefinition)
        self.name = name
        self.parameters = parameters
    }

    /// A name is 1 to 64 letters, digits, `.`, `_` and `-` (it is a path segment).
    static func check(name: String) throws {
        guard (1...NamedQuery.maxName).contains(name.utf8.count),
            name.utf8.allSatisfy({
                $0.isASCIIAlphanumeric || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_")
                    || $0 == UInt8(ascii: "-")
            })
        else {
            throw EngineError(
                .queryDefinition, "a query's name is 1 to \(NamedQuery.maxName) letters, digits, '.', '_' and '-'")
        }
    }

    /// Reads the binding's form, `{"name": …, "query": {<parameter>: <string, number or list of strings>, …}}`
    /// — a list is the alternatives, none holding a comma — refusing anything else.
    public init(json bytes: [UInt8]) throws {
        guard bytes.count <= NamedQuery.maxBytes else {
            throw EngineError(.queryDefinition, "a query is at most \(NamedQuery.maxBytes) bytes")
        }
        let value: JSONValue
        do { value = try JSONValue(parsing: bytes) } catch {
            throw EngineError(.queryDefinition, "the query is not JSON: \(error)")
        }
        guard case .object(let members) = value, Set(members.map(\.key)) == ["name", "query"], members.count == 2,
            case .string(let name)? = members.first(where: { $0.key == "name" })?.value,
            case .object(let query)? = members.first(where: { $0.key == "query" })?.value
        else {
            throw EngineError(
                .queryDefinition, "a query is {\"name\": <string>, \"query\": {<parameters>}} and no more")
        }
        let parameters = try query.map { member -> Subscription.Parameter in
            switch member.value {
            case .string(let text): return .init(member.key, text)
            case .number(let text): return .init(member.key, text)
            case .array(let items):
                let texts = try items.map { item -> String in
                    guard case .string(let text) = item, !text.isEmpty, !text.contains(",") else {
                        throw EngineError(
                            .queryDefinition, "'\(member.key)' lists strings, none empty or holding a comma")
                    }
                    return text
                }
                guard !texts.isEmpty else { throw EngineError(.queryDefinition, "'\(member.key)' lists nothing") }
                return .init(member.key, texts.joined(separator: ","))
            default:
                throw EngineError(.queryDefinition, "'\(member.key)' is a string, a number or a list of strings")
            }
        }
        try self.init(name: name, parameters: parameters)
    }

    /// The webhook of the binding's subscription request (26 §8): `{"dest": <url>, "stream": true}`, with
    /// `reportIfEmpty` false if given. Deliveries are streamed as records come (a `schedule` is refused), signed by
    /// the operator's key rather than with a `signatureToken`, and start at the log's end (a replay tells of earlier
    /// records).
    public static func destination(ofSubscriptionRequest body: [UInt8]) throws -> String {
        guard case .object(let members)? = try? JSONValue(parsing: body),
            Set(members.map(\.key)).count == members.count
        else { throw EngineError(.subscriptionJSON, "a subscription request is a JSON object") }
        var dest: String?
        var stream = false
        for member in members {
            switch (member.key, member.value) {
            case ("dest", .string(let url)): dest = url
            case ("stream", .bool(let value)): stream = value
            case ("reportIfEmpty", .bool(false)): break
            case ("schedule", _), ("initialRecordTime", _), ("signatureToken", _), ("reportIfEmpty", _):
                throw EngineError(
                    .subscriptionJSON,
                    "'\(member.key)' is not offered: deliveries stream from the log's end as records come, signed by "
                        + "the operator (26 §6)")
            default: throw EngineError(.subscriptionJSON, "'\(member.key)' is unknown or not of its type")
            }
        }
        guard let dest, stream else {
            throw EngineError(.subscriptionJSON, "a subscription request names its 'dest' and 'stream': true")
        }
        return dest
    }

    /// The binding's form, as kept and as answered: each parameter a string.
    public var json: JSONValue {
        .object([
            .init("name", .string(name)),
            .init("query", .object(parameters.map { .init($0.name, .string($0.value)) })),
        ])
    }
}

extension UInt8 {
    fileprivate var isASCIIAlphanumeric: Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(self)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self)
    }
}
