import TransparencyLog

/// A JSON value (RFC 8259) as written: object members keep their order and numbers keep their text, so an
/// EPCIS event can be validated, hashed and indexed without changing a byte of what was signed.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    /// A number, as its JSON text (e.g. `12.50`, `1e3`).
    case number(String)
    case string(String)
    case array([JSONValue])
    /// An object's members in document order. Keys are unique (the parser refuses duplicates).
    case object([Member])

    /// One member of an object.
    public struct Member: Sendable, Hashable {
        public let key: String
        public let value: JSONValue

        public init(_ key: String, _ value: JSONValue) {
            self.key = key
            self.value = value
        }
    }

    /// The value of member `key`, if this is an object that has it.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        // Most names differ in length: comparing lengths first spares most string comparisons.
        let count = key.utf8.count
        return members.first { $0.key.utf8.count == count && $0.key == key }?.value
    }

    /// The string, if this is a string.
    public var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// The members, if this is an object.
    public var members: [Member]? {
        if case .object(let members) = self { return members }
        return nil
    }

    /// The elements, if this is an array.
    public var elements: [JSONValue]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    /// The number as a `Double`, if this is a number.
    public var doubleValue: Double? {
        if case .number(let text) = self { return Double(text) }
        return nil
    }

    /// A JSON type name for error messages.
    package var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

// MARK: - Parsing

extension JSONValue {
    /// The deepest nesting accepted, so hostile input cannot exhaust the stack.
    public static let maximumDepth = 128

    /// What to do with an object member whose name appeared before in the same object (RFC 8259 §4 leaves
    /// it open).
    public enum DuplicateKeys: Sendable {
        /// Refuse the text: the safe choice for anything signed.
        case reject
        /// Keep the last value at the first one's place, as JavaScript and Python read such text.
        case lastWins
    }

    /// Parses one JSON text (RFC 8259) strictly: no trailing commas, comments, lone surrogates or bytes
    /// after the value; duplicate member names as `duplicateKeys` says. Errors name the byte offset.
    public init(parsing bytes: some Collection<UInt8>, duplicateKeys: DuplicateKeys = .reject) throws {
        self = try Array(bytes).withUnsafeBufferPointer { bytes in
            var parser = JSONParser(bytes: bytes, duplicateKeys: duplicateKeys)
            return try parser.parseDocument()
        }
    }

    /// Parses a JSON text given as a string.
    public init(parsing text: String, duplicateKeys: DuplicateKeys = .reject) throws {
        try self.init(parsing: Array(text.utf8), duplicateKeys: duplicateKeys)
    }
}

/// Reads the bytes in place (an array's bounds checks and reference would cost on every byte).
private struct JSONParser {
    let bytes: UnsafeBufferPointer<UInt8>
    let duplicateKeys: JSONValue.DuplicateKeys
    var position = 0
    var depth = 0

    init(bytes: UnsafeBufferPointer<UInt8>, duplicateKeys: JSONValue.DuplicateKeys) {
        self.bytes = bytes
        self.duplicateKeys = duplicateKeys
    }

    func fail(_ code: EPCISCode, _ what: String) -> EPCISError {
        EPCISError(code, "JSON: \(what) at byte \(position)")
    }

    mutating func parseDocument() throws -> JSONValue {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { position = 3 }
        skipWhitespace()
        let value = try parseValue()
        skipWhitespace()
        guard position == bytes.count else { throw fail(.trailing, "unexpected data after the value") }
        return value
    }

    mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    mutating func parseValue() throws -> JSONValue {
        guard position < bytes.count else { throw fail(.end, "the text ends where a value should be") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw fail(.value, "unexpected character '\(Unicode.Scalar(bytes[position]))'")
        }
    }

    mutating func expectLiteral(_ literal: String) throws {
        let utf8 = Array(literal.utf8)
        guard bytes.count - position >= utf8.count, Array(bytes[position..<position + utf8.count]) == utf8 else {
            throw fail(.literal, "expected '\(literal)'")
        }
        position += utf8.count
    }

    mutating func enter() throws {
        depth += 1
        guard depth <= JSONValue.maximumDepth else {
            throw fail(.depth, "nesting deeper than \(JSONValue.maximumDepth) levels")
        }
    }

    mutating func parseObject() throws -> JSONValue {
        try enter()
        defer { depth -= 1 }
        position += 1
        var members: [JSONValue.Member] = []
        members.reserveCapacity(8)
        // Duplicate names are found by a scan while an object is small, by a set once it is large.
        var keys = Set<String>()
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
            position += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
                throw fail(.object, "expected a member name in quotes")
            }
            let key = try parseString()
            let isNew: Bool
            if members.count < 16 {
                let count = key.utf8.count
                isNew = !members.contains { $0.key.utf8.count == count && $0.key == key }
            } else {
                if keys.isEmpty { keys = Set(members.map(\.key)) }
                isNew = keys.insert(key).inserted
            }
            guard isNew || duplicateKeys == .lastWins else {
                throw fail(.duplicateKey, "member '\(key)' appears twice")
            }
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else {
                throw fail(.object, "expected ':' after member name '\(key)'")
            }
            position += 1
            skipWhitespace()
            let value = try parseValue()
            if isNew {
                members.append(JSONValue.Member(key, value))
            } else {
                members[members.firstIndex { $0.key == key }!] = JSONValue.Member(key, value)
            }
            skipWhitespace()
            guard position < bytes.count else { throw fail(.end, "the text ends inside an object") }
            if bytes[position] == UInt8(ascii: ",") {
                position += 1
            } else if bytes[position] == UInt8(ascii: "}") {
                position += 1
                return .object(members)
            } else {
                throw fail(.object, "expected ',' or '}' after member '\(key)'")
            }
        }
    }

    mutating func parseArray() throws -> JSONValue {
        try enter()
        defer { depth -= 1 }
        position += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
            position += 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue())
            skipWhitespace()
            guard position < bytes.count else { throw fail(.end, "the text ends inside an array") }
            if bytes[position] == UInt8(ascii: ",") {
                position += 1
            } else if bytes[position] == UInt8(ascii: "]") {
                position += 1
                return .array(elements)
            } else {
                throw fail(.array, "expected ',' or ']' in an array")
            }
        }
    }

    mutating func parseNumber() throws -> String {
        let start = position
        func digits() -> Int {
            let from = position
            while position < bytes.count, (0x30...0x39).contains(bytes[position]) { position += 1 }
            return position - from
        }
        if bytes[position] == UInt8(ascii: "-") { position += 1 }
        guard position < bytes.count else { throw fail(.number, "a number has no digits") }
        if bytes[position] == UInt8(ascii: "0") {
            position += 1
        } else if digits() == 0 {
            throw fail(.number, "a number has no digits")
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            position += 1
            guard digits() > 0 else { throw fail(.number, "a fraction has no digits") }
        }
        if position < bytes.count, bytes[position] | 0x20 == UInt8(ascii: "e") {
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
                position += 1
            }
            guard digits() > 0 else { throw fail(.number, "an exponent has no digits") }
        }
        return String(decoding: bytes[start..<position], as: UTF8.self)
    }

    mutating func parseString() throws -> String {
        position += 1
        // Most strings have no escapes: one pass finds the end, and the bytes become the string as they are.
        var end = position
        var ascii = true
        while end < bytes.count {
            let byte = bytes[end]
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 { break }
            ascii = ascii && byte < 0x80
            end += 1
        }
        if end < bytes.count, bytes[end] == UInt8(ascii: "\"") {
            let run = bytes[position..<end]
            let text: String
            if ascii {
                text = String(decoding: run, as: UTF8.self)
            } else {
                guard let valid = String(validating: run, as: UTF8.self) else {
                    throw fail(.utf8, "a string is not valid UTF-8")
                }
                text = valid
            }
            position = end + 1
            return text
        }
        var scalars = String.UnicodeScalarView()
        var runStart = position
        func flushRun() throws {
            guard runStart < position else { return }
            guard let run = String(validating: bytes[runStart..<position], as: UTF8.self) else {
                throw fail(.utf8, "a string is not valid UTF-8")
            }
            scalars.append(contentsOf: run.unicodeScalars)
        }
        while true {
            guard position < bytes.count else { throw fail(.end, "the text ends inside a string") }
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                try flushRun()
                position += 1
                return String(scalars)
            }
            if byte < 0x20 { throw fail(.control, "a control character inside a string must be escaped") }
            if byte != UInt8(ascii: "\\") {
                position += 1
                continue
            }
            try flushRun()
            position += 1
            guard position < bytes.count else { throw fail(.end, "the text ends inside an escape") }
            let escape = bytes[position]
            position += 1
            switch escape {
            case UInt8(ascii: "\""): scalars.append("\"")
            case UInt8(ascii: "\\"): scalars.append("\\")
            case UInt8(ascii: "/"): scalars.append("/")
            case UInt8(ascii: "b"): scalars.append("\u{08}")
            case UInt8(ascii: "f"): scalars.append("\u{0C}")
            case UInt8(ascii: "n"): scalars.append("\n")
            case UInt8(ascii: "r"): scalars.append("\r")
            case UInt8(ascii: "t"): scalars.append("\t")
            case UInt8(ascii: "u"): scalars.append(try parseUnicodeEscape())
            default: throw fail(.escape, "'\\\(Unicode.Scalar(escape))' is not a JSON escape")
            }
            runStart = position
        }
    }

    mutating func hex4() throws -> UInt32 {
        guard bytes.count - position >= 4 else { throw fail(.escape, "\\u needs four hex digits") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt8
            switch byte {
            case 0x30...0x39: digit = byte - 0x30
            case 0x41...0x46: digit = byte - 0x41 + 10
            case 0x61...0x66: digit = byte - 0x61 + 10
            default: throw fail(.escape, "\\u needs four hex digits")
            }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        return value
    }

    mutating func parseUnicodeEscape() throws -> Unicode.Scalar {
        let first = try hex4()
        if (0xD800...0xDBFF).contains(first) {
            guard bytes.count - position >= 2, bytes[position] == UInt8(ascii: "\\"),
                bytes[position + 1] == UInt8(ascii: "u")
            else { throw fail(.surrogate, "a high surrogate escape is not followed by a low one") }
            position += 2
            let second = try hex4()
            guard (0xDC00...0xDFFF).contains(second) else {
                throw fail(.surrogate, "a high surrogate escape is not followed by a low one")
            }
            return Unicode.Scalar(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00))!
        }
        guard let scalar = Unicode.Scalar(first) else { throw fail(.surrogate, "a lone low surrogate escape") }
        return scalar
    }
}

// MARK: - Writing

extension JSONValue {
    /// Compact JSON text: members in their order, numbers as written, strings with only the escapes JSON
    /// requires (`"`, `\`, control characters); everything else as UTF-8.
    public var serialized: String {
        var out = ""
        write(to: &out)
        return out
    }

    func write(to out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let value): out += value ? "true" : "false"
        case .number(let text): out += text
        case .string(let text): JSONValue.writeString(text, to: &out)
        case .array(let elements):
            out += "["
            for (i, element) in elements.enumerated() {
                if i > 0 { out += "," }
                element.write(to: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (i, member) in members.enumerated() {
                if i > 0 { out += "," }
                JSONValue.writeString(member.key, to: &out)
                out += ":"
                member.value.write(to: &out)
            }
            out += "}"
        }
    }

    static func writeString(_ text: String, to out: inout String) {
        out += "\""
        // Most strings need no escape: appended whole, not scalar by scalar.
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) {
            out += text
            out += "\""
            return
        }
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case let c where c.value < 0x20:
                let hex = String(c.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}

extension JSONValue {
    /// JSON text indented by two spaces a level, members in their order, as people read documents; the same
    /// values as `serialized`.
    public var indented: String {
        var out = ""
        writeIndented(to: &out, depth: 0)
        return out
    }

    private func writeIndented(to out: inout String, depth: Int) {
        let inner = "\n" + String(repeating: "  ", count: depth + 1)
        switch self {
        case .array(let elements) where !elements.isEmpty:
            out += "["
            for (i, element) in elements.enumerated() {
                out += (i > 0 ? "," : "") + inner
                element.writeIndented(to: &out, depth: depth + 1)
            }
            out += "\n" + String(repeating: "  ", count: depth) + "]"
        case .object(let members) where !members.isEmpty:
            out += "{"
            for (i, member) in members.enumerated() {
                out += (i > 0 ? "," : "") + inner
                JSONValue.writeString(member.key, to: &out)
                out += ": "
                member.value.writeIndented(to: &out, depth: depth + 1)
            }
            out += "\n" + String(repeating: "  ", count: depth) + "}"
        default: write(to: &out)
        }
    }
}
