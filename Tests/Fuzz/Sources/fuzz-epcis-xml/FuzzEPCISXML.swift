import EPCIS
import EPCISXML
import FuzzSupport

/// `EPCISXMLReader.read`, in the 2.0 schema's field order and in any order (`Specs/08-epcis.md` §6). What reads in
/// the schema's order reads the same in any order (`anyOrder` only stops the order being checked). A document that
/// reads and validates is written back (`EPCISXMLWriter.document`, §7), and that XML must read and validate again
/// with every event's hash unchanged (the document's `ignoreFields` written too).
@main
enum FuzzEPCISXML: FuzzTarget {
    static func fuzz(_ input: FuzzInput) {
        let bytes = input.bytes
        let inOrder = try? EPCISXMLReader.read(bytes, anyOrder: false)
        let anyOrder = try? EPCISXMLReader.read(bytes, anyOrder: true)
        if let inOrder {
            guard let anyOrder else { fatalError("a document read in the schema's order does not read in any order") }
            require(anyOrder.json == inOrder.json, "a document reads differently in any order")
            require(
                anyOrder.eventLines == inOrder.eventLines && anyOrder.version == inOrder.version,
                "a document's lines or version differ in any order")
        }
        guard let read = anyOrder, let document = try? EPCISDocument(json: read.json) else { return }
        // Writing may refuse what XML 1.0 cannot carry (a control character, a name that is no XML name).
        guard let xml = try? EPCISXMLWriter.document(document) else { return }
        let again: EPCISDocument
        do {
            again = try EPCISDocument(json: try EPCISXMLReader.read(Array(xml.utf8), anyOrder: false).json)
        } catch {
            fatalError("the XML written for a valid document does not read back: \(error)\n\(xml)")
        }
        require(
            again.eventHashes == document.eventHashes,
            "an event's hash changes through XML written and read back:\n\(xml)")
    }
}
