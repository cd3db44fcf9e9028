import FuzzSupport
import Statements
import TransparencyLog

/// `Envelope(json:)`, a DSSE envelope as a client submits it. Its canonical JSON must decode to the same envelope,
/// both as a submission and inside a ledger record (the strict reader of stored records). The checks that
/// follow a submission — signatures and the statement its payload carries — must not trap either.
@main
enum FuzzEnvelope: FuzzTarget {
    static func fuzz(_ input: FuzzInput) {
        guard let envelope = try? Envelope(json: input.bytes) else { return }
        let canonical = envelope.canonicalJSON
        require((try? Envelope(json: canonical)) == envelope, "the canonical JSON decodes to another envelope")
        if canonical.count <= LedgerRecord.maxEnvelopeBytes {
            let prev = Hash.sha256([UInt8]())
            let record: LedgerRecord
            do {
                let bytes = try LedgerRecord.encode(
                    seq: 7, timeMillis: 1_764_412_800_000, prev: prev, envelopeJSON: canonical)
                record = try LedgerRecord(bytes: bytes)
            } catch {
                fatalError("a record of the canonical envelope does not read back: \(error)")
            }
            require(record.envelope == envelope, "the envelope reads back from its record as another")
        }
        _ = envelope.verifySignatures()
        _ = try? Statement(payloadType: envelope.payloadType, payload: envelope.payload)
    }
}
