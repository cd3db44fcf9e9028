import Foundation
@testable import GS1Identifiers
import Testing
import TransparencyLog

/// GS1 keys in their three forms. Examples from the GS1 General Specifications and the EPC Tag Data Standard.
struct GS1Tests {
    @Test(arguments: ["9506000134352", "09506000134352", "96385074", "614141000036", "80614141123458"])
    func validGTINsNormaliseTo14Digits(_ text: String) throws {
        let gtin = try GTIN(text)
        #expect(gtin.digits.count == 14)
        #expect(gtin.digits.hasSuffix(text))
    }

    @Test(arguments: [
        ("9506000134353", GS1Code.gtinCheckDigit), ("950600013435", GS1Code.gtinCheckDigit),
        ("95060001343", GS1Code.gtinLength),
        ("950600013435A", GS1Code.gtinCharacter), ("123456789012345", GS1Code.gtinLength),
    ])
    func invalidGTINsSayWhy(_ text: String, code: GS1Code) {
        let error = #expect(throws: GS1Error.self) { try GTIN(text) }
        #expect(error?.code == code)
    }

    @Test func digitalLinksParseOnAnyDomainAndRoundTrip() throws {
        let link = try DigitalLink(
            "https://brand.example.com/products/01/9506000134352/22/XL/10/LOT%2F7/21/AB-1?linkType=gs1:pip&17=261231")
        #expect(link.base == "https://brand.example.com/products")
        #expect(link.identifier == .product(gtin: try GTIN("9506000134352"), cpv: "XL", lot: "LOT/7", serial: "AB-1"))
        #expect(link.identifier.kind == "item")
        #expect(link.attributes.map(\.key) == ["linkType", "17"])
        #expect(link.attributes.map(\.value) == ["gs1:pip", "261231"])
        #expect(try DigitalLink(link.uri) == link)
        #expect(
            DigitalLink(.product(gtin: try GTIN("9506000134352"), lot: "A1")).uri
                == "https://id.gs1.org/01/09506000134352/10/A1")
        #expect(
            try DigitalLink("https://id.gs1.org/00/106141412345678908").identifier
                == .logisticUnit(sscc: "106141412345678908"))
        #expect(
            try DigitalLink("http://example.org:8080/414/0614141123452/254/400").identifier
                == .location(gln: "0614141123452", extension: "400"))
        // A host is kept as written, escapes and all: its URI parses back to the same link (a fuzzing find).
        for host in ["id.gsS%251.org", "a%41b.example", "[::1]:8080"] {
            let escaped = try DigitalLink("https://\(host)/01/09506000134352/21/S%2501")
            #expect(escaped.base == "https://\(host)")
            #expect(try DigitalLink(escaped.uri) == escaped, "\(escaped.uri)")
        }
    }

    @Test(arguments: [
        ("https://id.gs1.org/01/09506000134352/21/1/10/2", GS1Code.dlOrder),
        ("https://id.gs1.org/01/09506000134352/254/1", GS1Code.dlQualifier),
        ("https://id.gs1.org/01/09506000134353", GS1Code.gtinCheckDigit),
        ("https://id.gs1.org/01/09506000134352/21/a%20b", GS1Code.gs1Character),
        ("https://id.gs1.org/01/09506000134352/21/123456789012345678901", GS1Code.gs1Length),
        ("https://id.gs1.org/01/09506000134352/21", GS1Code.dlPath),
        ("https://id.gs1.org/02/09506000134352", GS1Code.dlKey),
        ("https://id.gs1.org/00/106141412345678907", GS1Code.gs1CheckDigit),
        ("ftp://id.gs1.org/01/09506000134352", GS1Code.dlURI),
    ])
    func invalidDigitalLinksSayWhy(_ text: String, code: GS1Code) {
        let error = #expect(throws: GS1Error.self) { try DigitalLink(text) }
        #expect(error?.code == code, "\(error?.reason ?? "")")
    }

    @Test(arguments: [
        (
            "urn:epc:id:sgtin:0614141.812345.6789",
            GS1Identifier.product(gtin: try! GTIN("80614141123458"), serial: "6789"), 7
        ),
        ("urn:epc:class:lgtin:4012345.012345.998877", .product(gtin: try! GTIN("04012345123456"), lot: "998877"), 7),
        ("urn:epc:id:sscc:0614141.1234567890", .logisticUnit(sscc: "106141412345678908"), 7),
        ("urn:epc:id:sgln:0614141.12345.400", .location(gln: "0614141123452", extension: "400"), 7),
        ("urn:epc:id:sgln:0614141.12345.0", .location(gln: "0614141123452"), 7),
        ("urn:epc:id:sgtin:0614141.812345.A%2FB%25", .product(gtin: try! GTIN("80614141123458"), serial: "A/B%"), 7),
    ])
    func epcURNsConvertBothWays(urn: String, identifier: GS1Identifier, prefixLength: Int) throws {
        #expect(try GS1Identifier(epcURN: urn) == identifier)
        #expect(try identifier.epcURN(companyPrefixLength: prefixLength) == urn)
        // And through Digital Link.
        let link = try DigitalLink(DigitalLink(identifier).uri)
        #expect(try link.identifier.epcURN(companyPrefixLength: prefixLength) == urn)
    }

    @Test(arguments: [
        ("urn:epc:id:sgtin:0614141.81234.6789", GS1Code.epcItemReference),
        ("urn:epc:id:sgtin:06141.8123456.6789", GS1Code.epcCompanyPrefix),
        ("urn:epc:id:sgtin:0614141.812345", GS1Code.epcParts), ("urn:epc:id:giai:0614141.1", GS1Code.epcScheme),
        ("urn:epc:id:sgtin:0614141.812345.a b", GS1Code.gs1Character),
        ("urn:epc:id:sscc:0614141.123456789", GS1Code.epcSerialReference),
    ])
    func invalidURNsSayWhy(_ text: String, code: GS1Code) {
        let error = #expect(throws: GS1Error.self) { try GS1Identifier(epcURN: text) }
        #expect(error?.code == code, "\(error?.reason ?? "")")
    }

    @Test func aBareProductHasNoEPCForm() throws {
        #expect(throws: GS1Error.self) {
            try GS1Identifier.product(gtin: try GTIN("9506000134352")).epcURN(companyPrefixLength: 7)
        }
        #expect(throws: GS1Error.self) {
            try GS1Identifier.product(gtin: try GTIN("9506000134352"), serial: "1").epcURN(companyPrefixLength: 13)
        }
        #expect(try GS1Identifier(parsing: " 9506000134352\n") == .product(gtin: try GTIN("9506000134352")))
        #expect(throws: GS1Error.self) { try GS1Identifier(parsing: "not a code") }
    }
}
