import Foundation
import TransparencyLog

/// EPC pure-identity and class URNs (GS1 EPC Tag Data Standard 2.x §6, §7): `urn:epc:id:sgtin:`,
/// `urn:epc:id:sscc:`, `urn:epc:id:sgln:` and `urn:epc:class:lgtin:`. A URN splits the key at the company
/// prefix, so turning a GTIN, SSCC or GLN into one needs the prefix's length (6…12 digits).
extension GS1Identifier {
    /// Parses an EPC URN.
    public init(epcURN text: String) throws {
        let forms: [(prefix: String, parts: Int)] = [
            ("urn:epc:id:sgtin:", 3), ("urn:epc:class:lgtin:", 3), ("urn:epc:id:sscc:", 2), ("urn:epc:id:sgln:", 3),
        ]
        guard let form = forms.first(where: { text.hasPrefix($0.prefix) }) else {
            throw GS1Error(.epcScheme, "'\(text)' is not an sgtin, sscc, sgln or lgtin EPC URN")
        }
        let parts = text.dropFirst(form.prefix.count).split(
            separator: ".", maxSplits: form.parts - 1, omittingEmptySubsequences: false
        )
        .map(String.init)
        guard parts.count == form.parts else {
            throw GS1Error(
                .epcParts, "'\(text)' must have \(form.parts) dot-separated parts after '\(form.prefix)'")
        }
        let companyPrefix = parts[0]
        guard (6...12).contains(companyPrefix.count), companyPrefix.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            throw GS1Error(.epcCompanyPrefix, "'\(text)': the company prefix must be 6 to 12 digits")
        }
        func digits(_ value: String, _ count: Int, _ code: GS1Code) throws -> String {
            guard value.count == count, value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
                let name = code.rawValue.dropFirst("epc.".count)
                throw GS1Error(
                    code,
                    "'\(text)': with a \(companyPrefix.count)-digit company prefix the \(name) has \(count) digits")
            }
            return value
        }
        func unescaped(_ value: String, _ name: String) throws -> String {
            guard let decoded = value.removingPercentEncoding, !decoded.isEmpty else {
                throw GS1Error(.epcEscape, "'\(text)': the \(name) is empty or badly %-escaped")
            }
            return decoded
        }
        switch form.prefix {
        case "urn:epc:id:sgtin:", "urn:epc:class:lgtin:":
            let itemRef = try digits(parts[1], 13 - companyPrefix.count, .epcItemReference)
            let gtin = GTIN(withoutCheckDigit: String(itemRef.prefix(1)) + companyPrefix + itemRef.dropFirst())
            let last = try unescaped(parts[2], form.prefix.hasSuffix("sgtin:") ? "serial" : "lot")
            self = try
                (form.prefix.hasSuffix("sgtin:")
                ? GS1Identifier.product(gtin: gtin, serial: last) : GS1Identifier.product(gtin: gtin, lot: last))
                .validated()
        case "urn:epc:id:sscc:":
            let serialRef = try digits(parts[1], 17 - companyPrefix.count, .epcSerialReference)
            let body = String(serialRef.prefix(1)) + companyPrefix + serialRef.dropFirst()
            self = .logisticUnit(sscc: body + String(GS1.checkDigit(of: Substring(body))))
        default:
            let locationRef = try digits(parts[1], 12 - companyPrefix.count, .epcLocationReference)
            let body = companyPrefix + locationRef
            let ext = try unescaped(parts[2], "extension")
            self = try GS1Identifier.location(
                gln: body + String(GS1.checkDigit(of: Substring(body))), extension: ext == "0" ? nil : ext
            )
            .validated()
        }
    }

    /// The EPC URN, given the length of the GS1 company prefix (which the key alone does not tell).
    /// A product with a serial is an SGTIN; with a lot and no serial, an LGTIN class. A bare product or one
    /// with a CPV has no EPC form.
    public func epcURN(companyPrefixLength length: Int) throws -> String {
        guard (6...12).contains(length) else {
            throw GS1Error(.epcCompanyPrefix, "a GS1 company prefix has 6 to 12 digits, not \(length)")
        }
        switch self {
        case .product(let gtin, nil, let lot, let serial):
            let d = gtin.digits
            let companyPrefix = d.dropFirst().prefix(length)
            let itemRef = String(d.prefix(1)) + d.dropFirst(1 + length).dropLast()
            if let serial { return "urn:epc:id:sgtin:\(companyPrefix).\(itemRef).\(GS1Identifier.escapeEPC(serial))" }
            if let lot { return "urn:epc:class:lgtin:\(companyPrefix).\(itemRef).\(GS1Identifier.escapeEPC(lot))" }
            throw GS1Error(.epcForm, "a GTIN needs a serial (SGTIN) or a lot (LGTIN) to have an EPC URN")
        case .product:
            throw GS1Error(.epcForm, "a GTIN with a consumer product variant (AI 22) has no EPC URN")
        case .logisticUnit(let sscc):
            let companyPrefix = sscc.dropFirst().prefix(length)
            return "urn:epc:id:sscc:\(companyPrefix).\(sscc.prefix(1))\(sscc.dropFirst(1 + length).dropLast())"
        case .location(let gln, let ext):
            let companyPrefix = gln.prefix(length)
            return
                "urn:epc:id:sgln:\(companyPrefix).\(gln.dropFirst(length).dropLast()).\(GS1Identifier.escapeEPC(ext ?? "0"))"
        }
    }

    /// TDS §5 URN escaping: `"`, `%`, `&`, `/`, `<`, `>`, `?` and `#` as %XX.
    static func escapeEPC(_ value: String) -> String {
        var out = ""
        for scalar in value.unicodeScalars {
            if "\"%&/<>?#".unicodeScalars.contains(scalar) {
                out += String(format: "%%%02X", scalar.value)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
