import Foundation
@testable import GS1Identifiers
import Testing
import ThreadlineTestSupport

/// The canonical form of a Digital Link on any domain is read from its bytes. These tests hold that reader to the
/// rule as written over strings (`reference`, below: the rule of `Specs/08-epcis.md`, character by character), on
/// thousands of generated links, well formed and not.
@Suite("Digital Link canonical forms, read from bytes")
struct DigitalLinkCanonicalTests {
    static let primaryKeys: Set<Substring> = [
        "01", "00", "253", "255", "401", "402", "414", "417", "8003", "8004", "8006", "8010", "8017", "8018",
    ]
    static let shortNames: [Substring: Substring] = [
        "gtin": "01", "itip": "8006", "cpid": "8010", "gln": "414", "party": "417", "gsrnp": "8017", "gsrn": "8018",
        "gcn": "255", "sscc": "00", "gdti": "253", "ginc": "401", "gsin": "402", "grai": "8003", "giai": "8004",
        "cpv": "22", "lot": "10", "ser": "21",
    ]

    /// A value's one spelling, over strings (`Specs/07-identifiers.md`): escapes decoded (nil for a malformed
    /// one, or a bare ASCII character that is no RFC 3986 `pchar`), then all but letters, digits, `-._'` escaped.
    static func normalised(_ value: Substring) -> Substring? {
        let hex = Set("0123456789ABCDEFabcdef".utf8)
        let bare = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._'".utf8)
        let pchar = bare.union("~!$&()*+,;=:@".utf8)
        let bytes = Array(value.utf8)
        var out = ""
        var i = 0
        while i < bytes.count {
            var byte = bytes[i]
            if byte == UInt8(ascii: "%") {
                guard i + 2 < bytes.count, hex.contains(bytes[i + 1]), hex.contains(bytes[i + 2]) else { return nil }
                byte = UInt8(String(decoding: bytes[i + 1...i + 2], as: UTF8.self), radix: 16)!
                i += 3
            } else {
                guard byte >= 0x80 || pchar.contains(byte) else { return nil }
                i += 1
            }
            out += bare.contains(byte) ? String(UnicodeScalar(byte)) : String(format: "%%%02X", byte)
        }
        return Substring(out)
    }

    /// The rule as it was first written, over strings: any domain and path prefix becomes id.gs1.org, short names
    /// become AIs, a GTIN is padded to 14 digits, the CPV, a lot beside a serial, the query and the fragment go;
    /// each value is written in its one spelling.
    static func reference(_ text: String) -> String? {
        guard text.hasPrefix("https://") || text.hasPrefix("http://") else { return nil }
        var uri = Substring(text)
        if let cut = uri.utf8.firstIndex(where: { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") }) {
            uri = uri[..<cut]
        }
        guard let colon = uri.utf8.firstIndex(of: UInt8(ascii: ":")) else { return nil }
        let afterScheme = Substring(uri.utf8[colon...].dropFirst(3))
        let segments = afterScheme.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
            .dropFirst().map { shortNames[Substring($0)] ?? Substring($0) }
        guard let start = segments.indices.first(where: { primaryKeys.contains(segments[$0]) }),
            start + 1 < segments.endIndex
        else { return nil }
        var pairs = stride(from: start, to: segments.endIndex - 1, by: 2).map { (segments[$0], segments[$0 + 1]) }
        if segments.endIndex - start > pairs.count * 2, segments.last != "" { return nil }
        // The key begins with four numbers, its escapes decoded.
        guard var key = pairs.first?.1, let decoded = key.removingPercentEncoding, decoded.count >= 4,
            decoded.prefix(4).allSatisfy(\.isNumber)
        else { return nil }
        if pairs[0].0 == "01" {
            guard key.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), [8, 12, 13, 14].contains(key.utf8.count) else {
                return nil
            }
            key = Substring(String(repeating: "0", count: 14 - key.count) + key)
            pairs[0].1 = key
        }
        pairs.removeAll { $0.0 == "22" }
        if pairs.contains(where: { $0.0 == "21" }) { pairs.removeAll { $0.0 == "10" } }
        var path = ""
        for (ai, value) in pairs {
            guard let value = normalised(value) else { return nil }
            path += "/\(ai)/\(value)"
        }
        return "https://id.gs1.org" + path
    }

    @Test("generated links read the same from bytes as by the rule")
    func generated() {
        var random = SeededGenerator(state: 2026_11_30)
        let hosts = [
            "https://id.gs1.org", "http://brand.example.com", "https://example.com/p/q", "https://x", "https://",
        ]
        let names =
            (Array(Self.primaryKeys) + Array(Self.shortNames.keys)).map(String.init) + [
                "21", "10", "22", "17", "254", "", "x",
            ]
        let values = [
            "9506000134352", "09506000134352", "96385074", "614141000036", "12345", "1234567", "0614141ABC",
            "LOT%2F7", "AB-1", "", "gtin", "lot", "١٢٣٤٥٦٧٨", "12\u{301}34567", "0614141€", "4012345000009",
        ]
        let tails = ["", "/", "?linkType=gs1:pip", "#top", "/?x", "//"]
        var (canonical, total) = (0, 0)
        for _ in 0..<6_000 {
            var text = hosts.randomElement(using: &random)!
            for _ in 0..<Int.random(in: 0...5, using: &random) {
                text += "/" + (Bool.random(using: &random) ? names : values).randomElement(using: &random)!
            }
            text += tails.randomElement(using: &random)!
            let expected = Self.reference(text)
            #expect(DigitalLink.canonicalURI(for: text) == expected, "\(text)")
            total += 1
            if expected != nil { canonical += 1 }
        }
        // Both kinds are well represented.
        #expect(canonical > 500 && canonical < total - 500)
    }

    @Test(
        "links of every kind read the same from bytes as by the rule",
        arguments: [
            "https://example.com/gtin/9506000134352/lot/A1/ser/7",
            "https://id.gs1.org/01/9506000134352/22/XL/10/A/21/B",
            "https://id.gs1.org/01/9506000134352/10/A", "https://id.gs1.org/8004/0614141ABC/",
            "https://id.gs1.org/8004/itip",
            "https://id.gs1.org/01/itip", "https://id.gs1.org/414/4012345000016?x#y", "https://id.gs1.org/01/١٢٣٤٥٦٧٨",
            "https://id.gs1.org/8004/١٢٣٤ABC", "https://id.gs1.org/01/09506000134352/21", "https://id.gs1.org/00",
            "https://id.gs1.org/sscc/106141412345678908", "http://a/b/c/01/96385074/21/%2F",
            // Escaped digits read as the digits they are: a canonical form of a key in another script's digits,
            // and one whose key is written with escapes.
            "https://id.gs1.org/8004/%D9%A1%D9%A2%D9%A3%D9%A4ABC", "https://id.gs1.org/8004/%31234ABC",
            "https://id.gs1.org/8004/12%3", "https://x/00/006%DB%B53u%3Dtps%3A//i/0pom3%000/h",
        ])
    func examples(_ text: String) {
        #expect(DigitalLink.canonicalURI(for: text) == Self.reference(text), "\(text)")
        // The canonical form of a canonical form is itself (07 §2.1).
        if let canonical = DigitalLink.canonicalURI(for: text) {
            #expect(DigitalLink.canonicalURI(for: canonical) == canonical, "\(text)")
        }
    }
}
