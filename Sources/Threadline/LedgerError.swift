import LedgerStore
import TransparencyLog

/// Why the engine refused a request. Nothing in the ledger changes when one is thrown.
public enum LedgerError: Error, CustomStringConvertible {
    /// Statement `index` of a batch is not acceptable (bad syntax, signature, or size).
    case invalidStatement(index: Int, any CodedError)
    /// Statement `index` is well formed but the ledger's rules refuse it (signer, role, duplicate …);
    /// `existing` is the record that already holds the same event, for a duplicate.
    case refused(index: Int, any CodedError, existing: Int64?)
    /// Signing a checkpoint needs the operator's private key, which was not given.
    case noOperatorKey
    /// The operator key given is not the one the ledger was created with.
    case wrongOperatorKey(expected: String)
    /// The requested record does not exist.
    case noSuchRecord(seq: Int64, size: Int64)
    /// No event concerns the product.
    case noSuchProduct(String)
    /// A tree size outside the log.
    case badTreeSize(Int64, size: Int64)
    /// The stored checkpoint does not verify, or the tree no longer extends it: refusing to sign.
    case inconsistent(String)

    /// The statement a refusal is about, if any.
    public var index: Int? {
        switch self {
        case .invalidStatement(let index, _), .refused(let index, _, _): index
        default: nil
        }
    }

    public var description: String {
        switch self {
        case .invalidStatement(let index, let error): "statement \(index): \(error.reason)"
        case .refused(let index, let error, _): "statement \(index) refused: \(error.reason)"
        case .noOperatorKey: "signing a checkpoint needs the operator key (--operator-key FILE)"
        case .wrongOperatorKey(let expected): "the operator key is not this ledger's (\(expected))"
        case .noSuchRecord(let seq, let size):
            "there is no record \(seq); the ledger has \(size) records (0…\(size - 1))"
        case .noSuchProduct(let code): "no event concerns \(code)"
        case .badTreeSize(let value, let size): "tree size \(value) is outside the ledger (0…\(size))"
        case .inconsistent(let why): "refusing to sign: \(why)"
        }
    }
}
