import TransparencyLog

/// Opening a sealed event whole straight from bytes, for the audit (`Specs/23-sealed-events.md` §3, §6): the
/// stored opening and the sealed payload are read without JSON trees, and the opened event is written as the bytes
/// of a plain event's payload. It takes only what it reads plainly — compact or spaced JSON, strings without
/// escapes, every sealed value `{"_sd": […]}` or `[{"...": …}, …]` — and returns nil for anything else, which is
/// then left to `SealedEvent.openWhole` (so what it accepts, and the errors of what it does not, are the general
/// reader's). `SealedBytesTests` checks that the two agree.
extension SealedEvent {
    /// What opening a stored record whole gives: the opened event's JSON bytes, how many disclosures were checked,
    /// and the digests erased.
    public struct OpenedBytes: Sendable {
        public let event: [UInt8]
        public let disclosures: Int
        public let erased: [Opening.Erased]
    }

    /// The sealed `payload` opened whole with the opening `stored` (as the store keeps it), or nil when either is
    /// not of the plain shape this reader takes or does not open whole.
    public static func openedBytes(payload: [UInt8], stored: [UInt8]) -> OpenedBytes? {
        guard let opening = StoredOpening(stored) else { return nil }
        var disclosed: [String: DisclosedBytes] = [:]
        disclosed.reserveCapacity(opening.disclosures.count)
        for text in opening.disclosures {
            guard let disclosure = DisclosedBytes(text) else { return nil }
            guard disclosed.updateValue(disclosure, forKey: disclosure.digest) == nil else { return nil }
        }
        guard let sealed = SealedPayload(payload) else { return nil }
        var writer = OpenWriter(disclosed: disclosed)
        guard let event = writer.write(sealed) else { return nil }
        guard writer.used == disclosed.count else { return nil }
        // Every digest not disclosed is a decoy (each seed once) or erased.
        let seeds = opening.decoys.map(Base64URL.decode)
        guard !seeds.contains(nil),
            (try? accountFor(
                writer.withheld, decoys: seeds.compactMap { $0 }, erased: Set(opening.erased.map(\.digest))))
                != nil
        else { return nil }
        return OpenedBytes(event: event, disclosures: disclosed.count, erased: opening.erased)
    }
}

/// A small scanner of JSON bytes: strings without escapes, and the plain values around them.
private struct ByteScanner {
    let bytes: [UInt8]
    var at = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { at >= bytes.count }

    mutating func space() {
        while at < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[at]) { at += 1 }
    }

    /// Takes `byte` (after any whitespace).
    mutating func take(_ byte: UInt8) -> Bool {
        space()
        guard at < bytes.count, bytes[at] == byte else { return false }
        at += 1
        return true
    }

    /// A string's contents: no escape, no control character, no byte outside printable ASCII and UTF-8.
    mutating func string() -> ArraySlice<UInt8>? {
        guard take(0x22) else { return nil }
        let start = at
        while at < bytes.count {
            let byte = bytes[at]
            if byte == 0x22 {
                at += 1
                return bytes[start..<(at - 1)]
            }
            guard byte >= 0x20, byte != 0x5C else { return nil }
            at += 1
        }
        return nil
    }

    mutating func text() -> String? { string().map { String(decoding: $0, as: UTF8.self) } }

    /// A plain value's bytes: a string without escapes, a number, `true`, `false` or `null`.
    mutating func scalar() -> ArraySlice<UInt8>? {
        space()
        guard at < bytes.count else { return nil }
        let start = at
        switch bytes[at] {
        case 0x22:
            guard string() != nil else { return nil }
        case 0x2D, 0x30...0x39:
            // The number's form is left to the event's reader, which checks each field's value.
            while at < bytes.count,
                (0x30...0x39).contains(bytes[at]) || [0x2D, 0x2B, 0x2E, 0x45, 0x65].contains(bytes[at])
            {
                at += 1
            }
            guard Double(String(decoding: bytes[start..<at], as: UTF8.self)) != nil else { return nil }
        default:
            for word in ["true", "false", "null"] where bytes[at...].starts(with: word.utf8) {
                at += word.utf8.count
                return bytes[start..<at]
            }
            return nil
        }
        return bytes[start..<at]
    }

    /// Any JSON value of strings without escapes, numbers, literals, arrays and objects, skipped; its bytes.
    mutating func anyValue(depth: Int = 0) -> ArraySlice<UInt8>? {
        guard depth < 16 else { return nil }
        space()
        let start = at
        if take(0x5B) {
            if !take(0x5D) {
                repeat { guard anyValue(depth: depth + 1) != nil else { return nil } } while take(0x2C)
                guard take(0x5D) else { return nil }
            }
        } else if take(0x7B) {
            if !take(0x7D) {
                repeat {
                    guard string() != nil, take(0x3A), anyValue(depth: depth + 1) != nil else { return nil }
                } while take(0x2C)
                guard take(0x7D) else { return nil }
            }
        } else {
            guard scalar() != nil else { return nil }
        }
        return bytes[start..<at]
    }

    /// `[string, …]`.
    mutating func strings() -> [String]? {
        guard take(0x5B) else { return nil }
        var out: [String] = []
        if take(0x5D) { return out }
        repeat {
            guard let text = text() else { return nil }
            out.append(text)
        } while take(0x2C)
        return take(0x5D) ? out : nil
    }

    /// The end of the input, after any whitespace.
    mutating func end() -> Bool {
        space()
        return atEnd
    }
}

/// A value as sealed: kept as its bytes, or an object of `_sd` digests, or a list of `{"...": digest}` elements.
private enum SealedValue {
    case plain(ArraySlice<UInt8>)
    case object([String])
    case list([String])

    /// Reads a sealed value (a disclosure's value, or a member in clear of no other kind).
    init?(_ scanner: inout ByteScanner) {
        scanner.space()
        guard !scanner.atEnd else { return nil }
        switch scanner.bytes[scanner.at] {
        case 0x7B:
            _ = scanner.take(0x7B)
            guard scanner.text() == "_sd", scanner.take(0x3A), let digests = scanner.strings(), scanner.take(0x7D)
            else { return nil }
            self = .object(digests)
        case 0x5B:
            _ = scanner.take(0x5B)
            var digests: [String] = []
            if !scanner.take(0x5D) {
                repeat {
                    guard scanner.take(0x7B), scanner.text() == "...", scanner.take(0x3A),
                        let digest = scanner.text(), scanner.take(0x7D)
                    else { return nil }
                    digests.append(digest)
                } while scanner.take(0x2C)
                guard scanner.take(0x5D) else { return nil }
            }
            self = .list(digests)
        default:
            guard let bytes = scanner.scalar() else { return nil }
            self = .plain(bytes)
        }
    }
}

/// A disclosure read from its text: its digest, its name (nil for a list element) and its sealed value.
private struct DisclosedBytes {
    let digest: String
    let name: String?
    let value: SealedValue

    init?(_ text: String) {
        guard let bytes = Base64URL.decode(text) else { return nil }
        var scanner = ByteScanner(bytes)
        guard scanner.take(0x5B), scanner.string() != nil, scanner.take(0x2C) else { return nil }
        // `[salt, name, value]` or `[salt, value]`: a string, then either the end or a value.
        let mark = scanner.at
        var name: String?
        if let first = scanner.text(), scanner.take(0x2C) {
            guard first != "_sd", first != "...", first != "_sd_alg" else { return nil }
            name = first
        } else {
            scanner.at = mark
        }
        guard let value = SealedValue(&scanner), scanner.take(0x5D), scanner.end() else { return nil }
        (self.digest, self.name, self.value) = (Disclosure.digest(of: text), name, value)
    }
}

/// A sealed event's payload: its members in clear (`@context`, `type`), as bytes, and its top-level digests.
private struct SealedPayload {
    var clear: [(name: String, bytes: ArraySlice<UInt8>)] = []
    var digests: [String] = []

    init?(_ payload: [UInt8]) {
        var scanner = ByteScanner(payload)
        guard scanner.take(0x7B) else { return nil }
        var algorithm = false
        var sd = false
        repeat {
            guard let name = scanner.text(), scanner.take(0x3A) else { return nil }
            switch name {
            case "@context", "type":
                guard !clear.contains(where: { $0.name == name }), let bytes = scanner.anyValue() else { return nil }
                clear.append((name, bytes))
            case "_sd":
                guard !sd, let list = scanner.strings() else { return nil }
                (digests, sd) = (list, true)
            case "_sd_alg":
                guard !algorithm, scanner.text() == SealedEvent.algorithm else { return nil }
                algorithm = true
            default: return nil
            }
        } while scanner.take(0x2C)
        guard scanner.take(0x7D), scanner.end(), algorithm, sd else { return nil }
    }
}

/// Writes the opened event, checking as it goes what `SealedEvent.open` checks.
private struct OpenWriter {
    let disclosed: [String: DisclosedBytes]
    var out: [UInt8] = []
    var seen: Set<String> = []
    var used = 0
    var withheld: [String] = []

    init(disclosed: [String: DisclosedBytes]) {
        self.disclosed = disclosed
        seen.reserveCapacity(disclosed.count * 2)
        out.reserveCapacity(1024)
    }

    /// The disclosure of `digest`, if any; nil (and `false`) for a digest met twice.
    mutating func take(_ digest: String) -> (DisclosedBytes?, ok: Bool) {
        guard seen.insert(digest).inserted else { return (nil, false) }
        guard let disclosure = disclosed[digest] else {
            withheld.append(digest)
            return (nil, true)
        }
        used += 1
        return (disclosure, true)
    }

    mutating func write(_ payload: SealedPayload) -> [UInt8]? {
        out.append(0x7B)
        var names = Set(payload.clear.map(\.name))
        for (index, member) in payload.clear.enumerated() {
            if index > 0 { out.append(0x2C) }
            name(member.name)
            out += member.bytes
        }
        guard members(payload.digests, names: &names, first: payload.clear.isEmpty, depth: 0) else { return nil }
        out.append(0x7D)
        return out
    }

    mutating func name(_ name: String) {
        out.append(0x22)
        out += name.utf8
        out += [0x22, 0x3A]
    }

    /// The disclosed members of `digests`, each once by name.
    mutating func members(_ digests: [String], names: inout Set<String>, first: Bool, depth: Int) -> Bool {
        var first = first
        for digest in digests {
            let (taken, ok) = take(digest)
            guard ok else { return false }
            guard let disclosure = taken else { continue }
            guard let name = disclosure.name, names.insert(name).inserted else { return false }
            if !first { out.append(0x2C) }
            first = false
            self.name(name)
            guard value(disclosure.value, depth: depth + 1) else { return false }
        }
        return true
    }

    mutating func value(_ value: SealedValue, depth: Int) -> Bool {
        guard depth < 16 else { return false }
        switch value {
        case .plain(let bytes):
            out += bytes
        case .object(let digests):
            out.append(0x7B)
            var names = Set<String>()
            guard members(digests, names: &names, first: true, depth: depth) else { return false }
            out.append(0x7D)
        case .list(let digests):
            out.append(0x5B)
            var first = true
            for digest in digests {
                let (taken, ok) = take(digest)
                guard ok else { return false }
                guard let disclosure = taken else { continue }
                guard disclosure.name == nil else { return false }
                if !first { out.append(0x2C) }
                first = false
                guard self.value(disclosure.value, depth: depth + 1) else { return false }
            }
            out.append(0x5D)
        }
        return true
    }
}

/// An opening as the store keeps it (`Opening.stored`): its disclosures' texts, its decoy seeds and its erasures.
private struct StoredOpening {
    var disclosures: [String] = []
    var decoys: [String] = []
    var erased: [Opening.Erased] = []

    init?(_ bytes: [UInt8]) {
        var scanner = ByteScanner(bytes)
        guard scanner.take(0x7B), scanner.text() == "disclosures", scanner.take(0x3A),
            let disclosures = scanner.strings(), scanner.take(0x2C), scanner.text() == "decoys", scanner.take(0x3A),
            let decoys = scanner.strings()
        else { return nil }
        (self.disclosures, self.decoys) = (disclosures, decoys)
        if scanner.take(0x2C) {
            guard scanner.text() == "erased", scanner.take(0x3A), scanner.take(0x5B) else { return nil }
            if !scanner.take(0x5D) {
                repeat {
                    guard scanner.take(0x7B), scanner.text() == "digest", scanner.take(0x3A),
                        let digest = scanner.text(), scanner.take(0x2C), scanner.text() == "by", scanner.take(0x3A),
                        let by = scanner.scalar().flatMap({ Int64(String(decoding: $0, as: UTF8.self)) }), by >= 0,
                        scanner.take(0x7D)
                    else { return nil }
                    erased.append(Opening.Erased(digest: digest, by: by))
                } while scanner.take(0x2C)
                guard scanner.take(0x5D) else { return nil }
            }
        }
        guard scanner.take(0x7D), scanner.end() else { return nil }
    }
}
