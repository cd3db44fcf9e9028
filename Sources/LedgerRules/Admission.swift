import Participants
import Statements
import TransparencyLog

/// The accept/refuse decision for statements about to be appended (`Specs/10-recording.md` §2, §4): replays,
/// signers, the registry's own rules and the recording policy, applied in order as if the statements were
/// appended from a given log size. Pure: what it needs of the store — the records that already hold a
/// statement's duplicate key — is handed in, so the decision is tested without one.
public enum Admission {
    /// One request's statements (already checked for syntax and signatures).
    public struct Request: Sendable {
        public let statements: [Statement]
        /// Each statement's signers' key IDs.
        public let signers: [[String]]
        /// All or nothing: one refusal refuses every statement of the request.
        public let atomic: Bool
        /// Every signer must be a registered participant's current key or the operator's (the server's routes).
        public let participantsOnly: Bool
        /// Each statement's duplicate key (`Admission.duplicateKey`).
        public let duplicateKeys: [String]
        /// Each event's demands (`RecordingPolicy.Demands`); nil for other statements.
        public let demands: [RecordingPolicy.Demands?]

        public init(statements: [Statement], signers: [[String]], atomic: Bool, participantsOnly: Bool) {
            self.init(
                statements: statements, signers: signers, atomic: atomic, participantsOnly: participantsOnly,
                duplicateKeys: statements.map(Admission.duplicateKey), demands: statements.map(Admission.demands))
        }

        /// A request whose statements' duplicate keys and demands were worked out beforehand (on all cores, as
        /// `Ledger.prepare` does), so that the decision, which runs on one, does not.
        public init(
            statements: [Statement], signers: [[String]], atomic: Bool, participantsOnly: Bool,
            duplicateKeys: [String], demands: [RecordingPolicy.Demands?]
        ) {
            self.statements = statements
            self.signers = signers
            self.atomic = atomic
            self.participantsOnly = participantsOnly
            // Lists that do not match the statements are not trusted: worked out again here.
            let matching = duplicateKeys.count == statements.count && demands.count == statements.count
            self.duplicateKeys = matching ? duplicateKeys : statements.map(Admission.duplicateKey)
            self.demands = matching ? demands : statements.map(Admission.demands)
        }
    }

    /// What an event asks of its signers (`RecordingPolicy.Demands`); nil for any other statement.
    public static func demands(_ statement: Statement) -> RecordingPolicy.Demands? {
        guard case .event(let event, _) = statement else { return nil }
        return RecordingPolicy.Demands(event)
    }

    /// Why statement `statement` of request `request` is refused.
    public struct Refusal: Sendable {
        public let request: Int
        public let statement: Int
        public let error: any CodedError
        /// The record that already holds the same statement, for a duplicate.
        public let existing: Int64?
    }

    /// What the checks decided for a group of requests.
    public struct Decision: Sendable {
        /// A request's statements to append (their indices), in order.
        public struct Accepted: Sendable {
            public let request: Int
            public let keep: [Int]
        }
        public var accepted: [Accepted] = []
        public var refusals: [Refusal] = []
        /// The registry once the accepted statements are applied.
        public var registry: Registry
    }

    /// The index key under which an earlier copy of `statement` would be found: an event's hash (the same event,
    /// however written and signed), or any other statement's digest (the same signed bytes).
    public static func duplicateKey(_ statement: Statement) -> String {
        switch statement {
        case .event(let event, let hash): IndexKey.event(event, hash: hash)
        case .registry(_, let digest), .anchor(_, _, let digest), .erasure(_, let digest), .product(_, let digest),
            .verification(_, let digest), .opaque(let digest):
            IndexKey.statement(digest)
        // One commitment a serial: a second, whoever signs it, is a replay of the first's purpose.
        case .commitment(let commitment, _): IndexKey.commitment(commitment.product)
        }
    }

    /// `duplicateKey(statement)`, taken from the statement's index keys (`indexKeys`, as `Statement.indexKeys`
    /// gives them) where it is one of them.
    public static func duplicateKey(_ statement: Statement, indexKeys: [String]) -> String {
        if case .event = statement, let key = IndexKey.eventKey(among: indexKeys) { return key }
        return duplicateKey(statement)
    }

    /// Applies the rules to `requests` as if appended at `size` over `registry`, in order; `existing` maps the
    /// duplicate keys already in the log to their records. A refused statement of an atomic request refuses the
    /// whole request; a refusal shifts the later statements' sequence numbers, so the checks run again until
    /// nothing more is refused.
    public static func decide(
        _ requests: [Request], at size: Int64, registry: Registry, existing: [String: Int64]
    ) -> Decision {
        var excluded: [Position: Refusal] = [:]
        while true {
            var decision = Decision(registry: registry)
            var seen: [String: (seq: Int64, request: Int)] = [:]
            var seq = size
            var newlyExcluded = false
            for (r, request) in requests.enumerated() {
                var scratch = decision.registry
                var keep: [Int] = []
                var refusals: [Refusal] = []
                var scratchSeen = seen
                // Room made once for a group's first request (a batch's only one, often) rather than grown to it.
                if seen.isEmpty { scratchSeen.reserveCapacity(request.statements.count) }
                var scratchSeq = seq
                for (i, statement) in request.statements.enumerated()
                where excluded.isEmpty || excluded[Position(request: r, statement: i)] == nil {
                    let checked = Checked(request: r, statement: i, atomic: request.atomic)
                    if let refusal = checked.refusal(
                        statement, key: request.duplicateKeys[i], demands: request.demands[i],
                        signers: request.signers[i], registry: &scratch, at: scratchSeq, existing: existing,
                        seen: &scratchSeen, participantsOnly: request.participantsOnly)
                    {
                        if request.atomic {
                            refusals.append(refusal)
                        } else {
                            excluded[Position(request: r, statement: i)] = refusal
                            newlyExcluded = true
                        }
                        continue
                    }
                    keep.append(i)
                    scratchSeq += 1
                }
                decision.refusals += refusals
                if !refusals.isEmpty { continue }
                decision.registry = scratch
                seen = scratchSeen
                seq = scratchSeq
                decision.accepted.append(.init(request: r, keep: keep))
            }
            if !newlyExcluded {
                decision.refusals += excluded.values
                return decision
            }
        }
    }

    /// Where a statement is in the group.
    private struct Position: Hashable {
        let request: Int
        let statement: Int
    }

    /// The statement being checked: where it is in the group.
    private struct Checked {
        let request: Int
        let statement: Int
        let atomic: Bool

        func refused(_ error: any CodedError, existing: Int64? = nil) -> Refusal {
            Refusal(request: request, statement: statement, error: error, existing: existing)
        }

        /// Why `statement` may not be appended at `seq`, advancing `registry` and `seen` when it may.
        func refusal(
            _ statement: Statement, key: String, demands: RecordingPolicy.Demands?, signers: [String],
            registry: inout Registry, at seq: Int64, existing: [String: Int64],
            seen: inout [String: (seq: Int64, request: Int)], participantsOnly: Bool
        ) -> Refusal? {
            // A statement already in the log, or earlier in this group, is a replay (10 §2), whatever its kind.
            if let replay = replayed(statement, key: key, existing: existing, seen: seen) { return replay }
            switch statement {
            case .opaque:
                if participantsOnly {
                    for key in signers where key != registry.operatorKey {
                        let status = registry.signer(key, at: seq)
                        if case .valid = status { continue }
                        return refused(
                            RuleError(.recordSigner, "the signer \(key) may not submit: \(status.explanation)"))
                    }
                }
                registry.skip(to: seq + 1)
            case .anchor:
                registry.skip(to: seq + 1)
                guard signers.contains(registry.operatorKey) else {
                    return refused(RuleError(.anchorSigner, "a time anchor must be signed by the operator key"))
                }
            case .erasure:
                // Recorded only with the opening it rewrites, by the operator's erase (23 §7), never appended alone.
                return refused(
                    RuleError(
                        .erasureAppend,
                        "an erasure statement is recorded only by `threadline erase`, with the opening it rewrites"))
            case .registry(let change, _):
                if let error = registry.refusal(of: change, signers: signers, at: seq) { return refused(error) }
                registry.apply(seq: seq, statement: change, signers: signers)
            case .product(let product, _):
                if let error = registry.refusal(of: product, signers: signers, at: seq) { return refused(error) }
                registry.apply(seq: seq, product: product)
            case .commitment(let commitment, _):
                if let error = registry.ownerRefusal(
                    gtin: commitment.gtin, signers: signers, at: seq, what: "a commitment")
                {
                    return refused(error)
                }
                registry.skip(to: seq + 1)
            case .verification:
                registry.skip(to: seq + 1)
                guard signers == [registry.operatorKey] else {
                    return refused(
                        RuleError(.verificationSigner, "a code verification is recorded by the operator alone"))
                }
            case .event(let event, _):
                if let error = RecordingPolicy.refusal(
                    for: demands ?? RecordingPolicy.Demands(event), signers: signers, registry: registry, at: seq)
                {
                    return refused(error)
                }
                registry.skip(to: seq + 1)
            }
            seen[key] = (seq, request)
            return nil
        }

        /// The refusal of a statement already in the log or earlier in this group, if it is one.
        private func replayed(
            _ statement: Statement, key: String, existing: [String: Int64], seen: [String: (seq: Int64, request: Int)]
        ) -> Refusal? {
            // Named only for a refusal: most statements are no replay, and their checks build no text.
            var what: String {
                switch statement {
                case .event(_, let hash): "the same event (\(hash))"
                case .registry(_, let digest), .anchor(_, _, let digest), .erasure(_, let digest),
                    .product(_, let digest), .verification(_, let digest), .opaque(let digest):
                    "the same statement (digest \(digest.hex))"
                case .commitment(let commitment, _): "a commitment to the hidden code of \(commitment.product)"
                }
            }
            if let earlier = existing[key] {
                return refused(
                    RuleError(.recordDuplicate, "\(what) is already record \(earlier)"), existing: earlier)
            }
            guard let earlier = seen[key] else { return nil }
            // An earlier copy in this same all-or-nothing request will not be appended either.
            let kept = earlier.request != request || !atomic
            return refused(
                RuleError(
                    .recordDuplicate,
                    "\(what) is submitted twice" + (kept ? "; the first is record \(earlier.seq)" : "")),
                existing: kept ? earlier.seq : nil)
        }
    }
}
