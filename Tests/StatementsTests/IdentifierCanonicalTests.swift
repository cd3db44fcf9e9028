import GS1Identifiers
import Statements
import Testing
import TransparencyLog

/// One identifier, one spelling (`Specs/07-identifiers.md`, canonical form): however a label, a scanner or an
/// event writes a GS1 key, the index, trace, listing checks, resolver and rules see one canonical Digital Link.
struct IdentifierCanonicalTests {
    static let serial = "https://id.gs1.org/01/00614141123452/21/TS-0001"

    @Test(
        "every spelling of a serial has one canonical form",
        arguments: [
            "https://id.gs1.org/01/00614141123452/21/TS%2D0001", "https://id.gs1.org/01/00614141123452/21/TS%2d0001",
            "https://example.com/shop/01/614141123452/21/TS-0001?linkType=all",
            "urn:epc:id:sgtin:0614141.012345.TS%2D0001",
            "urn:epc:id:sgtin:0614141.012345.TS-0001", "https://id.gs1.org/gtin/00614141123452/ser/TS%2D0001",
        ])
    func spellings(_ text: String) {
        #expect(DigitalLink.canonicalURI(for: text) == Self.serial, "\(text)")
        #expect(IndexKey.object(text) == IndexKey.object(Self.serial))
    }

    @Test func escapesAreWrittenOneWay() {
        let base = "https://id.gs1.org/01/00614141123452/21/"
        // Letters, digits, - . _ and ' bare; everything else as %XX in upper case, whichever way it came.
        #expect(DigitalLink.canonicalURI(for: base + "a%27b'c") == base + "a'b'c")
        #expect(DigitalLink.canonicalURI(for: base + "a(b)%2a") == base + "a%28b%29%2A")
        #expect(DigitalLink.canonicalURI(for: base + "x~y") == base + "x%7Ey")
        #expect(DigitalLink.canonicalURI(for: "urn:epc:id:sgtin:0614141.012345.a!b%2F") == base + "a%21b%2F")
        // An IRI's characters are written as the bytes of their UTF-8, escaped.
        #expect(DigitalLink.canonicalURI(for: base + "€1") == base + "%E2%82%AC1")
    }

    @Test(
        "malformed escapes and bare characters a form may not carry give no canonical form",
        arguments: [
            "https://id.gs1.org/01/00614141123452/21/%zz", "https://id.gs1.org/01/00614141123452/21/TS%2",
            "urn:epc:id:sgtin:0614141.012345.%G1",
            // Found by fuzzing: an EPC URN must escape / ? and may not carry # at all (TDS 2.x).
            "urn:epc:id:sgtin:2380000.012346./", "urn:epc:id:sgtin:9520001.012346.#0", "urn:epc:id:giai:000001.?",
        ])
    func malformed(_ text: String) {
        #expect(DigitalLink.canonicalURI(for: text) == nil, "\(text)")
    }

    @Test func aCodeWithAMalformedEscapeIsRefusedWhenAskedAbout() throws {
        let error = #expect(throws: GS1Error.self) {
            try DigitalLink.canonical(asking: "https://id.gs1.org/01/00614141123452/21/%zz")
        }
        #expect(error?.code == GS1Code.codeInvalid)
        #expect(try DigitalLink.canonical(asking: "urn:epc:id:sgtin:0614141.012345.TS%2D0001") == Self.serial)
        #expect(try DigitalLink.canonical(asking: "TS-0001") == "TS-0001")
    }

    @Test func canonicalFormsAreFixedPoints() {
        for text in [
            "urn:epc:id:sgtin:0614141.812345.6789%2F%26%25%22!%3F()", "urn:epc:id:giai:0614141.xyz47%2F11",
            "https://id.gs1.org/8004/0614141a%2Fb", "urn:epc:id:upui:1234567.098765.51qIgY)%3C%26Jp3*j7'SDB",
        ] {
            let canonical = DigitalLink.canonicalURI(for: text)
            #expect(canonical != nil, "\(text)")
            #expect(canonical.flatMap { DigitalLink.canonicalURI(for: $0) } == canonical, "\(text)")
        }
    }
}
