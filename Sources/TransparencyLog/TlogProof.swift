import Foundation

/// A C2SP tlog-proof (`c2sp.org/tlog-proof@v1`): an entry's index, its inclusion proof and the
/// (co)signed checkpoint it is proved against — everything needed to check inclusion offline.
public struct TlogProof: Sendable, Equatable {
    /// The format's first line.
    public static let header = "c2sp.org/tlog-proof@v1"

    /// Optional opaque, unauthenticated extra data.
    public let extra: [UInt8]?
    /// The zero-based index of the entry.
    public let index: Int64
    /// The inclusion proof, leaf's sibling first (RFC 9162 §2.1.3.1).
    public let path: [Hash]
    /// The signed checkpoint, verbatim.
    public let checkpoint: SignedNote

    /// Creates a proof.
    public init(extra: [UInt8]? = nil, index: Int64, path: [Hash], checkpoint: SignedNote) {
        self.extra = extra
        self.index = index
        self.path = path
        self.checkpoint = checkpoint
    }

    /// The proof in its text form.
    public var encoded: String {
        var out = TlogProof.header + "\n"
        if let extra { out += "extra " + Data(extra).base64EncodedString() + "\n" }
        out += "index \(index)\n"
        out += path.map { $0.base64 + "\n" }.joined()
        return out + "\n" + checkpoint.encoded
    }

    /// Parses a proof's text form (tlog-proof §Format).
    public init(parsing text: String) throws {
        guard let blank = text.range(of: "\n\n") else {
            throw LogError(.proofBlank, "the proof has no blank line before its checkpoint")
        }
        var lines = text[..<blank.lowerBound].split(separator: "\n", omittingEmptySubsequences: false)[...]
        guard lines.popFirst() == Substring(TlogProof.header) else {
            throw LogError(.proofHeader, "the first line is not '\(TlogProof.header)'")
        }
        var extra: [UInt8]?
        if let line = lines.first, line.hasPrefix("extra ") {
            guard let data = Data(base64Encoded: String(line.dropFirst(6))) else {
                throw LogError(.proofExtra, "the extra line is not base64")
            }
            extra = Array(data)
            lines = lines.dropFirst()
        }
        guard let indexLine = lines.popFirst(), indexLine.hasPrefix("index ") else {
            throw LogError(.proofIndex, "the proof has no 'index <n>' line")
        }
        let digits = indexLine.dropFirst(6)
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            digits == "0" || !digits.hasPrefix("0"), let index = Int64(digits)
        else { throw LogError(.proofIndex, "index '\(digits)' is not a decimal without leading zeros") }
        let path = try lines.enumerated().map { number, line in
            guard let hash = Hash(base64: line), hash.base64 == line else {
                throw LogError(.proofHash, "proof line \(number + 1) is not canonical base64 of a 32-byte hash")
            }
            return hash
        }
        let checkpoint = try SignedNote(parsing: String(text[blank.upperBound...]))
        self.init(extra: extra, index: index, path: path, checkpoint: checkpoint)
    }

    /// Checks the proof for an entry: the checkpoint is signed by `log` (its origin is the log's name),
    /// at least `quorum` of `witnesses` cosigned it, and the entry is included in its tree.
    public func verify(
        entry: some DataProtocol, log: Ed25519NoteVerifier, witnesses: [CosignatureVerifier] = [], quorum: Int = 0
    ) -> ProofVerification {
        verify(leafHash: Merkle.leafHash(entry), log: log, witnesses: witnesses, quorum: quorum)
    }

    /// `verify(entry:…)` for an entry known by its leaf hash alone.
    public func verify(
        leafHash: Hash, log: Ed25519NoteVerifier, witnesses: [CosignatureVerifier] = [], quorum: Int = 0
    ) -> ProofVerification {
        let signed = checkpoint.verify([log] + witnesses)
        guard case .verified(let names) = signed, names.contains(log.name) else {
            if case .invalid(let why) = signed { return .invalid(.checkpointSignature, why) }
            return .invalid(.checkpointSignature, "the checkpoint is not signed by the log key '\(log.name)'")
        }
        let cosigners = names.filter { $0 != log.name }.count
        guard cosigners >= quorum else {
            return .invalid(.quorum, "\(cosigners) of the required \(quorum) witnesses cosigned the checkpoint")
        }
        let body: Checkpoint
        do { body = try Checkpoint(text: checkpoint.text) } catch {
            return .invalid(.checkpointFormat, "\(error)")
        }
        guard body.origin == log.name else {
            return .invalid(.checkpointFormat, "the checkpoint's origin '\(body.origin)' is not the log '\(log.name)'")
        }
        guard
            Proofs.verifyInclusion(
                leafHash: leafHash, index: index, size: body.size, proof: path, root: body.root)
        else {
            return .invalid(.inclusion, "entry \(index) is not included in the tree of size \(body.size)")
        }
        return .valid(body)
    }
}

/// The outcome of checking a tlog-proof.
public enum ProofVerification: Sendable, Equatable {
    /// Why a proof failed.
    public enum Failure: String, Sendable {
        case checkpointSignature = "checkpoint-signature"
        case quorum = "witness-quorum"
        case checkpointFormat = "checkpoint-format"
        case inclusion = "inclusion"
    }
    /// The entry is in the tree of this checkpoint.
    case valid(Checkpoint)
    /// It is not, and why.
    case invalid(Failure, String)
}
