import ArgumentParser
import EPCIS
import EPCISXML
import Foundation

/// How EPCIS inputs are read: JSON-LD, EPCIS 2.0 XML or EPCIS 1.2 XML, told apart by content (Specs/08 §6).
struct XMLReadingOptions: ParsableArguments {
    @Flag(
        help: "In XML, take an event's fields in any order (EPCIS 2.0's schema orders them; 1.2 is read as it comes).")
    var anyOrder = false

    /// The input in its JSON-LD form.
    func input(_ data: Data, eachEvent: Bool = false) throws -> EPCISInput {
        try EPCISInput(Array(data), anyOrder: anyOrder, eachEvent: eachEvent)
    }

    /// The input read and validated; an XML input's problems name the line of their event.
    func document(_ data: Data) throws -> EPCISDocument {
        let input = try input(data)
        do { return try EPCISDocument(json: input.json) } catch let error as EPCISValidationError {
            throw EPCISValidationError(problems: input.located(error.problems))
        }
    }
}
