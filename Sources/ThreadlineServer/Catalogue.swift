import EPCIS
import Foundation

/// The consumer page's messages in every language it speaks (`Resources/messages.json`, `Specs/24-products.md`
/// §5): a language is a column of every message, so a translator adds one by editing that file alone.
struct Catalogue: Sendable {
    /// The languages, each a BCP 47 tag with its own name for itself; the first is the default.
    let languages: [(tag: String, name: String)]
    /// Each message's text by language.
    let messages: [String: [String: String]]

    /// The catalogue embedded in the binary.
    static let shared: Catalogue = {
        // The file is compiled into the binary, never read from outside, and `CatalogueTests` reads it whole (every
        // message in every language): a malformed one fails the tests and cannot reach a user.
        try! Catalogue(json: PackageResources.messages_json)
    }()

    struct Malformed: Error, CustomStringConvertible {
        let description: String
    }

    /// Reads a catalogue: `{"languages": {tag: name, …}, "messages": {key: {tag: text, …}, …}}`, every message in
    /// every language.
    init(json bytes: [UInt8]) throws {
        let json = try JSONValue(parsing: bytes)
        guard let languages = json["languages"]?.members, !languages.isEmpty,
            let messages = json["messages"]?.members
        else { throw Malformed(description: "a catalogue has 'languages' and 'messages'") }
        self.languages = try languages.map { member in
            guard let name = member.value.stringValue else { throw Malformed(description: "a language's name is text") }
            return (member.key, name)
        }
        var table: [String: [String: String]] = [:]
        for message in messages {
            var texts: [String: String] = [:]
            for (tag, _) in self.languages {
                guard let text = message.value[tag]?.stringValue else {
                    throw Malformed(description: "the message '\(message.key)' has no text in \(tag)")
                }
                texts[tag] = text
            }
            table[message.key] = texts
        }
        self.messages = table
    }

    /// The language to answer in: `query` (`?lang=`) when the catalogue has it, else the best of the
    /// `Accept-Language` header's languages it has (by weight, then order; a tag matches the same tag, or the same
    /// primary language), else the default.
    func language(query: String?, acceptLanguage: String?) -> String {
        if let query, let tag = match(query) { return tag }
        var wanted: [(tag: String, weight: Double, order: Int)] = []
        for (order, part) in (acceptLanguage ?? "").split(separator: ",").prefix(32).enumerated() {
            let pieces = part.split(separator: ";")
            let tag = pieces.first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            var weight = 1.0
            for parameter in pieces.dropFirst() {
                let pair = parameter.trimmingCharacters(in: .whitespaces)
                if pair.hasPrefix("q="), let q = Double(pair.dropFirst(2)), (0...1).contains(q) { weight = q }
            }
            if !tag.isEmpty, weight > 0 { wanted.append((tag, weight, order)) }
        }
        for entry in wanted.sorted(by: { ($0.weight, -$0.order) > ($1.weight, -$1.order) }) {
            if let tag = match(entry.tag) { return tag }
        }
        return languages[0].tag
    }

    /// The catalogue's language for `tag`: the same tag (ignoring case), or the first with the same primary
    /// language.
    func match(_ tag: String) -> String? {
        let lower = tag.lowercased()
        if let exact = languages.first(where: { $0.tag.lowercased() == lower }) { return exact.tag }
        let primary = lower.split(separator: "-").first.map(String.init) ?? lower
        return languages.first { $0.tag.lowercased().split(separator: "-").first.map(String.init) == primary }?.tag
    }

    /// The message `key` in `language` with each `{name}` replaced by `values[name]`; the key itself for a
    /// message the catalogue lacks (a bug its tests catch).
    func text(_ key: String, _ language: String, _ values: [String: String] = [:]) -> String {
        let text = messages[key]?[language] ?? messages[key]?[languages[0].tag] ?? key
        guard !values.isEmpty else { return text }
        // One pass: each `{name}` with a value is replaced; any other brace is kept.
        var out = ""
        out.reserveCapacity(text.utf8.count + values.values.reduce(0) { $0 + $1.utf8.count })
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "{") {
            out += rest[..<open]
            guard let close = rest[open...].firstIndex(of: "}"),
                let value = values[String(rest[rest.index(after: open)..<close])]
            else {
                out += "{"
                rest = rest[rest.index(after: open)...]
                continue
            }
            out += value
            rest = rest[rest.index(after: close)...]
        }
        out += rest
        return out
    }
}

/// Words, dates, numbers and country names in one language.
struct Localizer: Sendable {
    let catalogue: Catalogue
    let language: String
    let locale: Locale

    init(_ language: String, catalogue: Catalogue = .shared) {
        self.catalogue = catalogue
        self.language = language
        self.locale = Locale(identifier: language)
    }

    func callAsFunction(_ key: String, _ values: [String: String] = [:]) -> String {
        catalogue.text(key, language, values)
    }

    /// A day, long form, in the event's own zone: `26 November 2026`, `2026年11月26日`.
    func day(_ time: Timestamp.DateTime) -> String {
        Date(timeIntervalSince1970: Double(time.micros) / 1e6).formatted(
            Date.FormatStyle(date: .long, time: .omitted, locale: locale, timeZone: zone(time)))
    }

    /// The day of a time (milliseconds since the epoch), in UTC.
    func day(millis: Int64) -> String {
        Date(timeIntervalSince1970: Double(millis) / 1000).formatted(
            Date.FormatStyle(date: .long, time: .omitted, locale: locale, timeZone: .gmt))
    }

    /// A day and time in the event's own zone, with the zone: `2 Oct 2026, 07:30 GMT+5:30`.
    func moment(_ time: Timestamp.DateTime) -> String {
        Date(timeIntervalSince1970: Double(time.micros) / 1e6).formatted(
            Date.FormatStyle(date: .abbreviated, time: .shortened, locale: locale, timeZone: zone(time))
                .timeZone(.localizedGMT(.short)))
    }

    private func zone(_ time: Timestamp.DateTime) -> TimeZone {
        TimeZone(secondsFromGMT: (time.offsetMinutes ?? 0) * 60) ?? .gmt
    }

    /// A number as the language writes it: `3,000.5`.
    func number(_ value: Double) -> String { value.formatted(.number.locale(locale)) }

    /// A whole number as the language writes it.
    func number(_ value: Int) -> String { value.formatted(.number.locale(locale)) }

    /// A country's name in the language (ISO 3166-1 alpha-2 code), or the code.
    func country(_ code: String) -> String { locale.localizedString(forRegionCode: code) ?? code }

    /// Items joined as the language lists them.
    func list(_ items: [String]) -> String { items.joined(separator: self("list.separator")) }
}
