import EPCIS
import Foundation
import LedgerRules
import Statements
import Testing

@testable import ThreadlineServer

/// The consumer page's message catalogue (Specs/24-products.md §5) and how a page's language is chosen.
struct CatalogueTests {
    /// The `{placeholders}` of a text.
    static func placeholders(_ text: String) -> Set<String> {
        var found: Set<String> = []
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            found.insert(String(rest[rest.index(after: open)..<close]))
            rest = rest[rest.index(after: close)...]
        }
        return found
    }

    @Test func everyMessageIsInEveryLanguageWithTheSamePlaceholders() throws {
        let catalogue = Catalogue.shared
        #expect(catalogue.languages.map(\.tag) == ["en", "zh-CN"])
        #expect(catalogue.messages.count > 100)
        for (key, texts) in catalogue.messages {
            let english = try #require(texts["en"], "\(key)")
            for (tag, _) in catalogue.languages {
                let text = try #require(texts[tag], "\(key) in \(tag)")
                #expect(!text.isEmpty, "\(key) in \(tag)")
                #expect(Self.placeholders(text) == Self.placeholders(english), "\(key) in \(tag)")
            }
        }
        // Every fibre and every business step the page names has its words.
        for fibre in ProductData.fibres { #expect(catalogue.messages["fibre." + fibre] != nil, "\(fibre)") }
        for stage in ["origin", "manufacturer", "brand", "channel", "consumer"] {
            #expect(catalogue.messages["stage." + stage] != nil)
        }
        // A catalogue missing a language's text is refused, as the server would refuse to start.
        let broken = #"{"languages":{"en":"English","fr":"Français"},"messages":{"a":{"en":"A"}}}"#
        #expect(throws: Catalogue.Malformed.self) { try Catalogue(json: Array(broken.utf8)) }
    }

    @Test func theLanguageIsTheQuerysElseTheBrowsersBestElseEnglish() {
        let catalogue = Catalogue.shared
        for (query, header, expected) in [
            (nil, "zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"), (nil, "zh-TW", "zh-CN"), (nil, "zh-Hans", "zh-CN"),
            (nil, "en-GB", "en"), (nil, "fr, de;q=0.5", "en"), (nil, "en;q=0.2, zh;q=0.8", "zh-CN"),
            (nil, "zh;q=0, en", "en"), (nil, "*", "en"), (nil, nil, "en"), (nil, "zh;q=abc, en;q=0.1", "zh-CN"),
            ("en", "zh-CN", "en"), ("ZH-cn", nil, "zh-CN"), ("xx", "zh-CN", "zh-CN"), ("", "zh", "zh-CN"),
        ] as [(String?, String?, String)] {
            #expect(
                catalogue.language(query: query, acceptLanguage: header) == expected, "\(query ?? "-") \(header ?? "-")"
            )
        }
        // A hostile header costs no more than its first 32 entries.
        let long = Array(repeating: "fr;q=0.9", count: 10_000).joined(separator: ",") + ",zh"
        #expect(catalogue.language(query: nil, acceptLanguage: long) == "en")
    }

    @Test func datesNumbersAndCountriesAreWrittenAsEachLanguageWritesThem() throws {
        let english = Localizer("en")
        let chinese = Localizer("zh-CN")
        let time = try #require(Timestamp.parseDateTime("2026-11-24T20:15:00+01:00"))
        #expect(english.day(time) == "November 24, 2026")
        #expect(chinese.day(time) == "2026年11月24日")
        #expect(english.number(3000.5) == "3,000.5" && chinese.number(95) == "95")
        #expect(english.country("BD") == "Bangladesh" && chinese.country("BD") == "孟加拉国")
        #expect(chinese("percent", ["n": "5"]) == "5%" && english("percent", ["n": "5"]) == "5 %")
        #expect(english.list(["a", "b"]) == "a, b" && chinese.list(["a", "b"]) == "a、b")
    }
}
