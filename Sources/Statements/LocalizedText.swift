import EPCIS

/// Text a shopper reads, in one or more languages: a JSON object of BCP 47 language tags to text
/// (`Specs/24-products.md` §2) — a product's name, a place's name.
public struct LocalizedText: Sendable, Hashable {
    public struct Entry: Sendable, Hashable {
        /// A BCP 47 tag as written (`en`, `zh-CN`).
        public let language: String
        public let text: String
    }

    /// Each language once, in the order of their tags.
    public let entries: [Entry]

    /// The most languages one text may have.
    public static let maxLanguages = 16

    /// Text in the languages `texts` gives (tag to text). Refused, with the reason, when there is no language,
    /// more than `maxLanguages`, a tag that is not a language tag, the same language twice (tags differing in
    /// case), or a text `DisplayText.problem` refuses.
    public init(_ texts: [String: String], maxCharacters: Int, multiline: Bool = false) throws(DisplayText.Problem) {
        guard !texts.isEmpty else { throw DisplayText.Problem("has no language") }
        guard texts.count <= Self.maxLanguages else {
            throw DisplayText.Problem("has more than \(Self.maxLanguages) languages")
        }
        var entries: [Entry] = []
        for (language, text) in texts.sorted(by: { $0.key < $1.key }) {
            guard Self.isLanguageTag(language) else {
                throw DisplayText.Problem("has '\(language)', which is not a language tag (BCP 47: en, zh-CN …)")
            }
            guard !entries.contains(where: { $0.language.lowercased() == language.lowercased() }) else {
                throw DisplayText.Problem("has the language \(language) twice")
            }
            if let problem = DisplayText.problem(text, maxCharacters: maxCharacters, multiline: multiline) {
                throw DisplayText.Problem("in \(language) \(problem)")
            }
            entries.append(Entry(language: language, text: text))
        }
        self.entries = entries
    }

    /// Reads `{"en": "…", "zh-CN": "…"}`, as `init(_:maxCharacters:multiline:)` checks it.
    public init(json: JSONValue, maxCharacters: Int, multiline: Bool = false) throws(DisplayText.Problem) {
        guard let members = json.members else {
            throw DisplayText.Problem("must be an object of language tags to text")
        }
        var texts: [String: String] = [:]
        for member in members {
            guard let text = member.value.stringValue else {
                throw DisplayText.Problem("in \(member.key) must be text")
            }
            guard texts.updateValue(text, forKey: member.key) == nil else {
                throw DisplayText.Problem("has the language \(member.key) twice")
            }
        }
        try self.init(texts, maxCharacters: maxCharacters, multiline: multiline)
    }

    /// The JSON object, tags in order.
    public var json: JSONValue { .object(entries.map { .init($0.language, .string($0.text)) }) }

    /// The entry for the first of `languages` (BCP 47 tags, most wanted first) it has — the same tag, or else the
    /// same primary language (`zh` for `zh-CN`) — or else English, or else the first.
    public func entry(for languages: [String]) -> Entry {
        func primary(_ tag: String) -> Substring { tag.lowercased().split(separator: "-").first ?? "" }
        for wanted in languages {
            if let exact = entries.first(where: { $0.language.lowercased() == wanted.lowercased() }) { return exact }
            if let near = entries.first(where: { primary($0.language) == primary(wanted) }) { return near }
        }
        // `entries` is never empty (the initialiser refuses that).
        return entries.first { primary($0.language) == "en" } ?? entries[0]
    }

    /// The text for the first of `languages` it has (`entry(for:)`).
    public func text(for languages: [String]) -> String { entry(for: languages).text }

    /// Whether `tag` is a language tag as this ledger takes them: a primary language of 2 or 3 letters, then up
    /// to three subtags of 2 to 8 letters or digits (`en`, `zh-CN`, `zh-Hans-CN`).
    public static func isLanguageTag(_ tag: String) -> Bool {
        let parts = tag.split(separator: "-", omittingEmptySubsequences: false)
        guard (1...4).contains(parts.count), (2...3).contains(parts[0].utf8.count),
            parts[0].utf8.allSatisfy(\.isASCIILetter)
        else { return false }
        return parts.dropFirst().allSatisfy { part in
            (2...8).contains(part.utf8.count) && part.utf8.allSatisfy { $0.isASCIILetter || (0x30...0x39).contains($0) }
        }
    }
}

extension UInt8 {
    fileprivate var isASCIILetter: Bool { (0x41...0x5A).contains(self) || (0x61...0x7A).contains(self) }
}

/// The rules for text people read (names, reasons, a product's description): what a terminal or page would act on
/// instead of showing is refused.
public enum DisplayText {
    /// Why a text cannot be shown, as the end of a sentence ("is empty").
    public struct Problem: Error, Sendable, CustomStringConvertible {
        public let description: String
        public init(_ description: String) { self.description = description }
    }

    /// Why `text` cannot be shown, or nil: it must have 1 to `maxCharacters` characters and none that a terminal
    /// or page would act on — no control characters (a newline would forge a line of CLI output; escapes drive
    /// terminals), except line feeds when `multiline`, and no bidirectional overrides (they reorder what is
    /// shown).
    public static func problem(_ text: String, maxCharacters: Int, multiline: Bool = false) -> String? {
        if text.isEmpty { return "is empty" }
        if text.count > maxCharacters { return "is longer than \(maxCharacters) characters" }
        for scalar in text.unicodeScalars
        where (scalar.properties.generalCategory == .control && !(multiline && scalar == "\n"))
            || (0x202A...0x202E).contains(scalar.value) || (0x2066...0x2069).contains(scalar.value)
        {
            return "holds the control character U+" + String(scalar.value, radix: 16, uppercase: true)
        }
        return nil
    }
}

/// ISO 3166-1 alpha-2 country codes (the 249 officially assigned).
public enum CountryCode {
    public static let all: Set<String> = Set(
        """
        AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ
        BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR
        CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR
        GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU
        ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ
        LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ
        MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF
        PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI
        SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR
        TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
        """.split(whereSeparator: \.isWhitespace).map(String.init))

    /// Whether `code` is an officially assigned ISO 3166-1 alpha-2 code (upper case).
    public static func isValid(_ code: String) -> Bool { all.contains(code) }
}
