import EPCIS
import Foundation
import Statements
import Testing

/// Product statements (Specs/24-products.md §2) and the texts and places they and registrations carry.
struct ProductDataTests {
    static let tee = #"""
        {"gtin":"00614141123452","name":{"en":"Organic cotton T-shirt","zh-CN":"有机棉T恤"},
         "brandName":{"en":"Northwind","zh-CN":"北风"},"description":{"en":"Jersey.\nPre-washed."},
         "category":{"en":"T-shirts"},"image":"https://example.com/tee.jpg",
         "composition":[{"fibre":"cotton","percent":95.5},{"fibre":"elastane","percent":4.5}],
         "recycledContent":12.25,"countryOfManufacture":"BD","care":{"en":"Wash at 30 °C"},"basis":7}
        """#

    static func product(_ text: String) throws -> ProductData { try ProductData(payload: Array(text.utf8)) }

    /// `tee` with `member` replaced (or, with nil, removed).
    static func tee(_ member: String, _ value: String?) -> String {
        var json = try! JSONValue(parsing: tee)
        guard case .object(var members) = json else { return tee }
        members.removeAll { $0.key == member }
        if let value { members.append(.init(member, try! JSONValue(parsing: value))) }
        json = .object(members)
        return json.serialized
    }

    @Test func aProductStatementReadsAndWritesBackTheSame() throws {
        let product = try Self.product(Self.tee)
        #expect(product.gtin == "00614141123452")
        #expect(product.name.text(for: ["zh-CN"]) == "有机棉T恤")
        #expect(product.composition == [.init(fibre: "cotton", percent: 95.5), .init(fibre: "elastane", percent: 4.5)])
        #expect(product.recycledContent == 12.25 && product.countryOfManufacture == "BD" && product.basis == 7)
        #expect(product.languages == ["en", "zh-CN"])
        // Compact, members in the spec's order: what is signed reads back as the same product.
        let payload = String(decoding: product.payload, as: UTF8.self)
        #expect(payload.hasPrefix(#"{"gtin":"00614141123452","name":{"en":"Organic cotton T-shirt""#))
        #expect(
            payload.contains(
                #""composition":[{"fibre":"cotton","percent":95.5},{"fibre":"elastane","percent":4.5}],"recycledContent":12.25"#
            ))
        #expect(try ProductData(payload: product.payload) == product)
        #expect(
            try Statement(payloadType: ProductData.payloadType, payload: product.payload).indexKeys.prefix(2) == [
                "product:00614141123452", "products",
            ])
    }

    @Test(
        arguments: [
            ("gtin", #""00614141123453""#, "product.gtin"),  // check digit
            ("gtin", #""614141123452""#, "product.gtin"),  // not written with 14 digits
            ("gtin", nil, "product.gtin"),
            ("name", nil, "product.text"),
            ("name", #"{}"#, "product.text"),
            ("name", #"{"english":"T"}"#, "product.text"),
            ("name", #"{"en":"T\u001b[31m"}"#, "product.text"),
            ("name", #"{"en":"T\nshirt"}"#, "product.text"),  // a name is one line; a description may not be
            ("name", #"{"en":"T","EN":"U"}"#, "product.text"),
            ("name", #"{"en":""}"#, "product.text"),
            ("brandName", #""Northwind""#, "product.text"),
            ("image", #""http://example.com/a.jpg""#, "product.image"),
            ("image", #""https://example.com/a b.jpg""#, "product.image"),
            ("composition", #"[{"fibre":"cotton","percent":90}]"#, "product.composition"),
            ("composition", #"[{"fibre":"unobtainium","percent":100}]"#, "product.composition"),
            (
                "composition", #"[{"fibre":"cotton","percent":50},{"fibre":"cotton","percent":50}]"#,
                "product.composition"
            ),
            (
                "composition", #"[{"fibre":"cotton","percent":33.333},{"fibre":"wool","percent":66.667}]"#,
                "product.composition"
            ),
            (
                "composition", #"[{"fibre":"cotton","percent":-10},{"fibre":"wool","percent":110}]"#,
                "product.composition"
            ),
            ("composition", #"[{"fibre":"cotton","percent":100,"organic":true}]"#, "product.composition"),
            ("recycledContent", "101", "product.composition"),
            ("recycledContent", #""12""#, "product.json"),
            ("countryOfManufacture", #""XX""#, "product.country"),
            ("countryOfManufacture", #""bd""#, "product.country"),
            ("basis", "-1", "product.json"),
            ("basis", "1.5", "product.json"),
            ("basis", nil, "product.json"),
            ("madeBy", #""someone""#, "product.json"),
        ] as [(String, String?, String)])
    func whatIsNotAProductStatementIsRefusedWithItsRule(member: String, value: String?, code: String) throws {
        let error = try #require(throws: StatementError.self) { try Self.product(Self.tee(member, value)) }
        #expect(error.code.rawValue == code, "\(error)")
    }

    @Test func aTextPicksTheReadersLanguageThenTheSameLanguageThenEnglish() throws {
        let text = try LocalizedText(["en": "T-shirt", "zh-Hans": "T恤", "fr": "Tee-shirt"], maxCharacters: 50)
        #expect(text.text(for: ["zh-Hans"]) == "T恤")
        #expect(text.text(for: ["zh-CN", "en"]) == "T恤")  // the same primary language
        #expect(text.text(for: ["de", "fr"]) == "Tee-shirt")
        #expect(text.text(for: ["ja"]) == "T-shirt")
        #expect(text.text(for: []) == "T-shirt")
        #expect(try LocalizedText(["zh-CN": "T恤"], maxCharacters: 50).text(for: ["en"]) == "T恤")
        #expect(text.json.serialized == #"{"en":"T-shirt","fr":"Tee-shirt","zh-Hans":"T恤"}"#)
        for tag in ["en", "zh-CN", "zh-Hans-CN", "yue"] { #expect(LocalizedText.isLanguageTag(tag), "\(tag)") }
        for tag in ["", "e", "english", "zh_CN", "zh-", "-CN", "en-a-b-c-d", "zh-C@"] {
            #expect(!LocalizedText.isLanguageTag(tag), "\(tag)")
        }
        #expect(throws: DisplayText.Problem.self) {
            try LocalizedText(
                Dictionary(uniqueKeysWithValues: (0..<17).map { ("l\(Character(UnicodeScalar(97 + $0)!))", "x") }),
                maxCharacters: 5)
        }
    }

    @Test func aRegistrationsPlacesKeepTheirCountryAndNameAndOldOnesStillRead() throws {
        let place = Participant.Place(
            gln: "8901236000012", country: "IN",
            name: try LocalizedText(["en": "Tiruppur, Tamil Nadu", "zh-CN": "蒂鲁普"], maxCharacters: 200))
        let profile = Participant.Profile(
            id: "spinner", name: "Spinner", roles: [.processor], places: [place, .init(gln: "8901236000029")],
            keys: ["k"])
        let statement = RegistryStatement.registration(profile, basis: 0)
        let text = String(decoding: statement.payload, as: UTF8.self)
        #expect(
            text.contains(
                #""locations":[{"gln":"8901236000012","country":"IN","name":{"en":"Tiruppur, Tamil Nadu","zh-CN":"蒂鲁普"}},"8901236000029"]"#
            ))
        guard case .registration(let read) = try RegistryStatement(payload: statement.payload).change else {
            Issue.record("not a registration")
            return
        }
        #expect(read == profile && read.locations == ["8901236000012", "8901236000029"])
        #expect(read.place(gln: "8901236000012")?.country == "IN")
        for bad in [
            #"[{"gln":"8901236000012","country":"India"}]"#, #"[{"gln":"8901236000012","name":"Tiruppur"}]"#,
            #"[{"gln":"8901236000012","city":"Tiruppur"}]"#, #"[{"country":"IN"}]"#, #"[7]"#,
        ] {
            let payload = text.replacingOccurrences(
                of:
                    #"[{"gln":"8901236000012","country":"IN","name":{"en":"Tiruppur, Tamil Nadu","zh-CN":"蒂鲁普"}},"8901236000029"]"#,
                with: bad)
            let error = try #require(throws: StatementError.self) {
                try RegistryStatement(payload: Array(payload.utf8))
            }
            #expect(error.code == .registryLocations, "\(bad)")
        }
    }

    @Test func theSpecsExampleReadsAndWritesBackTheSame() throws {
        let spec = try String(
            contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("Specs/24-products.md"), encoding: .utf8)
        let start = try #require(spec.range(of: "Example (one line when written"))
        let block = try #require(
            spec[start.upperBound...].components(separatedBy: "```json\n").dropFirst().first?
                .components(separatedBy: "\n```").first)
        let product = try ProductData(payload: Array(block.utf8))
        #expect(product.gtin == "00614141123452" && product.basis == 7)
        #expect(product.composition.map(\.percent) == [95.5, 4.5] && product.recycledContent == 12.25)
        #expect(String(decoding: product.payload, as: UTF8.self) == block.replacingOccurrences(of: "\n ", with: ""))
    }

    @Test func percentsAreWrittenAsTheyWereGiven() {
        #expect(ProductData.percentText(95) == "95")
        #expect(ProductData.percentText(95.5) == "95.5")
        #expect(ProductData.percentText(4.05) == "4.05")
        #expect(ProductData.percentText(0) == "0")
        #expect(ProductData.percentText(100) == "100")
        #expect(CountryCode.all.count == 249 && CountryCode.isValid("CN") && !CountryCode.isValid("EU"))
    }
}
