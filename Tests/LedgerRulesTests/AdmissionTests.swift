import LedgerRules
import Participants
import Statements
import Testing
import TransparencyLog

/// The accept/refuse decision, with no store: replays in the log and in the group, all-or-nothing and
/// one-by-one requests, and the participants-only rule.
@Suite("Admission")
struct AdmissionTests {
    let operatorKey = try! SigningKey(name: "ledger.example", seed: Array(repeating: 1, count: 32))
    let shopKey = try! SigningKey(name: "shop", seed: Array(repeating: 3, count: 32))
    let strangerKey = try! SigningKey(name: "stranger", seed: Array(repeating: 9, count: 32))

    /// An opaque statement (a payload type the rules do not read), distinct by `text`.
    func opaque(_ text: String) -> Statement {
        .opaque(digest: Statement.digest(payloadType: "text/plain", payload: Array(text.utf8)))
    }

    /// The registry after the operator registered the shop, at record 0.
    var registry: Registry {
        get throws {
            var registry = Registry(operatorKey: operatorKey.keyID)
            let profile = Participant.Profile(id: "shop", name: "Shop", roles: [.marketplace], keys: [shopKey.keyID])
            let envelope = try Envelope(
                signing: RegistryStatement.registration(profile, basis: 0).payload, type: RegistryStatement.payloadType,
                with: operatorKey)
            #expect(registry.apply(seq: 0, envelope: envelope) == nil)
            return registry
        }
    }

    func request(
        _ statements: [Statement], by key: SigningKey, atomic: Bool, participantsOnly: Bool = false
    )
        -> Admission.Request
    {
        .init(
            statements: statements, signers: statements.map { _ in [key.keyID] }, atomic: atomic,
            participantsOnly: participantsOnly)
    }

    @Test("a statement already in the log, or twice in one group, is a replay; the rest are kept in order")
    func replays() throws {
        let (a, b, c) = (opaque("a"), opaque("b"), opaque("c"))
        let decision = Admission.decide(
            [request([a, b], by: shopKey, atomic: false), request([c, b], by: shopKey, atomic: false)], at: 1,
            registry: try registry, existing: [Admission.duplicateKey(a): 0])
        #expect(decision.accepted.map(\.keep) == [[1], [0]])
        let refusals = decision.refusals.sorted { ($0.request, $0.statement) < ($1.request, $1.statement) }
        #expect(refusals.map { [$0.request, $0.statement] } == [[0, 0], [1, 1]])
        #expect(refusals.count == 2 && refusals.allSatisfy { $0.error.matches(RuleCode.recordDuplicate) })
        // The replay of a record in the log names it; b is first appended as record 1, so its replay names that.
        #expect(refusals.map(\.existing) == [0, 1])
    }

    @Test(
        "keys and demands worked out beforehand decide as those worked out here; lists that do not match are not used")
    func workedOutBeforehand() throws {
        let (a, b) = (opaque("a"), opaque("b"))
        let statements = [a, b, a]
        let signers = statements.map { _ in [shopKey.keyID] }
        let plain = Admission.Request(statements: statements, signers: signers, atomic: false, participantsOnly: false)
        #expect(plain.duplicateKeys == statements.map(Admission.duplicateKey))
        // Not an event: its duplicate key is its digest's, whatever keys it is given.
        #expect(Admission.duplicateKey(a, indexKeys: ["event:x"]) == Admission.duplicateKey(a))
        let given = Admission.Request(
            statements: statements, signers: signers, atomic: false, participantsOnly: false,
            duplicateKeys: plain.duplicateKeys, demands: plain.demands)
        let short = Admission.Request(
            statements: statements, signers: signers, atomic: false, participantsOnly: false,
            duplicateKeys: [Admission.duplicateKey(b)], demands: [])
        #expect(short.duplicateKeys == plain.duplicateKeys && short.demands.count == 3)
        for request in [plain, given, short] {
            let decision = Admission.decide([request], at: 1, registry: try registry, existing: [:])
            #expect(decision.accepted.map(\.keep) == [[0, 1]])
            #expect(decision.refusals.map(\.statement) == [2])
        }
    }

    @Test("one refusal refuses a whole all-or-nothing request, and the next request takes its place")
    func atomicRequests() throws {
        let decision = Admission.decide(
            [
                request([opaque("x"), opaque("x")], by: shopKey, atomic: true),
                request([opaque("y")], by: shopKey, atomic: true),
            ], at: 1, registry: try registry, existing: [:])
        #expect(decision.accepted.map(\.request) == [1])
        #expect(decision.refusals.map { [$0.request, $0.statement] } == [[0, 1]])
        // The first copy is in the refused request, so no record holds it.
        #expect(decision.refusals.first?.existing == nil)
        #expect(decision.registry.size == 2)
    }

    @Test("on the participants-only routes, a key nobody registered is refused; the operator's is not")
    func participantsOnly() throws {
        let decision = Admission.decide(
            [
                request([opaque("s")], by: strangerKey, atomic: false, participantsOnly: true),
                request([opaque("t")], by: shopKey, atomic: false, participantsOnly: true),
                request([opaque("u")], by: operatorKey, atomic: false, participantsOnly: true),
                request([opaque("v")], by: strangerKey, atomic: false),
            ], at: 1, registry: try registry, existing: [:])
        #expect(decision.refusals.map(\.request) == [0])
        #expect(decision.refusals.first?.error.matches(RuleCode.recordSigner) == true)
        #expect(decision.accepted.filter { !$0.keep.isEmpty }.map(\.request) == [1, 2, 3])
    }
}
