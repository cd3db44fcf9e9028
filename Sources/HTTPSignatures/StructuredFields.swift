import Foundation

/// The subset of RFC 8941 Structured Field Values that HTTP Message Signatures use: dictionaries whose members
/// are items or inner lists, with parameters; bare items that are integers, strings, tokens, byte sequences or
/// booleans (decimals are refused). Parsing is strict (§4.2): anything else is an error, never a guess.
public enum StructuredField {
    public enum BareItem: Sendable, Equatable {
        case integer(Int64)
        case string(String)
        case token(String)
        case bytes([UInt8])
        case boolean(Bool)
    }

    public typealias Parameters = [(key: String, value: BareItem)]

    public struct Item: Sendable {
        public var value: BareItem
        public var parameters: Parameters

        public init(_ value: BareItem, parameters: Parameters = []) {
            self.value = value
            self.parameters = parameters
        }
    }

    public enum Member: Sendable {
        case item(Item)
        case innerList([Item], parameters: Parameters)
    }

    /// The largest dictionary accepted, in members (a request carries one or two signatures).
    static let maxMembers = 16

    /// Parses a Dictionary field value (§4.2.2). Duplicate keys are refused: a signature label names one thing.
    public static func dictionary(_ text: String) throws(SignatureError) -> [(key: String, member: Member)] {
        var parser = Parser(Array(text.utf8))
        return try parser.dictionary()
    }

    // MARK: Serialising (§4.1)

    public static func serialize(_ member: Member) -> String {
        switch member {
        case .item(let item): serialize(item)
        case .innerList(let items, let parameters):
            "(" + items.map(serialize).joined(separator: " ") + ")" + serialize(parameters)
        }
    }

    public static func serialize(_ item: Item) -> String { serialize(item.value) + serialize(item.parameters) }

    public static func serialize(_ parameters: Parameters) -> String {
        parameters.map { key, value in
            if case .boolean(true) = value { return ";" + key }
            return ";" + key + "=" + serialize(value)
        }.joined()
    }

    public static func serialize(_ value: BareItem) -> String {
        switch value {
        case .integer(let n): String(n)
        case .string(let s):
            "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        case .token(let t): t
        case .bytes(let b): ":" + Data(b).base64EncodedString() + ":"
        case .boolean(let b): b ? "?1" : "?0"
        }
    }

    // MARK: Parsing (§4.2)

    struct Parser {
        let bytes: [UInt8]
        var i = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var current: UInt8? { i < bytes.count ? bytes[i] : nil }

        func fail(_ what: String) -> SignatureError {
            SignatureError(.fieldSyntax, "the structured field is malformed at byte \(i): \(what)")
        }

        mutating func skip(_ set: Set<UInt8>) { while let c = current, set.contains(c) { i += 1 } }

        mutating func dictionary() throws(SignatureError) -> [(key: String, member: Member)] {
            var members: [(key: String, member: Member)] = []
            skip([0x20])
            while current != nil {
                let key = try self.key()
                var member: Member
                if current == UInt8(ascii: "=") {
                    i += 1
                    member = try itemOrInnerList()
                } else {
                    member = .item(Item(.boolean(true), parameters: try parameters()))
                }
                guard !members.contains(where: { $0.key == key }) else { throw fail("the key '\(key)' is repeated") }
                guard members.count < StructuredField.maxMembers else { throw fail("too many members") }
                members.append((key, member))
                skip([0x20, 0x09])
                guard current != nil else { break }
                guard current == UInt8(ascii: ",") else { throw fail("expected ','") }
                i += 1
                skip([0x20, 0x09])
                guard current != nil else { throw fail("a trailing ','") }
            }
            return members
        }

        mutating func itemOrInnerList() throws(SignatureError) -> Member {
            guard current == UInt8(ascii: "(") else { return .item(try item()) }
            i += 1
            var items: [Item] = []
            while true {
                skip([0x20])
                if current == UInt8(ascii: ")") {
                    i += 1
                    return .innerList(items, parameters: try parameters())
                }
                guard items.count < 64 else { throw fail("too many items in an inner list") }
                items.append(try item())
                guard current == UInt8(ascii: " ") || current == UInt8(ascii: ")") else {
                    throw fail("expected ' ' or ')' in an inner list")
                }
            }
        }

        mutating func item() throws(SignatureError) -> Item {
            Item(try bareItem(), parameters: try parameters())
        }

        mutating func parameters() throws(SignatureError) -> Parameters {
            var parameters: Parameters = []
            while current == UInt8(ascii: ";") {
                i += 1
                skip([0x20])
                let key = try self.key()
                var value = BareItem.boolean(true)
                if current == UInt8(ascii: "=") {
                    i += 1
                    value = try bareItem()
                }
                guard parameters.count < 32 else { throw fail("too many parameters") }
                // A repeated parameter overwrites the earlier value in place (§4.2.3.2).
                if let at = parameters.firstIndex(where: { $0.key == key }) {
                    parameters[at].value = value
                } else {
                    parameters.append((key, value))
                }
            }
            return parameters
        }

        mutating func key() throws(SignatureError) -> String {
            guard let first = current, (0x61...0x7A).contains(first) || first == UInt8(ascii: "*") else {
                throw fail("a key must start with a lowercase letter or '*'")
            }
            let start = i
            while let c = current,
                (0x61...0x7A).contains(c) || (0x30...0x39).contains(c) || "_-.*".utf8.contains(c)
            {
                i += 1
            }
            return String(decoding: bytes[start..<i], as: UTF8.self)
        }

        mutating func bareItem() throws(SignatureError) -> BareItem {
            guard let c = current else { throw fail("a value is missing") }
            switch c {
            case UInt8(ascii: "-"), 0x30...0x39: return try integer()
            case UInt8(ascii: "\""): return try string()
            case UInt8(ascii: ":"): return try byteSequence()
            case UInt8(ascii: "?"):
                i += 1
                defer { i += 1 }
                switch current {
                case UInt8(ascii: "1"): return .boolean(true)
                case UInt8(ascii: "0"): return .boolean(false)
                default: throw fail("a boolean is ?0 or ?1")
                }
            case UInt8(ascii: "*"), 0x41...0x5A, 0x61...0x7A: return token()
            default: throw fail("unexpected character")
            }
        }

        mutating func integer() throws(SignatureError) -> BareItem {
            let start = i
            if current == UInt8(ascii: "-") { i += 1 }
            let digitsStart = i
            while let c = current, (0x30...0x39).contains(c) { i += 1 }
            guard i > digitsStart, i - digitsStart <= 15 else { throw fail("an integer has 1 to 15 digits") }
            guard current != UInt8(ascii: ".") else { throw fail("decimals are not used here") }
            // At most 15 digits and a sign, all checked above: always an Int64.
            guard let value = Int64(String(decoding: bytes[start..<i], as: UTF8.self)) else {
                throw fail("bad integer")
            }
            return .integer(value)
        }

        mutating func string() throws(SignatureError) -> BareItem {
            i += 1
            var out: [UInt8] = []
            while let c = current {
                i += 1
                switch c {
                case UInt8(ascii: "\\"):
                    guard let next = current, next == UInt8(ascii: "\"") || next == UInt8(ascii: "\\") else {
                        throw fail("a string escapes only '\"' and '\\'")
                    }
                    out.append(next)
                    i += 1
                case UInt8(ascii: "\""): return .string(String(decoding: out, as: UTF8.self))
                case 0x20...0x7E: out.append(c)
                default: throw fail("a string holds printable ASCII only")
                }
            }
            throw fail("a string is not closed")
        }

        mutating func token() -> BareItem {
            let start = i
            i += 1
            let extra = Set("!#$%&'*+-.^_`|~:/".utf8)
            while let c = current,
                (0x41...0x5A).contains(c) || (0x61...0x7A).contains(c) || (0x30...0x39).contains(c)
                    || extra.contains(c)
            {
                i += 1
            }
            return .token(String(decoding: bytes[start..<i], as: UTF8.self))
        }

        mutating func byteSequence() throws(SignatureError) -> BareItem {
            i += 1
            let start = i
            while let c = current, c != UInt8(ascii: ":") {
                guard
                    (0x41...0x5A).contains(c) || (0x61...0x7A).contains(c) || (0x30...0x39).contains(c)
                        || "+/=".utf8.contains(c)
                else { throw fail("a byte sequence is base64") }
                i += 1
            }
            guard current == UInt8(ascii: ":") else { throw fail("a byte sequence is not closed") }
            defer { i += 1 }
            guard let data = Data(base64Encoded: Data(bytes[start..<i])) else { throw fail("bad base64") }
            return .bytes(Array(data))
        }
    }
}
