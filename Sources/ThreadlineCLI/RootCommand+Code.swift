import ArgumentParser
import Foundation
import GS1Identifiers

extension RootCommand {
    struct Code: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Work with GS1 codes: GTINs, Digital Link URIs, EPC URNs.", subcommands: [Parse.self])

        struct Parse: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Check a code and show it in every form.",
                discussion: """
                    CODE is a GS1 Digital Link URI (any domain), an EPC URN (sgtin, sscc, sgln, lgtin) or a GTIN. \
                    An invalid code exits 2 with the reason (bad check digit, wrong length, qualifier out of order, \
                    bad character…). The EPC URN needs the company prefix's length, which a URN carries and a \
                    GTIN does not: give --company-prefix-length for Digital Links and GTINs.
                    """)

            @Argument(help: ArgumentHelp("The code.", valueName: "code"))
            var code: String

            @Option(help: ArgumentHelp("Digits in the GS1 company prefix (6…12), for the EPC URN.", valueName: "n"))
            var companyPrefixLength: Int?

            @Option(
                help: ArgumentHelp(
                    "The Digital Link base to print (default: the input link's, else https://id.gs1.org).",
                    valueName: "url"))
            var domain: String?

            @Flag(help: "Print JSON.")
            var json = false

            func run() async throws {
                try await reportingFailures {
                    let parsed = try ParsedCode(code, companyPrefixLength: companyPrefixLength, domain: domain)
                    if json {
                        try Output.json(parsed)
                    } else {
                        for (label, value) in parsed.lines {
                            Output.line(label.padding(toLength: 14, withPad: " ", startingAt: 0) + value)
                        }
                    }
                }
            }
        }
    }
}

/// A code in all its forms, as `code parse` prints it (`Specs/07-identifiers.md` §CLI).
struct ParsedCode: Encodable {
    var kind: String
    var gtin: String?
    var cpv: String?
    var lot: String?
    var serial: String?
    var sscc: String?
    var gln: String?
    var glnExtension: String?
    var digitalLink: String
    var epc: String?
    var attributes: [String: String]?

    init(_ text: String, companyPrefixLength: Int?, domain: String?) throws {
        let identifier = try GS1Identifier(parsing: text)
        kind = identifier.kind
        switch identifier {
        case .product(let gtin, let cpv, let lot, let serial):
            self.gtin = gtin.digits
            self.cpv = cpv
            self.lot = lot
            self.serial = serial
        case .logisticUnit(let sscc): self.sscc = sscc
        case .location(let gln, let ext):
            self.gln = gln
            self.glnExtension = ext
        }
        let input = text.hasPrefix("http") ? try? DigitalLink(text) : nil
        let attributes = input?.attributes ?? []
        digitalLink =
            DigitalLink(identifier, base: domain ?? input?.base ?? DigitalLink.defaultBase, attributes: attributes).uri
        if !attributes.isEmpty { self.attributes = Dictionary(attributes, uniquingKeysWith: { $1 }) }
        let length = companyPrefixLength ?? (text.hasPrefix("urn:epc:") ? ParsedCode.prefixLength(ofURN: text) : nil)
        if let length { epc = try? identifier.epcURN(companyPrefixLength: length) }
        if let companyPrefixLength, epc == nil {
            _ = try identifier.epcURN(companyPrefixLength: companyPrefixLength)  // throws the reason
        }
    }

    static func prefixLength(ofURN text: String) -> Int? {
        text.split(separator: ":").last?.split(separator: ".").first.map(\.count)
    }

    var lines: [(String, String)] {
        var out: [(String, String)] = [("kind", kind)]
        let fields: [(String, String?)] = [
            ("gtin", gtin), ("cpv", cpv), ("lot", lot), ("serial", serial), ("sscc", sscc), ("gln", gln),
            ("gln extension", glnExtension), ("digital link", digitalLink), ("epc", epc),
        ]
        out += fields.compactMap { label, value in value.map { (label, $0) } }
        out += (attributes ?? [:]).sorted { $0.key < $1.key }.map { ("attribute", "\($0.key)=\($0.value)") }
        return out
    }
}
