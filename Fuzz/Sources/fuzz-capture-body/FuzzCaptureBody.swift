import FuzzSupport
import Threadline
@_spi(Fuzzing) import ThreadlineServer

/// libFuzzer runs `fuzz` on every input.
@main
enum FuzzTarget {
    static func main() { runFuzzer { fuzz($0!, $1) } }
}

/// A capture request's body (`POST /capture`, `/records`): `Server.envelopes` splits it into envelopes (one, a
/// JSON array, or JSON Lines) by scanning bytes, then `Ledger.prepare(submissions:)` checks each as the route
/// does. Outside an array, every piece the scanner cuts is one balanced object, `{` to `}`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let body = FuzzInput(data, size).bytes
    guard let envelopes = try? Server.envelopes(body) else { return 0 }
    let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
    if body.first(where: { !isSpace($0) }) != UInt8(ascii: "[") {
        for piece in envelopes {
            require(piece.first == UInt8(ascii: "{") && piece.last == UInt8(ascii: "}"), "a piece is not an object")
        }
    }
    _ = try? Ledger.prepare(submissions: envelopes)
    return 0
}
