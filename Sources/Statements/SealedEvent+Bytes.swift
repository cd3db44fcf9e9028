import Foundation
import TransparencyLog

/// Opening a sealed event whole straight from bytes, for the audit (`Specs/23-sealed-events.md` §3, §6): the
/// stored opening and the sealed payload are read without JSON trees, and the opened event is written as the bytes
/// of a plain event's payload. Digests are held as 32-byte values and texts as ranges of the bytes read, in working
/// memory kept from one record to the next (`SealedEvent.ByteOpening`), so that a record opens with hardly an
/// allocation. It takes only what it reads plainly — compact or spaced JSON, strings without escapes, numbers in
/// JSON's grammar, every sealed value `{"_sd": […]}` or `[{"...": …}, …]`, every digest canonical base64url,
/// objects of at most `ByteOpener.maxMembers` members — and returns nil for anything else, which is then left to
/// `SealedEvent.openWhole` (so what it accepts, and the errors of what it does not, are the general reader's).
/// `SealedBytesTests` checks that the two agree.
extension SealedEvent {
    /// What opening a stored record whole gives: the opened event's JSON bytes, how many disclosures were checked,
    /// and the digests erased.
    public struct OpenedBytes: Sendable {
        public let event: [UInt8]
        public let disclosures: Int
        public let erased: [Opening.Erased]
    }

    /// Working memory for `openedBytes(payload:stored:using:)`, kept by a thread that opens many records.
    public struct ByteOpening: Sendable {
        fileprivate var opener = ByteOpener()

        public init() {}
    }

    /// The sealed `payload` opened whole with the opening `stored` (as the store keeps it), or nil when either is
    /// not of the plain shape this reader takes or does not open whole.
    public static func openedBytes(payload: [UInt8], stored: [UInt8]) -> OpenedBytes? {
        var opening = ByteOpening()
        return openedBytes(payload: payload, stored: stored, using: &opening)
    }

    /// `openedBytes(payload:stored:)` in the working memory `opening`.
    public static func openedBytes(
        payload: [UInt8], stored: [UInt8], using opening: inout ByteOpening
    ) -> OpenedBytes? {
        payload.withUnsafeBufferPointer { payload in
            stored.withUnsafeBufferPointer { stored in opening.opener.open(payload: payload, stored: stored) }
        }
    }
}

extension Base64URL {
    /// Decodes unpadded, canonical base64url `text` into `out`, which holds at least `text.count * 3 / 4` bytes;
    /// the number of bytes written, or nil for text that is not (as `decode(_:)` says).
    static func decode(_ text: UnsafeBufferPointer<UInt8>, into out: UnsafeMutableRawBufferPointer) -> Int? {
        guard text.count % 4 != 1, out.count >= text.count * 3 / 4 else { return nil }
        return sextets.withUnsafeBufferPointer { sextets -> Int? in
            var (count, at) = (0, 0)
            // Four characters make three bytes; a sextet of 0xFF (not in the alphabet) sets the high bit.
            while at + 4 <= text.count {
                let a = UInt32(sextets[Int(text[at])]), b = UInt32(sextets[Int(text[at + 1])])
                let c = UInt32(sextets[Int(text[at + 2])]), d = UInt32(sextets[Int(text[at + 3])])
                guard (a | b | c | d) & 0x80 == 0 else { return nil }
                let word = a << 18 | b << 12 | c << 6 | d
                out[count] = UInt8(truncatingIfNeeded: word >> 16)
                out[count + 1] = UInt8(truncatingIfNeeded: word >> 8)
                out[count + 2] = UInt8(truncatingIfNeeded: word)
                (count, at) = (count + 3, at + 4)
            }
            // Two or three characters left make one or two bytes; the bits left over must be zero (canonical).
            var (word, bits): (UInt32, UInt32) = (0, 0)
            while at < text.count {
                let sextet = UInt32(sextets[Int(text[at])])
                guard sextet & 0x80 == 0 else { return nil }
                (word, bits, at) = (word << 6 | sextet, bits + 6, at + 1)
            }
            if bits > 0 {
                let kept = bits / 8 * 8
                guard word & ((1 << (bits - kept)) - 1) == 0 else { return nil }
                word >>= bits - kept
                for shift in stride(from: Int(kept) - 8, through: 0, by: -8) {
                    out[count] = UInt8(truncatingIfNeeded: word >> UInt32(shift))
                    count += 1
                }
            }
            return count
        }
    }

    /// The 32 bytes of a digest's base64url text (43 characters, canonical), or nil.
    static func digest(_ text: UnsafeBufferPointer<UInt8>) -> Hash? {
        guard text.count == 43 else { return nil }
        return withUnsafeTemporaryAllocation(byteCount: 32, alignment: 8) { out in
            decode(text, into: out) == 32 ? Hash(bytes: UnsafeRawBufferPointer(out)) : nil
        }
    }
}

/// `a` and `b` hold the same bytes.
private func same(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
    guard a.count == b.count else { return false }
    for i in 0..<a.count where a[i] != b[i] { return false }
    return true
}

extension StaticString {
    fileprivate var utf8Buffer: UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: utf8Start, count: utf8CodeUnitCount)
    }
}

/// A small scanner of JSON bytes — all of `bytes`, or a range of them: strings without escapes, and the plain
/// values around them. Strings are given as the range of their contents.
private struct ByteScanner {
    let bytes: UnsafeBufferPointer<UInt8>
    var at: Int
    let end: Int

    init(_ bytes: UnsafeBufferPointer<UInt8>, in range: Range<Int>? = nil) {
        self.bytes = bytes
        (at, end) = range.map { ($0.lowerBound, $0.upperBound) } ?? (0, bytes.count)
    }

    var atEnd: Bool { at >= end }

    /// The bytes of `range`.
    func text(_ range: Range<Int>) -> UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(rebasing: bytes[range]) }

    mutating func space() {
        while at < end {
            switch bytes[at] {
            case 0x20, 0x0A, 0x0D, 0x09: at += 1
            default: return
            }
        }
    }

    /// Takes `byte` (after any whitespace).
    mutating func take(_ byte: UInt8) -> Bool {
        space()
        guard at < end, bytes[at] == byte else { return false }
        at += 1
        return true
    }

    /// A string's contents: no escape, no control character, no byte outside printable ASCII and UTF-8.
    mutating func string() -> Range<Int>? {
        guard take(0x22) else { return nil }
        let start = at
        while at < end {
            let byte = bytes[at]
            if byte == 0x22 {
                at += 1
                return start..<(at - 1)
            }
            guard byte >= 0x20, byte != 0x5C else { return nil }
            at += 1
        }
        return nil
    }

    /// Takes the string `word`.
    mutating func take(_ word: StaticString) -> Bool {
        guard let range = string() else { return false }
        return same(text(range), word.utf8Buffer)
    }

    /// A plain value's bytes: a string without escapes, a number in JSON's grammar, `true`, `false` or `null`.
    mutating func scalar() -> Range<Int>? {
        space()
        guard at < end else { return nil }
        let start = at
        switch bytes[at] {
        case 0x22:
            guard string() != nil else { return nil }
        case 0x2D, 0x30...0x39:
            guard number() else { return nil }
        default:
            for word: StaticString in ["true", "false", "null"] {
                let count = word.utf8CodeUnitCount
                if at + count <= end, same(text(at..<(at + count)), word.utf8Buffer) {
                    at += count
                    return start..<at
                }
            }
            return nil
        }
        return start..<at
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?` (RFC 8259 §6).
    private mutating func number() -> Bool {
        func digits() -> Int {
            let start = at
            while at < end, (0x30...0x39).contains(bytes[at]) { at += 1 }
            return at - start
        }
        if bytes[at] == 0x2D { at += 1 }
        guard at < end else { return false }
        if bytes[at] == 0x30 { at += 1 } else if digits() == 0 { return false }
        if at < end, bytes[at] == 0x2E {
            at += 1
            guard digits() > 0 else { return false }
        }
        if at < end, bytes[at] | 0x20 == 0x65 {
            at += 1
            if at < end, bytes[at] == 0x2B || bytes[at] == 0x2D { at += 1 }
            guard digits() > 0 else { return false }
        }
        return true
    }

    /// Any JSON value of strings without escapes, numbers, literals, arrays and objects, skipped; its bytes.
    mutating func anyValue(depth: Int = 0) -> Range<Int>? {
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
        return start..<at
    }

    /// `[string, …]` of base64url texts: their ranges, appended to `out`. A text is taken up to its closing quote
    /// and not checked here: whoever decodes it refuses any byte outside base64url's alphabet (a backslash, a
    /// control character, anything not ASCII).
    mutating func base64Strings(into out: inout [Range<Int>]) -> Bool {
        guard take(0x5B) else { return false }
        if take(0x5D) { return true }
        repeat {
            guard let text = base64Text() else { return false }
            out.append(text)
        } while take(0x2C)
        return take(0x5D)
    }

    /// A string of base64url text: its range, up to the closing quote (see `base64Strings`).
    mutating func base64Text() -> Range<Int>? {
        guard take(0x22), let base = bytes.baseAddress else { return nil }
        let start = at
        guard let quote = memchr(base + at, 0x22, end - at) else { return nil }
        at = base.distance(to: quote.assumingMemoryBound(to: UInt8.self))
        defer { at += 1 }
        return start..<at
    }

    /// `[digest, …]`, appended to `digests`: the range they take there.
    mutating func digests(into digests: inout [Hash]) -> Range<Int>? {
        guard take(0x5B) else { return nil }
        let start = digests.count
        if take(0x5D) { return start..<start }
        repeat {
            guard let digest = self.digest() else { return nil }
            digests.append(digest)
        } while take(0x2C)
        return take(0x5D) ? start..<digests.count : nil
    }

    /// A digest's text, decoded.
    mutating func digest() -> Hash? {
        guard let range = base64Text() else { return nil }
        return Base64URL.digest(text(range))
    }

    /// The end of the input, after any whitespace.
    mutating func finished() -> Bool {
        space()
        return atEnd
    }
}

/// A value as sealed: kept as its bytes, or an object of `_sd` digests, or a list of `{"...": digest}` elements
/// (the digests a range of `ByteOpener.digests`).
private enum SealedValue {
    case plain(Range<Int>)
    case object(Range<Int>)
    case list(Range<Int>)

    /// Reads a sealed value (a disclosure's value, or a member in clear of no other kind).
    init?(_ scanner: inout ByteScanner, digests: inout [Hash]) {
        scanner.space()
        guard !scanner.atEnd else { return nil }
        switch scanner.bytes[scanner.at] {
        case 0x7B:
            _ = scanner.take(0x7B)
            guard scanner.take("_sd"), scanner.take(0x3A), let range = scanner.digests(into: &digests),
                scanner.take(0x7D)
            else { return nil }
            self = .object(range)
        case 0x5B:
            _ = scanner.take(0x5B)
            let start = digests.count
            if !scanner.take(0x5D) {
                repeat {
                    guard scanner.take(0x7B), scanner.take("..."), scanner.take(0x3A),
                        let digest = scanner.digest(), scanner.take(0x7D)
                    else { return nil }
                    digests.append(digest)
                } while scanner.take(0x2C)
                guard scanner.take(0x5D) else { return nil }
            }
            self = .list(start..<digests.count)
        default:
            guard let bytes = scanner.scalar() else { return nil }
            self = .plain(bytes)
        }
    }
}

/// Reads the stored opening and the disclosures, then writes the opened event, checking as it goes what
/// `SealedEvent.open` checks. Its arrays are working memory, emptied (not freed) for each record.
private struct ByteOpener {
    /// The members a sealed payload holds in clear.
    static let clearNames: [StaticString] = ["@context", "type"]
    /// The most members an object may have here (names are compared pairwise); larger ones are the general
    /// reader's.
    static let maxMembers = 64
    /// A dozen digests are found faster by comparing them than by hashing them; past this many disclosures, they
    /// are found by their digests.
    static let linearLimit = 32

    /// A disclosure: its name's bytes in `decoded` (nil for a list element) and its value.
    struct Disclosed {
        let name: Range<Int>?
        let value: SealedValue
    }

    /// The stored opening's disclosure texts and decoy seeds (ranges of its bytes).
    var texts: [Range<Int>] = []
    var seeds: [Range<Int>] = []
    /// Every disclosure's decoded bytes, one after another, and each one's range there.
    var decoded: [UInt8] = []
    var spans: [Range<Int>] = []
    /// The digests of every sealed value read, ranges of which the values name.
    var digests: [Hash] = []
    var disclosed: [Disclosed] = []
    /// Each disclosure's digest, in order; and, past `linearLimit` disclosures, their places by digest.
    var disclosedDigests: [Hash] = []
    var index: [Hash: Int] = [:]
    var used: [Bool] = []
    /// The digests met that no disclosure matched, and the decoy seeds' digests.
    var withheld: [Hash] = []
    var decoys: [Hash] = []
    /// The payload's members in clear — which of `clearNames`, and their bytes — and its top-level digests.
    var clear: [(name: Int, bytes: Range<Int>)] = []
    var top = 0..<0
    var out: [UInt8] = []
    /// The names of the members written in the objects being written, innermost last.
    var names: [Range<Int>] = []

    /// The opened event, or nil (see `SealedEvent.openedBytes`).
    mutating func open(
        payload: UnsafeBufferPointer<UInt8>, stored: UnsafeBufferPointer<UInt8>
    ) -> SealedEvent.OpenedBytes? {
        texts.removeAll(keepingCapacity: true)
        seeds.removeAll(keepingCapacity: true)
        spans.removeAll(keepingCapacity: true)
        digests.removeAll(keepingCapacity: true)
        disclosed.removeAll(keepingCapacity: true)
        disclosedDigests.removeAll(keepingCapacity: true)
        index.removeAll(keepingCapacity: true)
        withheld.removeAll(keepingCapacity: true)
        clear.removeAll(keepingCapacity: true)
        names.removeAll(keepingCapacity: true)
        out.removeAll(keepingCapacity: true)
        guard let erased = readStored(stored), disclose(stored) else { return nil }
        // The disclosures' bytes are read in place while the rest of the working memory grows.
        var decoded: [UInt8] = []
        swap(&decoded, &self.decoded)
        defer { swap(&decoded, &self.decoded) }
        let opened = decoded.withUnsafeBufferPointer { decoded -> Bool in
            guard readDisclosures(decoded), readPayload(payload) else { return false }
            return write(payload: payload, decoded: decoded)
        }
        guard opened, accounted(decoys: stored, erased: erased) else { return nil }
        // The event is handed on: the next record starts a new buffer.
        defer { out = [] }
        return SealedEvent.OpenedBytes(event: out, disclosures: disclosed.count, erased: erased)
    }

    /// Reads the opening as the store keeps it (`Opening.stored`) into `texts` and `seeds`; its erasures, or nil
    /// for bytes not of that shape.
    private mutating func readStored(_ bytes: UnsafeBufferPointer<UInt8>) -> [Opening.Erased]? {
        var scanner = ByteScanner(bytes)
        guard scanner.take(0x7B), scanner.take("disclosures"), scanner.take(0x3A),
            scanner.base64Strings(into: &texts),
            scanner.take(0x2C), scanner.take("decoys"), scanner.take(0x3A),
            scanner.base64Strings(into: &seeds)
        else { return nil }
        var erased: [Opening.Erased] = []
        if scanner.take(0x2C) {
            guard scanner.take("erased"), scanner.take(0x3A), scanner.take(0x5B) else { return nil }
            if !scanner.take(0x5D) {
                repeat {
                    guard scanner.take(0x7B), scanner.take("digest"), scanner.take(0x3A),
                        let digest = scanner.string(), scanner.take(0x2C), scanner.take("by"),
                        scanner.take(0x3A),
                        let by = scanner.scalar().flatMap({ Int64(String(decoding: scanner.text($0), as: UTF8.self)) }),
                        by >= 0, scanner.take(0x7D)
                    else { return nil }
                    erased.append(
                        Opening.Erased(digest: String(decoding: scanner.text(digest), as: UTF8.self), by: by))
                } while scanner.take(0x2C)
                guard scanner.take(0x5D) else { return nil }
            }
        }
        guard scanner.take(0x7D), scanner.finished() else { return nil }
        return erased
    }

    /// Decodes each disclosure text into `decoded` and takes its digest; false for a text that is not canonical
    /// base64url, or a disclosure met twice.
    private mutating func disclose(_ stored: UnsafeBufferPointer<UInt8>) -> Bool {
        decoded.removeAll(keepingCapacity: true)
        decoded.append(contentsOf: repeatElement(0, count: texts.reduce(0) { $0 + $1.count * 3 / 4 }))
        let linear = texts.count <= Self.linearLimit
        var written = 0
        for (i, text) in texts.enumerated() {
            let source = UnsafeBufferPointer(rebasing: stored[text])
            let count = decoded.withUnsafeMutableBytes { out in
                Base64URL.decode(source, into: UnsafeMutableRawBufferPointer(rebasing: out[written...]))
            }
            guard let count else { return false }
            let digest = Hash.sha256(UnsafeRawBufferPointer(source))
            if linear {
                guard !disclosedDigests.contains(digest) else { return false }
            } else {
                guard index.updateValue(i, forKey: digest) == nil else { return false }
            }
            disclosedDigests.append(digest)
            spans.append(written..<(written + count))
            written += count
        }
        return true
    }

    /// Reads each decoded disclosure.
    private mutating func readDisclosures(_ decoded: UnsafeBufferPointer<UInt8>) -> Bool {
        for span in spans {
            guard let disclosure = read(ByteScanner(decoded, in: span)) else { return false }
            disclosed.append(disclosure)
        }
        used.removeAll(keepingCapacity: true)
        used.append(contentsOf: repeatElement(false, count: disclosed.count))
        return true
    }

    /// `[salt, name, value]` or `[salt, value]`.
    private mutating func read(_ scanner: ByteScanner) -> Disclosed? {
        var scanner = scanner
        guard scanner.take(0x5B), scanner.string() != nil, scanner.take(0x2C) else { return nil }
        // A string, then either the end or a value.
        let mark = scanner.at
        var name: Range<Int>?
        if let first = scanner.string(), scanner.take(0x2C) {
            let text = scanner.text(first)
            guard !same(text, StaticString("_sd").utf8Buffer), !same(text, StaticString("...").utf8Buffer),
                !same(text, StaticString("_sd_alg").utf8Buffer)
            else { return nil }
            name = first
        } else {
            scanner.at = mark
        }
        guard let value = SealedValue(&scanner, digests: &digests), scanner.take(0x5D), scanner.finished()
        else { return nil }
        return Disclosed(name: name, value: value)
    }

    /// Reads the sealed payload: its members in clear (`@context`, `type`) and its top-level digests.
    private mutating func readPayload(_ payload: UnsafeBufferPointer<UInt8>) -> Bool {
        var scanner = ByteScanner(payload)
        guard scanner.take(0x7B) else { return false }
        var (algorithm, sd) = (false, false)
        repeat {
            guard let name = scanner.string(), scanner.take(0x3A) else { return false }
            let text = scanner.text(name)
            if same(text, StaticString("_sd").utf8Buffer) {
                guard !sd, let range = scanner.digests(into: &digests) else { return false }
                (top, sd) = (range, true)
            } else if same(text, StaticString("_sd_alg").utf8Buffer) {
                guard !algorithm, scanner.take("sha-256") else { return false }
                algorithm = true
            } else if let clearName = Self.clearNames.firstIndex(where: { same(text, $0.utf8Buffer) }) {
                guard !clear.contains(where: { $0.name == clearName }), let value = scanner.anyValue() else {
                    return false
                }
                clear.append((clearName, value))
            } else {
                return false
            }
        } while scanner.take(0x2C)
        return scanner.take(0x7D) && scanner.finished() && algorithm && sd
    }

    /// The disclosure of `digest`, if any; nil (and `false`) for a disclosure used twice.
    private mutating func take(_ digest: Hash) -> (Disclosed?, ok: Bool) {
        guard let at = disclosed.count <= Self.linearLimit ? disclosedDigests.firstIndex(of: digest) : index[digest]
        else {
            withheld.append(digest)
            return (nil, true)
        }
        guard !used[at] else { return (nil, false) }
        used[at] = true
        return (disclosed[at], true)
    }

    /// Writes the opened event into `out`; false if it does not open whole with every disclosure used once.
    private mutating func write(payload: UnsafeBufferPointer<UInt8>, decoded: UnsafeBufferPointer<UInt8>) -> Bool {
        out.reserveCapacity(payload.count + decoded.count)
        out.append(0x7B)
        var present = 0
        for (index, member) in clear.enumerated() {
            if index > 0 { out.append(0x2C) }
            name(Self.clearNames[member.name].utf8Buffer)
            out.append(contentsOf: UnsafeBufferPointer(rebasing: payload[member.bytes]))
            present |= 1 << member.name
        }
        guard members(top, decoded, clear: present, first: clear.isEmpty, depth: 0), !used.contains(false) else {
            return false
        }
        out.append(0x7D)
        return true
    }

    private mutating func name(_ name: UnsafeBufferPointer<UInt8>) {
        out.append(0x22)
        out.append(contentsOf: name)
        out.append(0x22)
        out.append(0x3A)
    }

    /// The disclosed members of `digests`, each once by name and none named as one of the `clearNames` whose bit
    /// `clear` sets (the members the payload holds in clear).
    private mutating func members(
        _ digests: Range<Int>, _ decoded: UnsafeBufferPointer<UInt8>, clear: Int, first: Bool, depth: Int
    ) -> Bool {
        var first = first
        let base = names.count
        defer { names.removeSubrange(base...) }
        for digest in digests {
            let (taken, ok) = take(self.digests[digest])
            guard ok else { return false }
            guard let disclosure = taken else { continue }
            guard let name = disclosure.name, names.count - base < Self.maxMembers else { return false }
            let text = UnsafeBufferPointer(rebasing: decoded[name])
            guard !names[base...].contains(where: { same(UnsafeBufferPointer(rebasing: decoded[$0]), text) }),
                !Self.clearNames.indices.contains(where: {
                    clear & 1 << $0 != 0 && same(text, Self.clearNames[$0].utf8Buffer)
                })
            else { return false }
            names.append(name)
            if !first { out.append(0x2C) }
            first = false
            self.name(text)
            guard value(disclosure.value, decoded, depth: depth + 1) else { return false }
        }
        return true
    }

    private mutating func value(_ value: SealedValue, _ decoded: UnsafeBufferPointer<UInt8>, depth: Int) -> Bool {
        guard depth < 16 else { return false }
        switch value {
        case .plain(let bytes):
            out.append(contentsOf: UnsafeBufferPointer(rebasing: decoded[bytes]))
        case .object(let digests):
            out.append(0x7B)
            guard members(digests, decoded, clear: 0, first: true, depth: depth) else { return false }
            out.append(0x7D)
        case .list(let digests):
            out.append(0x5B)
            var first = true
            for digest in digests {
                let (taken, ok) = take(self.digests[digest])
                guard ok else { return false }
                guard let disclosure = taken else { continue }
                guard disclosure.name == nil else { return false }
                if !first { out.append(0x2C) }
                first = false
                guard self.value(disclosure.value, decoded, depth: depth + 1) else { return false }
            }
            out.append(0x5D)
        }
        return true
    }

    /// Whether every digest not disclosed is erased or a decoy (each seed, a range of `stored`, once), and none
    /// appears twice — `SealedEvent.accountFor`.
    private mutating func accounted(decoys stored: UnsafeBufferPointer<UInt8>, erased: [Opening.Erased]) -> Bool {
        withheld.sort()
        guard zip(withheld, withheld.dropFirst()).allSatisfy({ $0 != $1 }) else { return false }
        decoys.removeAll(keepingCapacity: true)
        for seed in seeds {
            let digest = withUnsafeTemporaryAllocation(byteCount: 16, alignment: 8) { out in
                Base64URL.decode(UnsafeBufferPointer(rebasing: stored[seed]), into: out) == 16
                    ? Hash.sha256(UnsafeRawBufferPointer(out)) : nil
            }
            guard let digest else { return false }
            decoys.append(digest)
        }
        decoys.sort()
        guard !erased.isEmpty else { return withheld == decoys }
        var erasedDigests: [Hash] = []
        for erasure in erased {
            var text = erasure.digest
            guard let digest = text.withUTF8({ Base64URL.digest($0) }) else { return false }
            erasedDigests.append(digest)
        }
        return withheld.filter { !erasedDigests.contains($0) } == decoys
    }
}
