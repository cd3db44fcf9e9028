import TransparencyLog

/// Why ThreadlineDemo refuses an input (the demo's sample documents): a case a rule, grouped by the Specs section
/// that defines it (`Specs/19-errors.md` lists them all).
public enum DemoCode: String, ErrorCode {
    // 05-cli.md §3
    case sample = "demo.sample"

    public var section: String {
        switch self {
        case .sample: "05-cli.md §3"
        }
    }
}

/// An input ThreadlineDemo refuses.
public typealias DemoError = InputError<DemoCode>
