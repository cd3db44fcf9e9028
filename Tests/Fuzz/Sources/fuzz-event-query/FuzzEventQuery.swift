import FuzzSupport
import HummingbirdCore
import Threadline

/// libFuzzer runs `fuzz` on every input.
@main
enum FuzzTarget {
    static func main() { runFuzzer { fuzz($0!, $1) } }
}

/// The query string of `GET /events` (EPCIS 2.0 SimpleEventQuery), read as the server reads it: Hummingbird's
/// `URI.queryParameters`, then `EventQuery(parameters:)` (names, comma-separated alternatives, times with zones,
/// page sizes and tokens).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let uri = URI("/events?" + FuzzInput(data, size).text)
    let parameters = uri.queryParameters.map { (String($0.key), String($0.value)) }
    if let query = try? EventQuery(parameters: parameters) {
        require(query.limit > 0 && query.afterSeq >= -1, "a query with a page size below 1 or a negative token")
        if let from = query.fromTime, let before = query.beforeTime { _ = from < before }
    }
    return 0
}
