import TransparencyLog

/// One spelling for every identifier (`Specs/07-identifiers.md` §2.1): what the index, the rules, trace and the
/// resolver compare.
extension DigitalLink {
    /// The canonical form of an identifier: a GS1 key's canonical Digital Link, one spelling for every way of
    /// writing it, or any other identifier as written.
    public static func canonical(_ identifier: String) -> String {
        canonicalURI(for: identifier) ?? identifier
    }

    /// `canonical(code)` for a code someone asks about (trace, listing checks, the resolver): a code with a
    /// malformed percent-escape (`%` not followed by two hex digits) is refused, as events that carry one are.
    public static func canonical(asking code: String) throws -> String {
        let bytes = Array(code.utf8)
        func isHex(_ i: Int) -> Bool { i < bytes.count && (Character(UnicodeScalar(bytes[i])).isHexDigit) }
        for (i, byte) in bytes.enumerated() where byte == UInt8(ascii: "%") && !(isHex(i + 1) && isHex(i + 2)) {
            throw GS1Error(
                .codeInvalid, "'\(code)' has a malformed %-escape at byte \(i) (a % must begin two hex digits)")
        }
        return canonical(code)
    }

    /// The GTIN in a canonical Digital Link, if it has one.
    public static func gtin(inCanonical uri: String) -> String? { gtinDigits(inCanonical: uri).map(String.init) }

    /// The 14 digits of the GTIN in a canonical Digital Link, without copying them.
    package static func gtinDigits(inCanonical uri: String) -> Substring? {
        let marker = "https://id.gs1.org/01/"
        guard uri.utf8.starts(with: marker.utf8) else { return nil }
        let digits = uri.utf8.dropFirst(marker.utf8.count).prefix(14)
        return digits.count == 14 ? Substring(digits) : nil
    }
}
