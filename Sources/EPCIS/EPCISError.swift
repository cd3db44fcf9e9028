import TransparencyLog

/// Why EPCIS refuses an input (JSON text, as EPCIS documents and statements are read): a case a rule, grouped by
/// the Specs section that defines it (`Specs/19-errors.md` lists them all).
public enum EPCISCode: String, ErrorCode {
    // 08-epcis.md §1
    case array = "json.array", control = "json.control", depth = "json.depth", duplicateKey = "json.duplicateKey"
    case end = "json.end", escape = "json.escape", literal = "json.literal", number = "json.number"
    case object = "json.object", surrogate = "json.surrogate", trailing = "json.trailing", utf8 = "json.utf8"
    case value = "json.value"

    public var section: String {
        switch self {
        case .array, .control, .depth, .duplicateKey, .end, .escape, .literal, .number, .object, .surrogate, .trailing,
            .utf8, .value:
            "08-epcis.md §1"
        }
    }
}

/// An input EPCIS refuses.
public typealias EPCISError = InputError<EPCISCode>
