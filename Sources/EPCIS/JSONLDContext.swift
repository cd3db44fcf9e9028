import Crypto
import Foundation
import GS1Identifiers
import TransparencyLog

/// The CURIE prefixes a JSON-LD `@context` declares, for expanding `prefix:name` keys and values.
public struct JSONLDContext: Sendable, Hashable {
    /// Prefix to namespace URI.
    public private(set) var prefixes: [String: String] = [:]

    public init() {}

    /// Reads the prefixes of a `@context` (a string, an object or an array of them).
    public init(_ context: JSONValue?) {
        merge(context)
    }

    /// Adds the prefixes of another `@context` (an event's own), overriding those already known.
    public mutating func merge(_ context: JSONValue?) {
        switch context {
        case .array(let elements)?: elements.forEach { merge($0) }
        case .object(let members)?:
            for member in members where !member.key.hasPrefix("@") {
                if let uri = member.value.stringValue ?? member.value["@id"]?.stringValue { prefixes[member.key] = uri }
            }
        default: break
        }
    }

    /// `prefix:name` as `{namespace}name` (the XML binding's expanded name), or the key as it is.
    public func expandedName(_ key: String) -> String {
        guard let (uri, rest) = expansion(key) else { return key }
        return "{" + uri + "}" + rest
    }

    /// `prefix:rest` as `namespace` + `rest`, or the value as it is.
    public func expandedValue(_ value: String) -> String {
        guard let (uri, rest) = expansion(value) else { return value }
        return uri + rest
    }

    /// The namespace of `text`'s prefix, if declared, and the rest after the colon.
    private func expansion(_ text: String) -> (String, Substring)? {
        guard !prefixes.isEmpty else { return nil }
        // The colon is found in the string's buffer: the UTF-8 view's generic search is slow on this hot path.
        var text = text
        let colon = text.withUTF8 { $0.firstIndex(of: UInt8(ascii: ":")) }
        guard let colon else { return nil }
        let split = text.utf8.index(text.utf8.startIndex, offsetBy: colon)
        guard let uri = prefixes[String(Substring(text.utf8[..<split]))] else { return nil }
        return (uri, Substring(text.utf8[text.utf8.index(after: split)...]))
    }
}
