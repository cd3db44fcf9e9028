import EPCIS
import FuzzSupport

/// `JSONValue(parsing:)`, both ways of treating duplicate names. What parses serialises to text that parses to
/// the same value, and that text is a fixed point: events are signed and hashed as written, so the writer and the
/// reader must agree exactly.
@main
enum FuzzJSON: FuzzTarget {
    static func fuzz(_ input: FuzzInput) {
        let input = input
        for duplicateKeys in [JSONValue.DuplicateKeys.reject, .lastWins] {
            guard let value = try? JSONValue(parsing: input.buffer, duplicateKeys: duplicateKeys) else { continue }
            let text = value.serialized
            let again: JSONValue
            do { again = try JSONValue(parsing: text) } catch {
                fatalError("the serialised form of a parsed value does not parse: \(error)\n\(text)")
            }
            require(again == value, "re-parsing the serialised form gives another value:\n\(text)")
            require(again.serialized == text, "the serialised form is not a fixed point:\n\(text)")
        }
    }
}
