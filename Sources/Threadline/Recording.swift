import EPCIS
import Statements
import TransparencyLog

/// Helpers for recording many events.
public enum Recording {
    /// Signs event payloads as EPCIS event statements with `keys` (each signs every one), on all cores, in order.
    /// `progress` is called from time to time with how many are done.
    public static func sign(
        _ payloads: [[UInt8]], with keys: [SigningKey], progress: (Int) -> Void = { _ in }
    ) throws -> [Envelope] {
        try inChunks(payloads, progress: progress) { payload in
            try Envelope(signing: payload, type: Statement.eventPayloadType, with: keys)
        }
    }

    /// Signs event payloads as `sign` does — or, when `sealed`, seals each (`Specs/23-sealed-events.md`) and signs
    /// the sealed event — as submissions, on all cores, in order.
    public static func submissions(
        _ payloads: [[UInt8]], with keys: [SigningKey], sealed: Bool, progress: (Int) -> Void = { _ in }
    ) throws -> [Submission] {
        try inChunks(payloads, progress: progress) { payload in
            sealed
                ? try seal(payload, with: keys)
                : Submission(envelope: try Envelope(signing: payload, type: Statement.eventPayloadType, with: keys))
        }
    }

    /// Seals the event `payload` (a JSON object) with fresh salts and decoys and signs the sealed event with
    /// `keys`: the submission carries the opening the ledger needs.
    public static func seal(_ payload: [UInt8], with keys: [SigningKey]) throws -> Submission {
        let event: JSONValue
        do { event = try JSONValue(parsing: payload) } catch let error as EPCISError {
            throw StatementError(.eventJSON, "the event is not JSON: \(error.reason)")
        }
        let sealed = try SealedEvent.seal(event)
        let envelope = try Envelope(
            signing: Array(sealed.payload.serialized.utf8), type: SealedEvent.payloadType, with: keys)
        return Submission(envelope: envelope, opening: Opening(sealed))
    }

    /// `make` applied to each payload on all cores, 4,096 at a time, in order; the first error stops it.
    private static func inChunks<T: Sendable>(
        _ payloads: [[UInt8]], progress: (Int) -> Void, _ make: @escaping @Sendable ([UInt8]) throws -> T
    ) throws -> [T] {
        var out: [T] = []
        out.reserveCapacity(payloads.count)
        for start in stride(from: 0, to: payloads.count, by: 4096) {
            let chunk = Array(payloads[start..<min(payloads.count, start + 4096)])
            do {
                out += try Parallel.map(chunk, state: {}, throwing: { payload, _ in try make(payload) })
            } catch {
                throw error.error
            }
            progress(out.count)
        }
        return out
    }
}
