import Statements
import TransparencyLog

/// Helpers for recording many events.
public enum Recording {
    /// Signs event payloads as EPCIS event statements with `keys` (each signs every one), on all cores, in order. `progress` is called
    /// from time to time with how many are done.
    public static func sign(
        _ payloads: [[UInt8]], with keys: [SigningKey], progress: (Int) -> Void = { _ in }
    ) throws -> [Envelope] {
        var out: [Envelope] = []
        out.reserveCapacity(payloads.count)
        for start in stride(from: 0, to: payloads.count, by: 4096) {
            let chunk = Array(payloads[start..<min(payloads.count, start + 4096)])
            let signed = Parallel.map(chunk) { payload in
                Result { try Envelope(signing: payload, type: Statement.eventPayloadType, with: keys) }
            }
            out += try signed.map { try $0.get() }
            progress(out.count)
        }
        return out
    }
}
