import TransparencyLog

/// Why ThreadlineServer refuses an input (HTTP requests): a case a rule, grouped by the Specs section that defines
/// it (`Specs/19-errors.md` lists them all).
public enum ServerCode: String, ErrorCode {
    // 17-server.md §Routes
    case captureBody = "capture.body", captureType = "capture.type", httpQuery = "http.query"
    case captureSealed = "capture.sealed"
    // 17-server.md §Resolver
    case resolverCompressed = "resolver.compressed"
    // 17-server.md §Operations
    case captureBusy = "capture.busy", captureSize = "capture.size"
    // 21-read-policy.md §2
    case readUnsigned = "read.unsigned", readForbidden = "read.forbidden"

    public var section: String {
        switch self {
        case .captureBody, .captureType, .captureSealed, .httpQuery: "17-server.md §Routes"
        case .captureBusy, .captureSize: "17-server.md §Operations"
        case .resolverCompressed: "17-server.md §Resolver"
        case .readUnsigned, .readForbidden: "21-read-policy.md §2"
        }
    }
}

/// An input ThreadlineServer refuses.
public typealias ServerError = InputError<ServerCode>
