import EPCIS
import FuzzSupport
import LedgerRules
import Statements
import TransparencyLog

/// An event statement's payload, read by both readers a ledger uses: `Statement.event(payload:)` (the JSON tree
/// and the validator) and `EventFacts` (the byte reader for common ObjectEvents, which falls back to the first).
/// They must agree on whether the payload is an event, and on its CBV 2.0 hash, index keys and demands — the
/// properties `EventFactsTests` checks for the corpora, here for any bytes. The event's JSON, re-serialised,
/// must hash the same (the hash is of the content, not the spelling).
@main
enum FuzzEPCISEvent: FuzzTarget {
    static func fuzz(_ input: FuzzInput) {
        let payload = input.bytes
        let general = Result { try Statement.event(payload: payload) }
        let facts = Result { try EventFacts(payload: payload, indexKeys: true) }
        switch (general, facts) {
        case (.failure, .failure): return
        case (.failure(let error), .success):
            fatalError("the byte reader takes an event the general reader refuses: \(error)")
        case (.success, .failure(let error)):
            fatalError("the byte reader refuses an event the general reader takes: \(error)")
        case (.success(let event), .success(let facts)):
            let digest = event.hashDigest()
            require(facts.digest == digest, "the readers' event hashes differ")
            require(
                facts.indexKeys == Statement.packedIndexKeys(of: event, digest: digest),
                "the readers' index keys differ")
            let demands = RecordingPolicy.Demands(event)
            require(facts.demands.step == demands.step, "the readers' business steps differ")
            require(
                facts.demands.creates.map { "\($0.identifier) \($0.gtin ?? "-")" }
                    == demands.creates.map { "\($0.identifier) \($0.gtin ?? "-")" },
                "the readers' created objects differ")
            require(event.hash() == EventHash.uri(of: digest), "hash() does not name hashDigest()")
            let respelled = Array(event.json.serialized.utf8)
            guard let again = try? Statement.event(payload: respelled) else {
                fatalError("the event, re-serialised, no longer reads")
            }
            require(again.hashDigest() == digest, "the event, re-serialised, hashes differently")
            _ = Statement.event(event, hash: event.hash()).indexKeys
        }
    }
}
