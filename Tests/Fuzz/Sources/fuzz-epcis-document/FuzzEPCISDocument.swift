import EPCIS
import FuzzSupport
import Statements

/// `EPCISDocument(parsing:)`, validating every event and hashing each (CBV 2.0 §8.9). A document that validates
/// must also read event by event (`readEach`, what `import` records), and each event's statement payload must
/// read on its own with the same hash — unless the event brings its own `@context` (merged with the document's
/// in the document, alone in the payload) or the document asks hashes to ignore fields.
@main
enum FuzzEPCISDocument: FuzzTarget {
    static func fuzz(_ input: FuzzInput) {
        let input = input
        guard let document = try? EPCISDocument(parsing: input.buffer) else {
            // Invalid documents are still read event by event, to report each event's problems.
            if let json = try? JSONValue(parsing: input.buffer, duplicateKeys: .lastWins) {
                _ = EPCISDocument.readEach(json)
            }
            return
        }
        let hashes = document.eventHashes
        let (each, problems) = EPCISDocument.readEach(document.json)
        require(problems.isEmpty, "a valid document has document problems read event by event: \(problems)")
        require(each.count == document.events.count, "a valid document has another number of events read one by one")
        for (i, (path, result)) in each.enumerated() {
            guard case .success(let (event, payload)) = result else {
                fatalError("event \(path) of a valid document does not read on its own")
            }
            require(event == document.events[i], "event \(path) reads differently on its own")
            guard document.ignoredFields.isEmpty, document.events[i].json["@context"] == nil else { continue }
            let alone: EPCISEvent
            do { alone = try Statement.event(payload: payload) } catch {
                fatalError("the statement payload of event \(path) does not read: \(error)")
            }
            require(alone.hash() == hashes[i], "the statement payload of event \(path) hashes differently")
        }
    }
}
