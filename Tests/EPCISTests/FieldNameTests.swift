@testable import EPCIS
import Testing

/// The standard fields found by their names' bytes, as every reader of an event's members finds them.
struct FieldNameTests {
    @Test func everyFieldIsFoundByItsNameAndNothingElseIs() {
        for field in EPCISValidator.Field.allCases {
            #expect(EPCISValidator.Field(name: field.name) == field)
            var name = field.name
            #expect(name.withUTF8 { EPCISValidator.Field(name: $0) } == field)
            // Near misses: a letter short, one more, another case, another last letter.
            for other in [
                String(field.name.dropLast()), field.name + "s", field.name.uppercased(),
                String(field.name.dropLast()) + (field.name.last == "x" ? "y" : "x"),
            ] {
                #expect(EPCISValidator.Field(name: other) == nil, "\(other)")
            }
        }
        #expect(EPCISValidator.Field(name: "") == nil)
        #expect(EPCISValidator.Field(name: String(repeating: "a", count: 200)) == nil)
    }
}
