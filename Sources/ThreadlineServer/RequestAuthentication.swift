import HTTPSignatures
import LedgerRules
import Participants
import Synchronization

/// Who a request is from (`Specs/20-request-signatures.md` §5): anyone when it carries no signature; a
/// participant when it is signed, within the window, with a nonce not seen before, by a key that is — in the
/// registry as it stands — a registered participant's current key.
final class RequestAuthentication: Sendable {
    /// How old a signature may be, in seconds.
    let maxAge: Int64
    /// The (keyid, nonce) pairs seen within the window, with the `created` of each: a signed request is taken once.
    private let seen = Mutex<[String: Int64]>([:])
    /// The most nonces kept; past it the oldest half goes (a replay of those is refused as too old by then, or
    /// accepted once more at worst: the window is what bounds it, this only bounds memory).
    static let maxNonces = 100_000

    init(maxAge: Int64 = RequestSignature.defaultMaxAge) {
        self.maxAge = maxAge
    }

    /// What goes wrong with a signed request: the signature's own refusal (`401`), or a signer that may not read
    /// (`403`).
    enum Refusal: Error {
        case unauthenticated(SignatureError)
        case forbidden(String)
    }

    /// The reader of a request; `field` looks a header field up by lowercase name; `now` is POSIX seconds.
    func reader(
        _ request: RequestSignature.Request, field: (String) -> String?, registry: Registry, now: Int64
    ) throws(Refusal) -> Reader {
        guard field("signature-input") != nil || field("signature") != nil else { return .anyone }
        let verified: RequestSignature.Verified
        do {
            verified = try RequestSignature.verify(request, field: field, now: now, maxAge: maxAge)
        } catch { throw .unauthenticated(error) }
        guard remember(verified, now: now) else {
            throw .unauthenticated(SignatureError(.replayed, "the nonce '\(verified.nonce)' was used before"))
        }
        switch registry.signer(verified.keyid, at: registry.size) {
        case .valid(let id): return .participant(id)
        case let status: throw .forbidden("the signer may not read: \(status.explanation)")
        }
    }

    /// Records a signature's nonce; false if the same key used it within the window.
    private func remember(_ verified: RequestSignature.Verified, now: Int64) -> Bool {
        seen.withLock { nonces in
            let key = verified.keyid + " " + verified.nonce
            if let created = nonces[key], now - created <= maxAge + RequestSignature.maxSkew { return false }
            if nonces.count >= Self.maxNonces {
                let cutoff = now - maxAge - RequestSignature.maxSkew
                nonces = nonces.filter { $0.value >= cutoff }
                if nonces.count >= Self.maxNonces {
                    let sorted = nonces.sorted { $0.value < $1.value }
                    nonces = Dictionary(
                        uniqueKeysWithValues: sorted.suffix(Self.maxNonces / 2).map { ($0.key, $0.value) })
                }
            }
            nonces[key] = verified.created
            return true
        }
    }
}
