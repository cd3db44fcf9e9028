import Foundation
import TransparencyLog

/// A GTIN (GS1 General Specifications §3.3.2): 8, 12, 13 or 14 digits whose last is a mod-10 check digit.
/// Held as the 14-digit form (left-padded with zeros), which is how Digital Link and EPCIS carry it.
public struct GTIN: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The 14 digits.
    public let digits: String

    /// Parses a GTIN-8, -12, -13 or -14.
    public init(_ text: some StringProtocol) throws {
        guard text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            throw GS1Error(.gtinCharacter, "GTIN '\(text)' has a character that is not a digit")
        }
        guard [8, 12, 13, 14].contains(text.count) else {
            throw GS1Error(.gtinLength, "GTIN '\(text)' has \(text.count) digits; a GTIN has 8, 12, 13 or 14")
        }
        let padded = String(repeating: "0", count: 14 - text.count) + text
        let expected = GS1.checkDigit(of: padded.dropLast())
        let given = padded.suffix(1)
        guard given.first == expected else {
            throw GS1Error(.gtinCheckDigit, "GTIN '\(text)' has check digit \(given), but its digits give \(expected)")
        }
        digits = padded
    }

    /// Builds a GTIN-14 from its first 13 digits, computing the check digit.
    init(withoutCheckDigit body: String) {
        digits = body + String(GS1.checkDigit(of: Substring(body)))
    }

    public var description: String { digits }

    public init(from decoder: any Decoder) throws {
        try self.init(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(digits)
    }
}

/// GS1 keys and their qualifiers as Threadline reads them from labels and events.
/// `Specs/07-identifiers.md` gives the accepted forms and the reasons for refusal.
public enum GS1Identifier: Hashable, Sendable {
    /// A trade item: a GTIN with an optional consumer product variant (AI 22), batch or lot (AI 10) and
    /// serial number (AI 21). With a serial it names one item; with a lot, a batch; otherwise a product class.
    case product(gtin: GTIN, cpv: String? = nil, lot: String? = nil, serial: String? = nil)
    /// A logistic unit (a carton, a pallet): an 18-digit SSCC (AI 00).
    case logisticUnit(sscc: String)
    /// A location: a 13-digit GLN (AI 414) with an optional extension (AI 254).
    case location(gln: String, extension: String? = nil)

    /// What kind of thing the identifier names, in words.
    public var kind: String {
        switch self {
        case .product(_, _, _, let serial?) where !serial.isEmpty: "item"
        case .product(_, _, let lot?, _) where !lot.isEmpty: "batch"
        case .product: "product"
        case .logisticUnit: "logistic unit"
        case .location: "location"
        }
    }
}

/// Check digits, character sets and the conversions between the forms of a GS1 key.
public enum GS1 {
    /// The mod-10 check digit of `body` (GS1 General Specifications §7.9.1): weights 3, 1, 3, … from the right.
    public static func checkDigit(of body: Substring) -> Character {
        var sum = 0
        for (i, digit) in body.utf8.reversed().enumerated() {
            sum += Int(digit - 0x30) * (i % 2 == 0 ? 3 : 1)
        }
        return Character(String((10 - sum % 10) % 10))
    }

    /// GS1 AI encodable character set 82 (General Specifications §7.11, Figure 7.11-1).
    static let set82: Set<UInt8> = Set(
        Array("!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz".utf8))

    /// Checks an alphanumeric AI value: 1…20 characters of set 82.
    static func checkAlphanumeric(_ value: String, ai: String, name: String) throws {
        guard !value.isEmpty, value.utf8.count <= 20 else {
            throw GS1Error(.gs1Length, "\(name) (AI \(ai)) '\(value)' must have 1 to 20 characters")
        }
        if let bad = value.unicodeScalars.first(where: { !$0.isASCII || !set82.contains(UInt8($0.value)) }) {
            throw GS1Error(
                .gs1Character, "\(name) (AI \(ai)) '\(value)' has '\(bad)', which GS1 character set 82 does not allow"
            )
        }
    }

    static func checkNumeric(_ value: String, digits: Int, ai: String, name: String) throws {
        guard value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            throw GS1Error(.gs1Character, "\(name) (AI \(ai)) '\(value)' has a character that is not a digit")
        }
        guard value.count == digits else {
            throw GS1Error(.gs1Length, "\(name) (AI \(ai)) '\(value)' has \(value.count) digits; it has \(digits)")
        }
        let expected = checkDigit(of: value.dropLast())
        guard value.last == expected else {
            throw GS1Error(
                .gs1CheckDigit,
                "\(name) (AI \(ai)) '\(value)' has check digit \(value.last!), but its digits give \(expected)")
        }
    }
}

extension GS1Identifier {
    /// Parses a code as printed or scanned: a GS1 Digital Link URI, an EPC URN (`urn:epc:id:sgtin|sscc|sgln:`,
    /// `urn:epc:class:lgtin:`), or a bare GTIN.
    public init(parsing text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("urn:epc:") {
            self = try GS1Identifier(epcURN: trimmed)
        } else if trimmed.hasPrefix("http://") || trimmed.hasPrefix("https://") {
            self = try DigitalLink(trimmed).identifier
        } else if trimmed.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) && !trimmed.isEmpty {
            self = .product(gtin: try GTIN(trimmed))
        } else {
            throw GS1Error(
                .codeForm, "'\(text)' is not a GS1 Digital Link URI, an EPC URN or a GTIN")
        }
    }

    /// Checks the qualifiers' syntax.
    package func validated() throws -> GS1Identifier {
        switch self {
        case .product(_, let cpv, let lot, let serial):
            if let cpv { try GS1.checkAlphanumeric(cpv, ai: "22", name: "consumer product variant") }
            if let lot { try GS1.checkAlphanumeric(lot, ai: "10", name: "batch/lot") }
            if let serial { try GS1.checkAlphanumeric(serial, ai: "21", name: "serial number") }
        case .logisticUnit(let sscc): try GS1.checkNumeric(sscc, digits: 18, ai: "00", name: "SSCC")
        case .location(let gln, let ext):
            try GS1.checkNumeric(gln, digits: 13, ai: "414", name: "GLN")
            if let ext { try GS1.checkAlphanumeric(ext, ai: "254", name: "GLN extension") }
        }
        return self
    }
}
