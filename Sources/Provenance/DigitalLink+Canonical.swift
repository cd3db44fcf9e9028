/// The canonical GS1 Digital Link of any GS1 key an EPCIS event may carry, as the CBV 2.0 event hash
/// (CBV 2.0 §8.9) compares them: EPC pure-identity URNs of every TDS 2.x scheme, EPC class URNs, EPC ID
/// patterns and Digital Link URIs on any domain all become `https://id.gs1.org/<AI>/<key>…` at the finest
/// level the code names (a serial drops the lot; a CPV and the query string go). `Specs/08-epcis.md`.
extension DigitalLink {
    /// The canonical form of `text`, or nil when it is not a GS1 key in a form this knows.
    public static func canonicalURI(for text: String) -> String? {
        if text.hasPrefix("urn:epc:") { return canonicalURI(epcURN: text) }
        if text.hasPrefix("https://") || text.hasPrefix("http://") { return canonicalURI(webURI: text) }
        return nil
    }

    private static func escaped(_ byte: UInt8) -> String? {
        switch byte {
        case UInt8(ascii: "!"): "%21"
        case UInt8(ascii: "("): "%28"
        case UInt8(ascii: ")"): "%29"
        case UInt8(ascii: "*"): "%2A"
        case UInt8(ascii: "+"): "%2B"
        case UInt8(ascii: ","): "%2C"
        case UInt8(ascii: ":"): "%3A"
        default: nil
        }
    }

    /// Digital Link's escapes for characters an EPC URN leaves bare (Digital Link Table 7-1). The URN's own
    /// `%XX` escapes are kept as they are.
    static func webEscaped(_ value: Substring) -> String {
        guard value.utf8.contains(where: { escaped($0) != nil }) else { return String(value) }
        var out: [UInt8] = []
        out.reserveCapacity(value.utf8.count + 8)
        for byte in value.utf8 {
            if let escape = escaped(byte) { out += escape.utf8 } else { out.append(byte) }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `text` split at every `separator` byte (an ASCII character), as substrings: a byte search, where
    /// `Substring.split` would compare characters.
    static func fields(_ text: Substring, _ separator: Character, maxSplits: Int = .max) -> [Substring] {
        text.utf8.split(separator: separator.asciiValue!, maxSplits: maxSplits, omittingEmptySubsequences: false)
            .map { Substring($0) }
    }

    private static func isDigits(_ text: Substring) -> Bool { text.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }

    private static func withCheckDigit(_ body: String) -> String { body + String(GS1.checkDigit(of: Substring(body))) }

    /// TDS 2.x §6.3 (EPC URNs) and §8 (EPC ID patterns, class URNs) to Digital Link.
    private static func canonicalURI(epcURN text: String) -> String? {
        let fields = fields(Substring(text), ":", maxSplits: 4)
        guard fields.count == 5, fields[0] == "urn", fields[1] == "epc" else { return nil }
        let form = fields[2]
        let scheme = fields[3]
        let parts = self.fields(fields[4], ".")
        guard let companyPrefix = parts.first, (6...12).contains(companyPrefix.utf8.count), isDigits(companyPrefix)
        else {
            return nil
        }
        let cp = String(companyPrefix)
        let base = "https://id.gs1.org/"
        /// A digits-only reference that, with the company prefix, has `total` digits.
        func reference(_ index: Int, total: Int) -> String? {
            guard index < parts.count, cp.utf8.count + parts[index].utf8.count == total, isDigits(parts[index]) else {
                return nil
            }
            return String(parts[index])
        }
        func gtin(_ itemReference: String) -> String {
            withCheckDigit(String(itemReference.prefix(1)) + cp + itemReference.dropFirst())
        }
        func last(_ index: Int) -> Substring? {
            guard parts.count == index + 1, !parts[index].isEmpty else { return nil }
            return parts[index]
        }
        switch (form, scheme) {
        case ("id", "sgtin"):
            guard let item = reference(1, total: 13), let serial = last(2) else { return nil }
            return base + "01/" + gtin(item) + "/21/" + webEscaped(serial)
        case ("class", "lgtin"):
            guard let item = reference(1, total: 13), let lot = last(2) else { return nil }
            return base + "01/" + gtin(item) + "/10/" + webEscaped(lot)
        case ("idpat", "sgtin"), ("idpat", "upui"):
            guard parts.count == 3, parts[2] == "*", let item = reference(1, total: 13) else { return nil }
            return base + "01/" + gtin(item)
        case ("id", "upui"):
            guard let item = reference(1, total: 13), let tpx = last(2) else { return nil }
            return base + "01/" + gtin(item) + "/235/" + webEscaped(tpx)
        case ("id", "itip"), ("idpat", "itip"):
            guard parts.count == 5, let item = reference(1, total: 13), parts[2].utf8.count == 2,
                parts[3].utf8.count == 2,
                isDigits(parts[2]), isDigits(parts[3])
            else { return nil }
            let key = base + "8006/" + gtin(item) + parts[2] + parts[3]
            if form == "idpat" { return parts[4] == "*" ? key : nil }
            guard let serial = last(4) else { return nil }
            return key + "/21/" + webEscaped(serial)
        case ("id", "sscc"):
            guard parts.count == 2, let serial = reference(1, total: 17) else { return nil }
            return base + "00/" + withCheckDigit(String(serial.prefix(1)) + cp + serial.dropFirst())
        case ("id", "sgln"):
            guard let location = reference(1, total: 12), let ext = last(2) else { return nil }
            let gln = base + "414/" + withCheckDigit(cp + location)
            return ext == "0" ? gln : gln + "/254/" + webEscaped(ext)
        case ("id", "pgln"):
            guard parts.count == 2, let party = reference(1, total: 12) else { return nil }
            return base + "417/" + withCheckDigit(cp + party)
        case ("id", "grai"), ("idpat", "grai"):
            guard parts.count == 3, let assetType = reference(1, total: 12) else { return nil }
            let key = base + "8003/" + withCheckDigit("0" + cp + assetType)
            if form == "idpat" { return parts[2] == "*" ? key : nil }
            guard let serial = last(2) else { return nil }
            return key + webEscaped(serial)
        case ("id", "gdti"), ("idpat", "gdti"):
            guard parts.count == 3, let documentType = reference(1, total: 12) else { return nil }
            let key = base + "253/" + withCheckDigit(cp + documentType)
            if form == "idpat" { return parts[2] == "*" ? key : nil }
            guard let serial = last(2) else { return nil }
            return key + webEscaped(serial)
        case ("id", "sgcn"), ("idpat", "sgcn"):
            guard parts.count == 3, let coupon = reference(1, total: 12) else { return nil }
            let key = base + "255/" + withCheckDigit(cp + coupon)
            if form == "idpat" { return parts[2] == "*" ? key : nil }
            guard let serial = last(2), isDigits(serial) else { return nil }
            return key + serial
        case ("id", "giai"), ("id", "ginc"):
            guard parts.count >= 2 else { return nil }
            let reference = parts.dropFirst().joined(separator: ".")
            guard !reference.isEmpty else { return nil }
            return base + (scheme == "giai" ? "8004/" : "401/") + cp + webEscaped(Substring(reference))
        case ("id", "gsrn"), ("id", "gsrnp"):
            guard parts.count == 2, let service = reference(1, total: 17) else { return nil }
            return base + (scheme == "gsrn" ? "8018/" : "8017/") + withCheckDigit(cp + service)
        case ("id", "gsin"):
            guard parts.count == 2, let shipper = reference(1, total: 16) else { return nil }
            return base + "402/" + withCheckDigit(cp + shipper)
        case ("id", "cpi"), ("idpat", "cpi"):
            guard parts.count == 3, !parts[1].isEmpty else { return nil }
            let key = base + "8010/" + webEscaped(Substring(cp + parts[1]))
            if form == "idpat" { return parts[2] == "*" ? key : nil }
            guard let serial = last(2), isDigits(serial) else { return nil }
            return key + "/8011/" + serial
        default:
            return nil
        }
    }

    /// Primary-key AIs, and the short names Digital Link 1.1 also allowed.
    private static let primaryKeys: Set<Substring> = [
        "01", "00", "253", "255", "401", "402", "414", "417", "8003", "8004", "8006", "8010", "8017", "8018",
    ]
    private static let shortNames: [Substring: Substring] = [
        "gtin": "01", "itip": "8006", "cpid": "8010", "gln": "414", "party": "417", "gsrnp": "8017", "gsrn": "8018",
        "gcn": "255", "sscc": "00", "gdti": "253", "ginc": "401", "gsin": "402", "grai": "8003", "giai": "8004",
        "cpv": "22", "lot": "10", "ser": "21",
    ]

    /// Any domain and path prefix becomes id.gs1.org; a GTIN is padded to 14 digits; the CPV, a lot beside a
    /// serial, the query and the fragment are dropped. Values keep their percent-encoding.
    private static func canonicalURI(webURI text: String) -> String? {
        var uri = Substring(text)
        if let cut = uri.utf8.firstIndex(where: { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") }) {
            uri = uri[..<cut]
        }
        guard let colon = uri.utf8.firstIndex(of: UInt8(ascii: ":")) else { return nil }
        let afterScheme = Substring(uri.utf8[colon...].dropFirst(3))
        let segments = fields(afterScheme, "/").dropFirst().map { shortNames[$0] ?? $0 }
        guard let start = segments.indices.first(where: { primaryKeys.contains(segments[$0]) }),
            start + 1 < segments.endIndex
        else { return nil }
        var pairs = stride(from: start, to: segments.endIndex - 1, by: 2).map { (segments[$0], segments[$0 + 1]) }
        if segments.endIndex - start > pairs.count * 2, segments.last != "" { return nil }
        guard var key = pairs.first?.1, key.count >= 4, key.prefix(4).allSatisfy(\.isNumber) else { return nil }
        if pairs[0].0 == "01" {
            guard isDigits(key), [8, 12, 13, 14].contains(key.utf8.count) else { return nil }
            key = Substring(String(repeating: "0", count: 14 - key.count) + key)
            pairs[0].1 = key
        }
        pairs.removeAll { $0.0 == "22" }
        if pairs.contains(where: { $0.0 == "21" }) { pairs.removeAll { $0.0 == "10" } }
        return "https://id.gs1.org" + pairs.map { "/\($0.0)/\($0.1)" }.joined()
    }
}
