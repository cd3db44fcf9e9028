import FuzzSupport
import Threadline

/// The imprint the seeds' tokens carry (`Tests/Fuzz/seeds.sh` asks for a token over SHA-256 of "threadline fuzz"), so
/// mutated tokens get past the imprint check to the signed attributes and the signature.
let imprint: [UInt8] = [
    0x1d, 0x9f, 0x65, 0x18, 0x06, 0xd8, 0xc3, 0x04, 0xd1, 0x60, 0x9d, 0xf1, 0x33, 0x85, 0x61, 0x9e,
    0x0c, 0xb7, 0x77, 0x3c, 0x6f, 0x9d, 0x1d, 0xf7, 0xfb, 0xa4, 0x25, 0xd0, 0x4d, 0x92, 0x9b, 0x48,
]

/// RFC 3161 DER from a time-stamping authority (`TimeStamp`): the reply (`token(fromResponse:)`, then the token
/// `parse(token:imprint:nonce:)` as `anchor` checks it), a bare token, and a request (`Request(der:)`, whose DER
/// must parse back to the same request).
@main
enum FuzzTimeStamp: FuzzTarget {
    static func fuzz(_ input: FuzzInput) {
        let der = input.bytes
        if let token = try? TimeStamp.token(fromResponse: der) {
            _ = try? TimeStamp.parse(token: token, imprint: imprint, nonce: nil)
        }
        _ = try? TimeStamp.parse(token: der, imprint: imprint, nonce: 42)
        if let request = try? TimeStamp.Request(der: der) {
            require(
                (try? TimeStamp.Request(der: request.der)) == request, "the request's DER parses to another request")
        }
    }
}
