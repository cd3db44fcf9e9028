import Foundation

/// A C2SP tlog-witness `add-checkpoint` request body: `old <size>`, the consistency proof lines, a blank line,
/// and the checkpoint note.
public struct WitnessRequest: Sendable, Equatable {
    public let oldSize: Int64
    public let proof: [Hash]
    public let checkpoint: SignedNote

    public init(oldSize: Int64, proof: [Hash], checkpoint: SignedNote) {
        self.oldSize = oldSize
        self.proof = proof
        self.checkpoint = checkpoint
    }

    /// The request body.
    public var encoded: String {
        "old \(oldSize)\n" + proof.map { $0.base64 + "\n" }.joined() + "\n" + checkpoint.encoded
    }

    /// Parses a request body (C2SP tlog-witness §add-checkpoint).
    public init(parsing text: String) throws {
        guard let blank = text.range(of: "\n\n") else {
            throw LogError(.witnessRequest, "the request has no blank line before the checkpoint")
        }
        let head = text[..<blank.lowerBound].split(separator: "\n", omittingEmptySubsequences: false)
        guard let first = head.first, first.hasPrefix("old "), let size = Int64(first.dropFirst(4)), size >= 0,
            String(size) == first.dropFirst(4)
        else { throw LogError(.witnessOld, "the request does not start with 'old <size>'") }
        guard head.count - 1 <= 63 else { throw LogError(.witnessProof, "more than 63 consistency proof lines") }
        oldSize = size
        proof = try head.dropFirst().map { line in
            guard let hash = Hash(base64: String(line)), hash.base64 == line else {
                throw LogError(.witnessProof, "a consistency proof line is not canonical base64 of a hash")
            }
            return hash
        }
        checkpoint = try SignedNote(parsing: String(text[blank.upperBound...]))
    }
}

/// What a witness remembers: per log origin, the latest checkpoint it cosigned.
public struct WitnessState: Sendable, Equatable, Codable {
    public struct Entry: Sendable, Equatable, Codable {
        public let size: Int64
        public let root: String
    }
    public var logs: [String: Entry] = [:]

    public init() {}
}

/// A witness (C2SP tlog-witness, tlog-cosignature): cosigns a log's checkpoint only after checking that it
/// is signed by the log and consistent with the latest checkpoint it cosigned for that log.
public struct Witness: Sendable {
    public let cosigner: Cosigner
    /// The log keys it trusts, by origin (the key's name).
    public let logs: [Ed25519NoteVerifier]

    public init(cosigner: Cosigner, logs: [Ed25519NoteVerifier]) {
        self.cosigner = cosigner
        self.logs = logs
    }

    /// The witness's answer, as the protocol's HTTP statuses name them.
    public enum Outcome: Sendable, Equatable {
        /// 200: the cosignature line, and the state to persist before answering.
        case cosigned(SignedNote.Signature, WitnessState)
        /// 404: no trusted key for the checkpoint's origin.
        case unknownOrigin(String)
        /// 403: no signature by a trusted key.
        case forbidden(String)
        /// 400: the old size is larger than the checkpoint's.
        case badRequest(String)
        /// 409: the old size is not the witness's latest (`size`), or the same size with another root.
        case conflict(size: Int64, String)
        /// 422: the consistency proof does not verify.
        case unprocessable(String)
    }

    /// Handles one `add-checkpoint` request against `state`, cosigning at `timestamp` (POSIX seconds).
    public func addCheckpoint(_ request: WitnessRequest, state: WitnessState, timestamp: UInt64) -> Outcome {
        let body: Checkpoint
        do { body = try Checkpoint(text: request.checkpoint.text) } catch {
            return .badRequest("the checkpoint does not parse: \(error)")
        }
        let trusted = logs.filter { $0.name == body.origin }
        guard !trusted.isEmpty else { return .unknownOrigin("no trusted key for the log '\(body.origin)'") }
        guard case .verified(let names) = request.checkpoint.verify(trusted), names.contains(body.origin) else {
            return .forbidden("the checkpoint is not signed by a trusted key of '\(body.origin)'")
        }
        guard request.oldSize <= body.size else {
            return .badRequest("old size \(request.oldSize) is larger than the checkpoint's \(body.size)")
        }
        let latest = state.logs[body.origin]
        let latestSize = latest?.size ?? 0
        guard request.oldSize == latestSize else {
            return .conflict(
                size: latestSize, "the witness's latest checkpoint of '\(body.origin)' has size \(latestSize)")
        }
        if let latest, let root = Hash(base64: latest.root) {
            if latestSize == body.size {
                guard root == body.root, request.proof.isEmpty else {
                    return .conflict(size: latestSize, "a different root for size \(body.size): a split view")
                }
            } else if !Proofs.verifyConsistency(
                oldSize: latestSize, newSize: body.size, oldRoot: root, newRoot: body.root, proof: request.proof)
            {
                return .unprocessable("the consistency proof from \(latestSize) to \(body.size) does not verify")
            }
        } else if !request.proof.isEmpty {
            return .unprocessable("a request from size 0 carries no consistency proof")
        }
        let signature: SignedNote.Signature
        do { signature = try cosigner.cosign(checkpointText: request.checkpoint.text, timestamp: timestamp) } catch {
            return .badRequest("cannot cosign: \(error)")
        }
        var next = state
        next.logs[body.origin] = .init(size: body.size, root: body.root.base64)
        return .cosigned(signature, next)
    }
}

/// A monitor's memory: the latest checkpoint it verified for a log.
public struct MonitorState: Sendable, Equatable, Codable {
    public let origin: String
    public let size: Int64
    public let root: String
    /// The signed checkpoint itself, kept so that a later conflicting one makes evidence (nil in older states).
    public let note: String?

    public init(origin: String, size: Int64, root: String, note: String? = nil) {
        (self.origin, self.size, self.root, self.note) = (origin, size, root, note)
    }
}
