import FuzzSupport
import GS1Identifiers

/// GS1 identifiers as labels, scanners and events give them: Digital Link URIs (`DigitalLink(_:)`), EPC URNs
/// (`GS1Identifier(epcURN:)`), any code (`GS1Identifier(parsing:)`), GTINs, and the canonical Digital Link the
/// event hash and the index compare (`DigitalLink.canonicalURI(for:)`). Properties:
/// - a canonical form is a fixed point;
/// - a parsed Digital Link's URI parses to the same link;
/// - a parsed EPC URN, written with any company prefix length, parses to the same identifier;
/// - a parsed code's Digital Link has a canonical form (the index can name what a label names).
@main
enum FuzzGS1: FuzzTarget {
    static func fuzz(_ input: FuzzInput) {
        let text = input.text
        if let canonical = DigitalLink.canonicalURI(for: text) {
            require(
                DigitalLink.canonicalURI(for: canonical) == canonical,
                "the canonical form \(canonical) is not canonical")
        }
        if let link = try? DigitalLink(text) {
            let uri = link.uri
            let again: DigitalLink
            do { again = try DigitalLink(uri) } catch {
                fatalError("the URI \(uri) of a parsed link does not parse: \(error)")
            }
            require(again == link, "the URI \(uri) of a parsed link parses to another link")
        }
        if let identifier = try? GS1Identifier(epcURN: text) {
            for length in 6...12 {
                guard let urn = try? identifier.epcURN(companyPrefixLength: length) else { continue }
                require(
                    (try? GS1Identifier(epcURN: urn)) == identifier, "the EPC URN \(urn) parses to another identifier")
            }
        }
        if let identifier = try? GS1Identifier(parsing: text) {
            let uri = DigitalLink(identifier).uri
            require((try? DigitalLink(uri))?.identifier == identifier, "the Digital Link \(uri) parses to another key")
            require(DigitalLink.canonicalURI(for: uri) != nil, "the Digital Link \(uri) has no canonical form")
        }
        _ = try? GTIN(text)
    }
}
