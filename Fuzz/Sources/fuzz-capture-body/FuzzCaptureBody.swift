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
/// does. Outside an array, the pieces are the body's bytes in order, each starting with `{`, with only whitespace
/// between them: the scanner neither drops nor invents a byte (a piece it cuts wrongly is refused by the envelope
/// reader, but a byte lost between pieces would go unseen).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let body = FuzzInput(data, size).bytes
    guard let envelopes = try? Server.envelopes(body) else { return 0 }
    let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
    if body.first(where: { !isSpace($0) }) != UInt8(ascii: "[") {
        var position = 0
        for piece in envelopes {
            while position < body.count, isSpace(body[position]) { position += 1 }
            require(piece.first == UInt8(ascii: "{"), "a piece does not start with '{'")
            require(body[position...].starts(with: piece), "a piece is not the next bytes of the body")
            position += piece.count
        }
        require(
            body[position...].allSatisfy(isSpace),
            "bytes after the last piece (not whitespace) were accepted and dropped")
    }
    _ = try? Ledger.prepare(submissions: envelopes)
    return 0
}
