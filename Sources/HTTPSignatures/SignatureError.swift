import TransparencyLog

/// Why HTTPSignatures refuses a request's signature: a case a rule, grouped by the Specs section that defines it
/// (`Specs/19-errors.md` lists them all).
public enum SignatureCode: String, ErrorCode {
    // 20-request-signatures.md §1
    case fieldSyntax = "signature.field"
    // 20-request-signatures.md §2
    case digest = "signature.digest"
    // 20-request-signatures.md §3
    case missing = "signature.missing", count = "signature.count", components = "signature.components"
    case parameters = "signature.parameters", key = "signature.key", expired = "signature.expired"
    case invalid = "signature.invalid"
    // 20-request-signatures.md §5
    case replayed = "signature.replayed"

    public var section: String {
        switch self {
        case .fieldSyntax: "20-request-signatures.md §1"
        case .digest: "20-request-signatures.md §2"
        case .missing, .count, .components, .parameters, .key, .expired, .invalid: "20-request-signatures.md §3"
        case .replayed: "20-request-signatures.md §5"
        }
    }
}

/// A request signature HTTPSignatures refuses.
public typealias SignatureError = InputError<SignatureCode>
