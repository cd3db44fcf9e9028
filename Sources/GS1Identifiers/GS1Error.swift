import TransparencyLog

/// Why GS1Identifiers refuses an input (GS1 keys, Digital Links and EPC URIs): a case a rule, grouped by the Specs
/// section that defines it (`Specs/19-errors.md` lists them all).
public enum GS1Code: String, ErrorCode {
    // 07-identifiers.md §1
    case gs1Character = "gs1.character", gs1CheckDigit = "gs1.checkDigit", gs1Length = "gs1.length"
    case gtinCharacter = "gtin.character", gtinCheckDigit = "gtin.checkDigit", gtinLength = "gtin.length"
    // 07-identifiers.md §2
    case dlEscape = "dl.escape", dlKey = "dl.key", dlOrder = "dl.order", dlPath = "dl.path"
    case dlQualifier = "dl.qualifier", dlURI = "dl.uri"
    // 07-identifiers.md §2.1
    case codeInvalid = "code.invalid"
    // 07-identifiers.md §3
    case epcCompanyPrefix = "epc.companyPrefix", epcEscape = "epc.escape", epcForm = "epc.form"
    case epcItemReference = "epc.itemReference", epcLocationReference = "epc.locationReference"
    case epcParts = "epc.parts", epcScheme = "epc.scheme", epcSerialReference = "epc.serialReference"
    // 07-identifiers.md §4
    case codeForm = "code.form"

    public var section: String {
        switch self {
        case .gs1Character, .gs1CheckDigit, .gs1Length, .gtinCharacter, .gtinCheckDigit, .gtinLength:
            "07-identifiers.md §1"
        case .dlEscape, .dlKey, .dlOrder, .dlPath, .dlQualifier, .dlURI: "07-identifiers.md §2"
        case .codeInvalid: "07-identifiers.md §2.1"
        case .epcCompanyPrefix, .epcEscape, .epcForm, .epcItemReference, .epcLocationReference, .epcParts, .epcScheme,
            .epcSerialReference:
            "07-identifiers.md §3"
        case .codeForm: "07-identifiers.md §4"
        }
    }
}

/// An input GS1Identifiers refuses.
public typealias GS1Error = InputError<GS1Code>
