import FuzzSupport
import Threadline
@_spi(Fuzzing) import ThreadlineServer

/// A capture request's body (`POST /capture`, `/statements`): `Server.envelopes` splits it into envelopes (one, a
/// JSON array, or JSON Lines) by scanning bytes, then `Ledger.prepare(submissions:)` checks each as the route
/// does. The pieces are slices of the body, in order, each from a `{` to its `}`, and what lies between them is
/// whitespace (and, for an array, its brackets and commas): the scanner neither drops nor invents a byte (a piece
/// it cuts wrongly is refused by the envelope reader, but a byte lost between pieces would go unseen).
@main
enum FuzzCaptureBody: FuzzTarget {
    static func fuzz(_ input: FuzzInput) {
        let body = input.bytes
        guard let envelopes = try? Server.envelopes(body) else { return }
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
        let structural: Set<UInt8> = [UInt8(ascii: "["), UInt8(ascii: ","), UInt8(ascii: "]")]
        var position = 0
        for piece in envelopes {
            require(piece.startIndex >= position, "pieces overlap or are out of order")
            require(piece.first == UInt8(ascii: "{") && piece.last == UInt8(ascii: "}"), "a piece is not {…}")
            require(
                body[position..<piece.startIndex].allSatisfy { isSpace($0) || structural.contains($0) },
                "bytes between pieces (not whitespace, brackets or commas) were accepted and dropped")
            position = piece.endIndex
        }
        require(
            body[position...].allSatisfy { isSpace($0) || structural.contains($0) },
            "bytes after the last piece were accepted and dropped")
        _ = try? Ledger.prepare(submissions: envelopes)
    }
}
