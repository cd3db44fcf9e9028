import FuzzSupport
import HummingbirdCore
import Threadline

/// The query string of `GET /events` (EPCIS 2.0 SimpleEventQuery), read as the server reads it: Hummingbird's
/// `URI.queryParameters`, then `EventQuery(parameters:)` (names, comma-separated alternatives, times with zones,
/// page sizes and tokens).
@main
enum FuzzEventQuery: FuzzTarget {
    static func fuzz(_ input: FuzzInput) {
        let uri = URI("/events?" + input.text)
        let parameters = uri.queryParameters.map { (String($0.key), String($0.value)) }
        if let query = try? EventQuery(parameters: parameters) {
            require(query.limit > 0 && query.afterSeq >= -1, "a query with a page size below 1 or a negative token")
            if let from = query.fromTime, let before = query.beforeTime { _ = from < before }
        }
    }
}
