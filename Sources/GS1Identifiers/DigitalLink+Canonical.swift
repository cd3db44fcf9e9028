import Foundation

/// The canonical GS1 Digital Link of any GS1 key an EPCIS event may carry, as the CBV 2.0 event hash
/// (CBV 2.0 §8.9) compares them: EPC pure-identity URNs of every TDS 2.x scheme, EPC class URNs, EPC ID
/// patterns and Digital Link URIs on any domain all become `https://id.gs1.org/<AI>/<key>…` at the finest
/// level the code names (a serial drops the lot; a CPV and the query string go). `Specs/08-epcis.md`.
extension DigitalLink {
    /// The canonical form of `text`, or nil when it is not a GS1 key in a form this knows.
    public static func canonicalURI(for text: String) -> String? {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        guard writeCanonicalURI(for: text, into: &out) else { return nil }
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the canonical form of `text` to `out` and returns true, or leaves `out` as it was and returns false
    /// when `text` is not a GS1 key in a form this knows. The event hash and the index write canonical forms
    /// this way, without making a string for each.
    public static func writeCanonicalURI(for text: String, into out: inout [UInt8]) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            let mark = out.count
            let written: Bool
            if starts(bytes, with: "urn:epc:") {
                written = writeCanonical(epcURN: bytes, into: &out)
            } else if starts(bytes, with: "https://") || starts(bytes, with: "http://") {
                written =
                    mayBeDigitalLink(bytes) && writeCanonical(webURI: bytes, into: &out)
            } else {
                written = false
            }
            if !written, out.count > mark { out.removeSubrange(mark...) }
            return written
        }
    }

    /// Whether `bytes` start with `prefix` (one `memcmp`).
    private static func starts(_ bytes: UnsafeBufferPointer<UInt8>, with prefix: StaticString) -> Bool {
        bytes.count >= prefix.utf8CodeUnitCount
            && memcmp(bytes.baseAddress!, prefix.utf8Start, prefix.utf8CodeUnitCount) == 0
    }

    /// Writes a key's or qualifier's value in its one spelling (`Specs/07-identifiers.md`, canonical form): each
    /// `%XX` escape is decoded, then every byte but the letters, digits, `-`, `.`, `_` and `'` is written as `%`
    /// and two upper-case hex digits — so `TS%2D0001`, `TS%2d0001` and `TS-0001` are one serial. Returns false,
    /// having written part of it, when the value is malformed: an escape that is not `%` and two hex digits, or a
    /// byte the form may not carry bare (in an EPC URN, TDS 2.x: anything outside GS1's character set 82, and
    /// `"`, `%`, `&`, `/`, `<`, `>`, `?`; in a Digital Link path segment, RFC 3986: anything but a `pchar`).
    private static func writeValue(
        _ value: Slice<UnsafeBufferPointer<UInt8>>, fromURN: Bool, into out: inout [UInt8]
    ) -> Bool {
        func hexDigit(_ value: UInt8) -> UInt8 { value < 10 ? 0x30 + value : UInt8(ascii: "A") + value - 10 }
        func hexValue(_ byte: UInt8) -> UInt8? {
            switch byte {
            case 0x30...0x39: byte - 0x30
            case 0x41...0x46: byte - 0x41 + 10
            case 0x61...0x66: byte - 0x61 + 10
            default: nil
            }
        }
        var i = value.startIndex
        while i < value.endIndex {
            var byte = value[i]
            if byte == UInt8(ascii: "%") {
                guard i + 2 < value.endIndex, let high = hexValue(value[i + 1]), let low = hexValue(value[i + 2])
                else { return false }
                byte = high << 4 | low
                i += 3
            } else {
                guard fromURN ? isBareInURN(byte) : isBareInPath(byte) else { return false }
                i += 1
            }
            if isBareInCanonical(byte) {
                out.append(byte)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(hexDigit(byte >> 4))
                out.append(hexDigit(byte & 15))
            }
        }
        return true
    }

    /// Letters, digits, `-`, `.`, `_` and `'`: what a canonical value carries unescaped.
    private static func isBareInCanonical(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: "'"):
            true
        default: false
        }
    }

    /// GS1's character set 82 less the characters an EPC URN must escape (TDS 2.x).
    private static func isBareInURN(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "!"), UInt8(ascii: "'")...UInt8(ascii: ";"), UInt8(ascii: "="), 0x41...0x5A,
            UInt8(ascii: "_"), 0x61...0x7A:
            byte != UInt8(ascii: "/")
        default: false
        }
    }

    /// RFC 3986 `pchar` (less `%`, read as an escape): unreserved, sub-delimiters, `:` and `@`; and, as an IRI
    /// carries them, the bytes of non-ASCII characters (written escaped).
    private static func isBareInPath(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x80...: true
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: "~"), UInt8(ascii: "!"), UInt8(ascii: "$"), UInt8(ascii: "&")...UInt8(ascii: ","),
            UInt8(ascii: ";"), UInt8(ascii: "="), UInt8(ascii: ":"), UInt8(ascii: "@"):
            true
        default: false
        }
    }

    /// `bytes` with each `%XX` escape decoded (hex digits in either case); nil for a malformed escape.
    private static func percentDecoded(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) -> [UInt8]? {
        func hexValue(_ byte: UInt8) -> UInt8? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
            case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
            case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
            default: nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            guard bytes[i] == UInt8(ascii: "%") else {
                out.append(bytes[i])
                i += 1
                continue
            }
            guard i + 2 < bytes.endIndex, let high = hexValue(bytes[i + 1]), let low = hexValue(bytes[i + 2]) else {
                return nil
            }
            out.append(high << 4 | low)
            i += 3
        }
        return out
    }

    private static func isDigits(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
        bytes.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    /// Appends the GS1 check digit of the digits written to `out` since `start`.
    private static func appendCheckDigit(since start: Int, to out: inout [UInt8]) {
        var sum = 0
        var weight = 3
        for byte in out[start...].reversed() {
            sum += Int(byte - 0x30) * weight
            weight = 4 - weight
        }
        out.append(0x30 + UInt8((10 - sum % 10) % 10))
    }

    /// TDS 2.x §6.3 (EPC URNs) and §8 (EPC ID patterns, class URNs) to Digital Link: `urn:epc:<form>:<scheme>:`
    /// then the company prefix and the scheme's other parts, separated by dots.
    private static func writeCanonical(epcURN text: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) -> Bool {
        // urn:epc:<form>:<scheme>:<rest>, the rest holding any further colons.
        let prefix = "urn:epc:".utf8.count
        guard let formEnd = text[prefix...].firstIndex(of: UInt8(ascii: ":")),
            let schemeEnd = text[(formEnd + 1)...].firstIndex(of: UInt8(ascii: ":"))
        else { return false }
        let form = text[prefix..<formEnd]
        let scheme = text[(formEnd + 1)..<schemeEnd]
        let rest = text[(schemeEnd + 1)...]
        // Where each dot-separated part of the rest ends (at a dot, or at the end); part i starts after part i − 1.
        let partCount = rest.count(where: { $0 == UInt8(ascii: ".") }) + 1
        return withUnsafeTemporaryAllocation(of: Int.self, capacity: partCount) { ends in
            var n = 0
            var i = rest.startIndex
            while i < rest.endIndex {
                if rest[i] == UInt8(ascii: ".") {
                    ends[n] = i
                    n += 1
                }
                i += 1
            }
            ends[n] = rest.endIndex
            return writeCanonical(
                form: form, scheme: scheme, parts: Parts(text: text, first: rest.startIndex, ends: ends), into: &out)
        }
    }

    /// The dot-separated parts of an EPC URN's last field.
    private struct Parts {
        let text: UnsafeBufferPointer<UInt8>
        let first: Int
        let ends: UnsafeMutableBufferPointer<Int>

        var count: Int { ends.count }

        subscript(_ i: Int) -> Slice<UnsafeBufferPointer<UInt8>> {
            text[(i == 0 ? first : ends[i - 1] + 1)..<ends[i]]
        }
    }

    private static func writeCanonical(
        form: Slice<UnsafeBufferPointer<UInt8>>, scheme: Slice<UnsafeBufferPointer<UInt8>>,
        parts: Parts, into out: inout [UInt8]
    ) -> Bool {
        let cp = parts[0]
        guard (6...12).contains(cp.count), isDigits(cp),
            let form = EPCForm(name: form), let scheme = EPCScheme(name: scheme)
        else { return false }
        let urn = URNWriter(parts: parts, isPattern: form == .idpat)
        switch (form, scheme) {
        case (.id, .sgtin), (.class, .lgtin), (.id, .upui):
            guard urn.isReference(1, total: 13), urn.isLast(2) else { return false }
            urn.key("01", indicatorOf: 1, 1, into: &out)
            write(scheme == .sgtin ? "/21/" : scheme == .lgtin ? "/10/" : "/235/", into: &out)
            return writeValue(parts[2], fromURN: true, into: &out)
        case (.idpat, .sgtin), (.idpat, .upui):
            guard urn.isWildcard(2), urn.isReference(1, total: 13) else { return false }
            urn.key("01", indicatorOf: 1, 1, into: &out)
        case (.id, .itip), (.idpat, .itip): return urn.writeITIP(into: &out)
        case (.id, .sscc):
            guard parts.count == 2, urn.isReference(1, total: 17) else { return false }
            urn.key("00", indicatorOf: 1, 1, into: &out)
        case (.id, .sgln):
            guard urn.isReference(1, total: 12), urn.isLast(2) else { return false }
            urn.key("414", 1, into: &out)
            if !parts[2].elementsEqual("0".utf8) {
                write("/254/", into: &out)
                return writeValue(parts[2], fromURN: true, into: &out)
            }
        case (.id, .pgln):
            guard parts.count == 2, urn.isReference(1, total: 12) else { return false }
            urn.key("417", 1, into: &out)
        case (.id, .grai), (.idpat, .grai), (.id, .gdti), (.idpat, .gdti), (.id, .sgcn), (.idpat, .sgcn):
            return urn.writeAssetOrDocument(scheme, into: &out)
        case (.id, .giai), (.id, .ginc):
            // The reference is everything after the company prefix, dots included.
            guard parts.count >= 2 else { return false }
            let reference = parts[1].startIndex..<parts[parts.count - 1].endIndex
            guard !reference.isEmpty else { return false }
            write("https://id.gs1.org/", into: &out)
            write(scheme == .giai ? "8004/" : "401/", into: &out)
            out += cp
            return writeValue(parts.text[reference], fromURN: true, into: &out)
        case (.id, .gsrn), (.id, .gsrnp):
            guard parts.count == 2, urn.isReference(1, total: 17) else { return false }
            urn.key(scheme == .gsrn ? "8018" : "8017", 1, into: &out)
        case (.id, .gsin):
            guard parts.count == 2, urn.isReference(1, total: 16) else { return false }
            urn.key("402", 1, into: &out)
        case (.id, .cpi), (.idpat, .cpi): return urn.writeCPI(into: &out)
        default:
            return false
        }
        return true
    }

    /// A literal, appended as a buffer: appending a small `String`'s UTF-8 copies it byte by byte.
    private static func write(_ text: StaticString, into out: inout [UInt8]) {
        out.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// Writes the Digital Link of an EPC URN's parts (the first is the company prefix), scheme by scheme.
    private struct URNWriter {
        let parts: Parts
        /// Whether the URN is an ID pattern (`idpat`), whose last part is `*`.
        let isPattern: Bool

        var cp: Slice<UnsafeBufferPointer<UInt8>> { parts[0] }

        /// Whether part `index` is a digits-only reference that, with the company prefix, has `total` digits.
        func isReference(_ index: Int, total: Int) -> Bool {
            index < parts.count && cp.count + parts[index].count == total && isDigits(parts[index])
        }
        /// Whether part `index` is the last one and not empty.
        func isLast(_ index: Int) -> Bool { parts.count == index + 1 && !parts[index].isEmpty }
        /// Whether part `index` is the last and `*`.
        func isWildcard(_ index: Int) -> Bool { parts.count == index + 1 && parts[index].elementsEqual("*".utf8) }

        /// `base` + AI + `/` + the key's digits: `lead` (`indicator` before the company prefix), then the rest of
        /// part `index`, then a check digit.
        func key(
            _ ai: StaticString, lead: StaticString = "", indicatorOf index: Int? = nil, _ body: Int,
            into out: inout [UInt8]
        ) {
            write("https://id.gs1.org/", into: &out)
            write(ai, into: &out)
            write("/", into: &out)
            let start = out.count
            write(lead, into: &out)
            if let index { out.append(parts[index].first!) }
            out += cp
            out += index == body ? parts[body].dropFirst() : parts[body]
            appendCheckDigit(since: start, to: &out)
        }

        /// ITIP: the GTIN, piece and total, then the serial.
        func writeITIP(into out: inout [UInt8]) -> Bool {
            guard parts.count == 5, isReference(1, total: 13), parts[2].count == 2, parts[3].count == 2,
                isDigits(parts[2]), isDigits(parts[3]), isPattern ? isWildcard(4) : isLast(4)
            else { return false }
            key("8006", indicatorOf: 1, 1, into: &out)
            out += parts[2]
            out += parts[3]
            guard !isPattern else { return true }
            write("/21/", into: &out)
            return writeValue(parts[4], fromURN: true, into: &out)
        }

        /// GRAI, GDTI and SGCN: a 13-digit key, then the serial (digits only for a coupon).
        func writeAssetOrDocument(_ scheme: EPCScheme, into out: inout [UInt8]) -> Bool {
            let isCoupon = scheme == .sgcn
            guard parts.count == 3, isReference(1, total: 12),
                isPattern ? isWildcard(2) : isLast(2) && (!isCoupon || isDigits(parts[2]))
            else { return false }
            if scheme == .grai {
                key("8003", lead: "0", 1, into: &out)
            } else {
                key(isCoupon ? "255" : "253", 1, into: &out)
            }
            guard !isPattern else { return true }
            guard !isCoupon else {
                out += parts[2]
                return true
            }
            return writeValue(parts[2], fromURN: true, into: &out)
        }

        /// CPI: the company prefix and component reference, then the serial (digits).
        func writeCPI(into out: inout [UInt8]) -> Bool {
            guard parts.count == 3, !parts[1].isEmpty, isPattern ? isWildcard(2) : isLast(2) && isDigits(parts[2])
            else { return false }
            write("https://id.gs1.org/8010/", into: &out)
            out += cp
            guard writeValue(parts[1], fromURN: true, into: &out) else { return false }
            if !isPattern {
                write("/8011/", into: &out)
                out += parts[2]
            }
            return true
        }
    }

    /// The forms of EPC URN (TDS 2.x): pure identities, classes and ID patterns.
    private enum EPCForm: String, CaseIterable {
        case id, `class`, idpat

        /// The form named by a URN's bytes (names are compared packed, without making a string).
        init?(name: Slice<UnsafeBufferPointer<UInt8>>) {
            guard let form = DigitalLink.lookUp(name, in: EPCForm.packedNames) else { return nil }
            self = form
        }

        static let packedNames: [(count: Int, packed: UInt64, value: Self)] = allCases.map {
            ($0.rawValue.utf8.count, DigitalLink.packed($0.rawValue.utf8), $0)
        }
    }

    /// The EPC schemes that have a Digital Link (TDS 2.x §14).
    private enum EPCScheme: String, CaseIterable {
        case sgtin, lgtin, upui, itip, sscc, sgln, pgln, grai, gdti, sgcn, giai, ginc, gsrn, gsrnp, gsin, cpi

        /// The scheme named by a URN's bytes; few enough that a scan of packed names beats hashing a string.
        init?(name: Slice<UnsafeBufferPointer<UInt8>>) {
            guard let scheme = DigitalLink.lookUp(name, in: EPCScheme.packedNames) else { return nil }
            self = scheme
        }

        static let packedNames: [(count: Int, packed: UInt64, value: Self)] = allCases.map {
            ($0.rawValue.utf8.count, DigitalLink.packed($0.rawValue.utf8), $0)
        }
    }

    /// The value named `name` in `names` (each a name's length, its bytes packed, and the value; at most 8 bytes).
    private static func lookUp<Value>(
        _ name: Slice<UnsafeBufferPointer<UInt8>>, in names: [(count: Int, packed: UInt64, value: Value)]
    ) -> Value? {
        guard (1...8).contains(name.count) else { return nil }
        let key = packed(name)
        return names.first { $0.count == name.count && $0.packed == key }?.value
    }

    /// Whether a path segment after the host of the web URI `bytes` is a primary-key AI or a short name: no
    /// Digital Link without one (a quick test that spares most other web URIs the full reading).
    private static func mayBeDigitalLink(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var slashes = 0
        var from = 0
        for i in 0...bytes.count {
            let byte = i < bytes.count ? bytes[i] : UInt8(ascii: "/")
            if byte == UInt8(ascii: "?") || byte == UInt8(ascii: "#") { return false }
            guard byte == UInt8(ascii: "/") else { continue }
            slashes += 1
            // Segments after the host: the scheme's two slashes and the host's end come first.
            if slashes > 3, (2...5).contains(i - from), keyNames.contains(packed(bytes[from..<i])) {
                return true
            }
            from = i + 1
        }
        return false
    }

    /// Up to eight bytes as one number (a key name compares in one step).
    private static func packed<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> UInt64 {
        bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// The primary keys' AIs and short names, packed; few enough that a scan beats hashing.
    private static let keyNames: [UInt64] = packedPrimaryKeys.map(\.packed) + packedShortNames.map(\.packed)

    /// Primary-key AIs, and the short names Digital Link 1.1 also allowed.
    private static let primaryKeys: Set<Substring> = [
        "01", "00", "253", "255", "401", "402", "414", "417", "8003", "8004", "8006", "8010", "8017", "8018",
    ]
    private static let shortNames: [Substring: Substring] = [
        "gtin": "01", "itip": "8006", "cpid": "8010", "gln": "414", "party": "417", "gsrnp": "8017", "gsrn": "8018",
        "gcn": "255", "sscc": "00", "gdti": "253", "ginc": "401", "gsin": "402", "grai": "8003", "giai": "8004",
        "cpv": "22", "lot": "10", "ser": "21",
    ]

    /// The primary keys and the short names (with the AI each stands for), packed, for `lookUp`.
    private static let packedPrimaryKeys: [(count: Int, packed: UInt64, value: Void)] = primaryKeys.map {
        ($0.utf8.count, packed($0.utf8), ())
    }
    private static let packedShortNames: [(count: Int, packed: UInt64, value: String)] = shortNames.map {
        ($0.key.utf8.count, packed($0.key.utf8), String($0.value))
    }

    /// A path segment of a Digital Link: its bytes, or the AI its short name stands for.
    private struct Segment {
        let bytes: Slice<UnsafeBufferPointer<UInt8>>
        let alias: String?

        init(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) {
            self.bytes = bytes
            alias = DigitalLink.lookUp(bytes, in: DigitalLink.packedShortNames)
        }

        /// Whether the segment (or the AI it stands for) is `text`.
        func `is`(_ text: StaticString) -> Bool {
            let target = UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
            guard let alias else { return bytes.count == target.count && bytes.elementsEqual(target) }
            return alias.utf8.count == target.count && alias.utf8.elementsEqual(target)
        }

        var isPrimaryKey: Bool {
            guard let alias else { return DigitalLink.lookUp(bytes, in: DigitalLink.packedPrimaryKeys) != nil }
            return DigitalLink.primaryKeys.contains(Substring(alias))
        }

        var isEmpty: Bool { alias == nil && bytes.isEmpty }

        func write(into out: inout [UInt8]) {
            if let alias { out += alias.utf8 } else { out += bytes }
        }

        /// Whether it has at least four characters and the first four are numbers (digits, for ASCII text), its
        /// escapes decoded: `%31234` is `11234`, and a canonical form's escaped non-ASCII digits read as the digits
        /// they were (so the canonical form of a canonical form is itself).
        var startsWithFourNumbers: Bool {
            if let alias { return alias.count >= 4 && alias.prefix(4).allSatisfy(\.isNumber) }
            // Printable ASCII without escapes: one character a byte. Anything else is read as characters.
            guard bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "%") }) else {
                guard let decoded = DigitalLink.percentDecoded(bytes) else { return false }
                let text = String(decoding: decoded, as: UTF8.self)
                return text.count >= 4 && text.prefix(4).allSatisfy(\.isNumber)
            }
            return bytes.count >= 4 && DigitalLink.isDigits(bytes.prefix(4))
        }
    }

    /// Any domain and path prefix becomes id.gs1.org; a GTIN is padded to 14 digits; the CPV, a lot beside a
    /// serial, the query and the fragment are dropped. Values keep their percent-encoding.
    private static func writeCanonical(webURI bytes: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) -> Bool {
        let end = bytes.firstIndex { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") } ?? bytes.count
        guard let colon = bytes[..<end].firstIndex(of: UInt8(ascii: ":")) else { return false }
        // The segments after `scheme://host`, one more than the slashes after it (kept in temporary memory: every
        // Digital Link an event names comes this way).
        let path = bytes[min(colon + 3, end)..<end]
        let count = path.count { $0 == UInt8(ascii: "/") }
        guard count > 0, let hostEnd = path.firstIndex(of: UInt8(ascii: "/")) else { return false }
        return withUnsafeTemporaryAllocation(of: Segment.self, capacity: count) { buffer in
            var n = 0
            var from = hostEnd + 1
            for i in from...path.endIndex where i == path.endIndex || path[i] == UInt8(ascii: "/") {
                buffer.initializeElement(at: n, to: Segment(bytes[from..<i]))
                n += 1
                from = i + 1
            }
            defer { buffer.deinitialize() }
            return writeCanonical(segments: UnsafeBufferPointer(buffer), into: &out)
        }
    }

    /// Writes the canonical form of a Digital Link whose path segments (after the host) are `segments`.
    private static func writeCanonical(segments: UnsafeBufferPointer<Segment>, into out: inout [UInt8]) -> Bool {
        guard let start = segments.indices.first(where: { segments[$0].isPrimaryKey }), start + 1 < segments.endIndex
        else { return false }
        // AI and value pairs from the primary key on; a last AI without a value only as a trailing slash.
        let pairs = stride(from: start, to: segments.endIndex - 1, by: 2)
        if (segments.endIndex - start) % 2 == 1, !segments[segments.endIndex - 1].isEmpty { return false }
        let key = segments[start + 1]
        guard key.startsWithFourNumbers else { return false }
        var padding = 0
        if segments[start].is("01") {
            guard key.alias == nil, isDigits(key.bytes), [8, 12, 13, 14].contains(key.bytes.count) else { return false }
            padding = 14 - key.bytes.count
        }
        let hasSerial = pairs.contains { segments[$0].is("21") }
        out += "https://id.gs1.org".utf8
        for i in pairs where !segments[i].is("22") && !(hasSerial && segments[i].is("10")) {
            out.append(UInt8(ascii: "/"))
            segments[i].write(into: &out)
            out.append(UInt8(ascii: "/"))
            if i == start { out += repeatElement(UInt8(ascii: "0"), count: padding) }
            if let alias = segments[i + 1].alias {
                out += alias.utf8
            } else if !writeValue(segments[i + 1].bytes, fromURN: false, into: &out) {
                return false
            }
        }
        return true
    }
}
