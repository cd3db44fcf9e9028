import GS1Identifiers
import LedgerRules
import LedgerStore
import Statements
import TransparencyLog

/// The first-scan check against copied labels (`Specs/24-products.md` §7): brands' commitments to hidden codes, and
/// the operator's records of codes entered correctly.
extension Ledger {
    /// What an entered hidden code came to.
    public enum CodeCheck: Sendable, Equatable {
        /// The serial has no committed code: there is nothing to check.
        case notCommitted
        /// The code does not match (nothing recorded).
        case wrong
        /// The first correct entry: recorded now, at `millis`.
        case first(millis: Int64)
        /// A later correct entry, recorded too: the serial was first verified at `first`, and now `times` times.
        case again(first: Int64, times: Int)
    }

    /// The commitment to the hidden code of the serial `product` (a canonical Digital Link), if its brand made one.
    public func commitment(of product: String) async throws -> (seq: Int64, commitment: CodeCommitment)? {
        try await ensureIndexed()
        guard let seq = try await store.lookup([IndexKey.commitment(product)], from: 0).map(\.seq).min() else {
            return nil
        }
        let record = try LedgerRecord(bytes: try await store.records(seq..<seq + 1)[0])
        guard
            case .commitment(let commitment, _) = try? Statement(
                payloadType: record.envelope.payloadType, payload: record.envelope.payload),
            commitment.product == product
        else { throw LedgerStoreError.corrupt("the index names record \(seq), which commits no code of \(product)") }
        return (seq, commitment)
    }

    /// The records of the correct entries of the hidden code of `product`, and their times (milliseconds), oldest
    /// first.
    public func verifications(of product: String) async throws -> [(seq: Int64, millis: Int64)] {
        try await ensureIndexed()
        let seqs = try await store.lookup([IndexKey.verification(product)], from: 0).map(\.seq).sorted()
        return try await store.records(at: seqs).enumerated().map { i, bytes in
            let record = try LedgerRecord(bytes: bytes)
            guard
                case .verification(let verification, _) = try? Statement(
                    payloadType: record.envelope.payloadType, payload: record.envelope.payload),
                verification.product == product
            else { throw LedgerStoreError.corrupt("the index names record \(seqs[i]), which verifies no \(product)") }
            return (seqs[i], verification.millis)
        }
    }

    /// Checks `entered` against the commitment of the serial `product`; a match is recorded — signed by the operator,
    /// the serial and the time only — before the answer says so. The slow hash runs on the caller's task, not the
    /// engine's (which appends meanwhile), so the caller bounds how many run at once.
    public nonisolated func checkCode(_ entered: String, product: String) async throws -> CodeCheck {
        guard let (_, commitment) = try await commitment(of: product) else { return .notCommitted }
        guard commitment.matches(entered) else { return .wrong }
        return try await recordVerification(of: product)
    }

    /// Records a correct entry of the hidden code of `product`.
    private func recordVerification(of product: String) async throws -> CodeCheck {
        guard let operatorKey else { throw LedgerError.noOperatorKey }
        let millis = clock()
        // Numbered after those recorded; another entry recorded meanwhile takes the number, and this one the next.
        var attempts = 0
        while true {
            let number = try await verifications(of: product).count + 1
            let verification = try CodeVerification(product: product, number: number, millis: millis)
            let envelope = try Envelope(
                signing: verification.payload, type: CodeVerification.payloadType, with: operatorKey)
            do {
                _ = try await append([envelope])
                break
            } catch LedgerError.refused(_, let error, _) where error.matches(RuleCode.recordDuplicate) && attempts < 3 {
                attempts += 1
            }
        }
        let times = try await verifications(of: product)
        guard times.count > 1, let first = times.first else { return .first(millis: millis) }
        return .again(first: first.millis, times: times.count)
    }
}
