import EPCIS
import Foundation
import GS1Identifiers

/// What a brand says of one of its products (`Specs/24-products.md`): its name and brand, description, category,
/// image, fibre composition, recycled content, country of manufacture and care, each text in one or more
/// languages. A statement of its own kind, signed by the owner of the GTIN's company prefix; the latest one
/// recorded for a GTIN applies, and older ones stay in the log.
public struct ProductData: Sendable, Hashable {
    /// The DSSE payload type of product statements.
    public static let payloadType = "application/vnd.threadline.product+json"

    /// One fibre (or material) of the product and its share of the weight.
    public struct Fibre: Sendable, Hashable {
        /// A name from `ProductData.fibres`.
        public let fibre: String
        /// Per cent of the weight, more than 0 and at most 100.
        public let percent: Double

        public init(fibre: String, percent: Double) { (self.fibre, self.percent) = (fibre, percent) }
    }

    /// The 14 digits of the GTIN.
    public let gtin: String
    public let name: LocalizedText
    public let brandName: LocalizedText?
    public let description: LocalizedText?
    public let category: LocalizedText?
    /// An `https` URL of the product's picture.
    public let image: String?
    /// The fibres, their shares adding up to 100 %; empty when the brand declares none.
    public let composition: [Fibre]
    /// Per cent of the weight that is recycled material.
    public let recycledContent: Double?
    /// ISO 3166-1 alpha-2, when the brand declares it (the page's summary derives where it was made from the
    /// signed events, not from this).
    public let countryOfManufacture: String?
    public let care: LocalizedText?
    /// The number of records in the log its signer saw: a product statement applies only if no other for the same
    /// GTIN was recorded at or after it (`Specs/24-products.md` §3), so an older one held back cannot undo a newer.
    public let basis: Int64

    /// The fibre names a composition may use: the generic names of the EU textile regulation (1007/2011,
    /// Annex I) and ISO 2076 in English, lower case, and the materials of shoes. The page shows each in the
    /// reader's language.
    public static let fibres: [String] = [
        "wool", "alpaca", "camel", "cashmere", "mohair", "silk", "cotton", "linen", "hemp", "jute", "ramie", "kapok",
        "viscose", "modal", "lyocell", "cupro", "acetate", "polyester", "polyamide", "acrylic", "elastane",
        "polypropylene", "polyethylene", "elastodiene", "aramid", "down", "feather", "leather", "rubber", "other",
    ]

    /// The most fibres a composition may list.
    public static let maxFibres = 16
    /// The most characters of a name, brand name or category, and of a description or care text.
    public static let maxShortText = 200
    public static let maxLongText = 2000
    /// The most bytes of an image URL.
    public static let maxURLBytes = 2000

    /// The members a product statement may have, in the order `payload` writes them.
    static let memberNames = [
        "gtin", "name", "brandName", "description", "category", "image", "composition", "recycledContent",
        "countryOfManufacture", "care", "basis",
    ]

    public init(
        gtin: String, name: LocalizedText, brandName: LocalizedText? = nil, description: LocalizedText? = nil,
        category: LocalizedText? = nil, image: String? = nil, composition: [Fibre] = [],
        recycledContent: Double? = nil, countryOfManufacture: String? = nil, care: LocalizedText? = nil, basis: Int64
    ) throws {
        do { self.gtin = try GTIN(gtin).digits } catch let error as GS1Error {
            throw StatementError(.productGTIN, "the product's GTIN: \(error.reason)")
        }
        guard gtin.utf8.count == 14 else {
            throw StatementError(.productGTIN, "the product's GTIN is written with its 14 digits")
        }
        (self.name, self.brandName, self.description, self.category, self.care) =
            (name, brandName, description, category, care)
        if let image { try Self.checkImage(image) }
        self.image = image
        try Self.check(composition)
        self.composition = composition
        if let recycledContent, !(0...100).contains(recycledContent) || !Self.hasTwoDecimals(recycledContent) {
            throw StatementError(
                .productComposition, "'recycledContent' is a per cent, 0 to 100, with at most two decimals")
        }
        self.recycledContent = recycledContent
        if let countryOfManufacture, !CountryCode.isValid(countryOfManufacture) {
            throw StatementError(
                .productCountry, "'\(countryOfManufacture)' is not an ISO 3166-1 alpha-2 country code (CN, IN …)")
        }
        self.countryOfManufacture = countryOfManufacture
        guard basis >= 0 else { throw StatementError(.productJSON, "'basis' is a number of records, 0 or more") }
        self.basis = basis
    }

    /// Reads a product statement's payload.
    public init(payload: [UInt8]) throws {
        let json: JSONValue
        do { json = try JSONValue(parsing: payload) } catch let error as EPCISError {
            throw StatementError(.productJSON, "the product statement is not JSON: \(error.reason)")
        }
        try self.init(json: json)
    }

    /// Reads a product statement's JSON object (`Specs/24-products.md` §2).
    public init(json: JSONValue) throws {
        guard let members = json.members else {
            throw StatementError(.productJSON, "a product statement is a JSON object")
        }
        for member in members where !Self.memberNames.contains(member.key) {
            throw StatementError(
                .productJSON,
                "'\(member.key)' is not a member of a product statement; they are "
                    + Self.memberNames.joined(separator: ", "))
        }
        func text(_ key: String, _ max: Int, multiline: Bool = false) throws -> LocalizedText? {
            guard let value = json[key] else { return nil }
            do { return try LocalizedText(json: value, maxCharacters: max, multiline: multiline) } catch {
                throw StatementError(.productText, "'\(key)' \(error)")
            }
        }
        func number(_ key: String, _ value: JSONValue?) throws -> Double? {
            guard let value else { return nil }
            guard case .number = value, let number = value.doubleValue, number.isFinite else {
                throw StatementError(.productJSON, "'\(key)' must be a number")
            }
            return number
        }
        guard let gtin = json["gtin"]?.stringValue else {
            throw StatementError(.productGTIN, "a product statement names its 'gtin' (14 digits, as text)")
        }
        guard let name = try text("name", Self.maxShortText) else {
            throw StatementError(.productText, "a product statement gives the product's 'name'")
        }
        var composition: [Fibre] = []
        if let list = json["composition"] {
            guard let elements = list.elements else {
                throw StatementError(.productComposition, "'composition' is a list of {\"fibre\", \"percent\"}")
            }
            for element in elements {
                guard let members = element.members, members.count == 2, let fibre = element["fibre"]?.stringValue,
                    let percent = try number("percent", element["percent"])
                else {
                    throw StatementError(
                        .productComposition, "each element of 'composition' is {\"fibre\", \"percent\"}")
                }
                composition.append(Fibre(fibre: fibre, percent: percent))
            }
        }
        var image: String?
        if let value = json["image"] {
            guard let text = value.stringValue else { throw StatementError(.productImage, "'image' is a URL") }
            image = text
        }
        var country: String?
        if let value = json["countryOfManufacture"] {
            guard let text = value.stringValue else {
                throw StatementError(.productCountry, "'countryOfManufacture' is a country code, as text")
            }
            country = text
        }
        guard case .number(let basisText)? = json["basis"], let basis = Int64(basisText) else {
            throw StatementError(.productJSON, "a product statement names its 'basis', a whole number of records")
        }
        try self.init(
            gtin: gtin, name: name, brandName: try text("brandName", Self.maxShortText),
            description: try text("description", Self.maxLongText, multiline: true),
            category: try text("category", Self.maxShortText), image: image, composition: composition,
            recycledContent: try number("recycledContent", json["recycledContent"]), countryOfManufacture: country,
            care: try text("care", Self.maxLongText, multiline: true), basis: basis)
    }

    /// The statement's JSON, members in `memberNames`' order, absent ones left out.
    public var json: JSONValue {
        var members: [JSONValue.Member] = [.init("gtin", .string(gtin)), .init("name", name.json)]
        func add(_ key: String, _ value: JSONValue?) { if let value { members.append(.init(key, value)) } }
        add("brandName", brandName?.json)
        add("description", description?.json)
        add("category", category?.json)
        add("image", image.map(JSONValue.string))
        if !composition.isEmpty {
            add(
                "composition",
                .array(
                    composition.map {
                        .object([
                            .init("fibre", .string($0.fibre)), .init("percent", .number(Self.percentText($0.percent))),
                        ])
                    }))
        }
        add("recycledContent", recycledContent.map { .number(Self.percentText($0)) })
        add("countryOfManufacture", countryOfManufacture.map(JSONValue.string))
        add("care", care?.json)
        add("basis", .number(String(basis)))
        return .object(members)
    }

    /// The payload: `json`, compact.
    public var payload: [UInt8] { Array(json.serialized.utf8) }

    /// Every language the product's texts are given in, in order.
    public var languages: [String] {
        Array(
            Set(
                [name, brandName, description, category, care].compactMap { $0 }.flatMap { $0.entries.map(\.language) })
        ).sorted()
    }

    /// A per cent (0 to 100) as JSON writes it: without a fraction when whole, else with one or two decimals.
    public static func percentText(_ percent: Double) -> String {
        let hundredths = Int((min(max(percent, 0), 100_000) * 100).rounded())
        let (whole, fraction) = hundredths.quotientAndRemainder(dividingBy: 100)
        if fraction == 0 { return String(whole) }
        if fraction % 10 == 0 { return "\(whole).\(fraction / 10)" }
        return "\(whole)." + (fraction < 10 ? "0" : "") + String(fraction)
    }

    /// Whether `percent` has at most two decimals (as `percentText` writes it, so it reads back the same).
    private static func hasTwoDecimals(_ percent: Double) -> Bool {
        abs(percent * 100 - (percent * 100).rounded()) < 1e-6
    }

    private static func checkImage(_ image: String) throws {
        guard image.utf8.count <= maxURLBytes, let url = URL(string: image), url.scheme == "https",
            let host = url.host, !host.isEmpty,
            !image.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F })
        else {
            throw StatementError(
                .productImage, "'image' is an https URL of at most \(maxURLBytes) bytes, without spaces")
        }
    }

    private static func check(_ composition: [Fibre]) throws {
        guard composition.count <= maxFibres else {
            throw StatementError(.productComposition, "a composition lists at most \(maxFibres) fibres")
        }
        for (i, entry) in composition.enumerated() {
            guard fibres.contains(entry.fibre) else {
                throw StatementError(
                    .productComposition,
                    "'\(entry.fibre)' is not a fibre name; they are " + fibres.joined(separator: ", "))
            }
            guard entry.percent > 0, entry.percent <= 100, hasTwoDecimals(entry.percent) else {
                throw StatementError(
                    .productComposition,
                    "the share of \(entry.fibre) is more than 0 and at most 100, with at most two decimals")
            }
            guard !composition[..<i].contains(where: { $0.fibre == entry.fibre }) else {
                throw StatementError(.productComposition, "\(entry.fibre) is listed twice")
            }
        }
        let total = composition.reduce(0) { $0 + $1.percent }
        guard composition.isEmpty || abs(total - 100) < 0.01 else {
            throw StatementError(
                .productComposition, "the composition's shares add up to \(percentText(total)) %, not 100 %")
        }
    }
}
