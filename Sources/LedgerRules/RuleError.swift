import TransparencyLog

/// Why LedgerRules refuses an input (the ledger's recording rules): a case a rule, grouped by the Specs section
/// that defines it (`Specs/19-errors.md` lists them all).
public enum RuleCode: String, ErrorCode {
    // 10-recording.md §2
    case recordCompanyPrefix = "record.companyPrefix", recordDuplicate = "record.duplicate"
    case recordRole = "record.role", recordSigner = "record.signer"
    // 16-anchors.md §2
    case anchorSigner = "anchor.signer"
    // 23-sealed-events.md §7
    case erasureAppend = "erasure.append"
    // 24-products.md §7
    case verificationSigner = "verification.signer"

    public var section: String {
        switch self {
        case .recordCompanyPrefix, .recordDuplicate, .recordRole, .recordSigner: "10-recording.md §2"
        case .anchorSigner: "16-anchors.md §2"
        case .erasureAppend: "23-sealed-events.md §7"
        case .verificationSigner: "24-products.md §7"
        }
    }
}

/// An input LedgerRules refuses.
public typealias RuleError = InputError<RuleCode>
