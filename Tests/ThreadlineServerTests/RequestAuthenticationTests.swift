import HTTPSignatures
import LedgerRules
import Participants
import Statements
import Testing

@testable import ThreadlineServer

/// Who a request is from (Specs/20-request-signatures.md §5): the signature, the window, the nonce, and the
/// signer's standing in the registry.
struct RequestAuthenticationTests {
    static let operatorKey = try! SigningKey(name: "ledger.example", seed: Array(repeating: 1, count: 32))
    static let factory = try! SigningKey(name: "factory", seed: Array(repeating: 2, count: 32))
    static let stranger = try! SigningKey(name: "stranger", seed: Array(repeating: 3, count: 32))
    static let now: Int64 = 1_764_412_800

    static func registry(revoked: Bool = false) -> Registry {
        var registry = Registry(operatorKey: operatorKey.keyID)
        registry.apply(
            seq: 0,
            statement: .registration(
                .init(id: "factory", name: "Factory", roles: [.manufacturer], keys: [factory.keyID]), basis: 0),
            signers: [operatorKey.keyID])
        if revoked {
            registry.apply(
                seq: 1, statement: .revocation(participant: "factory", key: nil, reason: "closed", basis: 1),
                signers: [operatorKey.keyID])
        }
        return registry
    }

    static let request = RequestSignature.Request(method: "GET", targetURI: "http://127.0.0.1:8080/trace?code=x")

    static func fields(_ key: SigningKey, nonce: String, created: Int64 = now) throws -> [String: String] {
        let signed = try RequestSignature.sign(
            request, key: key.noteSigner.privateKey, keyid: key.keyID, created: created, nonce: nonce)
        return Dictionary(uniqueKeysWithValues: signed.map { ($0.name.lowercased(), $0.value) })
    }

    static func outcome(
        _ auth: RequestAuthentication, _ fields: [String: String], registry: Registry = registry()
    ) -> String {
        do throws(RequestAuthentication.Refusal) {
            let reader = try auth.reader(request, field: { fields[$0] }, registry: registry, now: now + 5)
            return "\(reader)"
        } catch {
            switch error {
            case .unauthenticated(let refusal): return "401 \(refusal.code.rawValue)"
            case .forbidden: return "403"
            }
        }
    }

    @Test func unsignedIsAnyoneAndSignedIsTheParticipantOnce() throws {
        let auth = RequestAuthentication()
        #expect(Self.outcome(auth, [:]) == "anyone")
        let signed = try Self.fields(Self.factory, nonce: "n1")
        #expect(Self.outcome(auth, signed) == "participant(\"factory\")")
        // The same request again is a replay; a new nonce is a new request.
        #expect(Self.outcome(auth, signed) == "401 signature.replayed")
        #expect(Self.outcome(auth, try Self.fields(Self.factory, nonce: "n2")) == "participant(\"factory\")")
    }

    @Test func staleBadOrUnregisteredSignaturesAreRefused() throws {
        let auth = RequestAuthentication(maxAge: 60)
        #expect(
            Self.outcome(auth, try Self.fields(Self.factory, nonce: "old", created: Self.now - 120))
                == "401 signature.expired")
        var forged = try Self.fields(Self.factory, nonce: "f")
        forged["signature-input"] = forged["signature-input"]!.replacingOccurrences(
            of: "nonce=\"f\"", with: "nonce=\"g\"")
        #expect(Self.outcome(auth, forged) == "401 signature.invalid")
        #expect(Self.outcome(auth, try Self.fields(Self.stranger, nonce: "s")) == "403")
        #expect(
            Self.outcome(auth, try Self.fields(Self.factory, nonce: "r"), registry: Self.registry(revoked: true))
                == "403")
    }
}
