import Crypto
import Foundation
import TransparencyLog

/// RFC 9530 `Content-Digest`, SHA-256: `sha-256=:<base64>:`.
public enum ContentDigest {
    /// The field value for `body`.
    public static func sha256(_ body: some Collection<UInt8>) -> String {
        "sha-256=" + StructuredField.serialize(.bytes(Array(SHA256.hash(data: Array(body)))))
    }

    /// Checks a `Content-Digest` field value against `body`: it must hold `sha-256`, and every member it holds
    /// (`sha-256`, `sha-512`) must match.
    public static func verify(_ field: String, body: some Collection<UInt8>) throws(SignatureError) {
        let members = try StructuredField.dictionary(field)
        guard members.contains(where: { $0.key == "sha-256" }) else {
            throw SignatureError(.digest, "Content-Digest has no sha-256 member")
        }
        for (key, member) in members {
            guard case .item(let item) = member, case .bytes(let digest) = item.value else {
                throw SignatureError(.digest, "Content-Digest's \(key) is not a byte sequence")
            }
            let expected: [UInt8]
            switch key {
            case "sha-256": expected = Array(SHA256.hash(data: Array(body)))
            case "sha-512": expected = Array(SHA512.hash(data: Array(body)))
            default: throw SignatureError(.digest, "Content-Digest's algorithm \(key) is not sha-256 or sha-512")
            }
            guard digest == expected else { throw SignatureError(.digest, "Content-Digest's \(key) is not the body's") }
        }
    }
}

/// Threadline's profile of RFC 9421 HTTP Message Signatures for requests (`Specs/20-request-signatures.md`):
/// one signature, `alg="ed25519"`, covering `@method`, `@target-uri` and — when there is a body —
/// `content-digest`, with `created`, `keyid` (the signer's C2SP verifier key) and `nonce`.
public enum RequestSignature {
    /// The label Threadline's clients give their signature (a server takes any one label).
    public static let label = "sig1"
    /// How old a signature may be, in seconds, by default; and how far in the future (clock skew).
    public static let defaultMaxAge: Int64 = 300
    public static let maxSkew: Int64 = 30

    /// What a request is, as far as its signature is concerned.
    public struct Request: Sendable {
        /// The method, as sent (`GET`, `POST`).
        public var method: String
        /// The absolute URI the client asked for: scheme, authority, path and query.
        public var targetURI: String
        /// The body, if the request has one (an empty body is a body).
        public var body: [UInt8]?

        public init(method: String, targetURI: String, body: [UInt8]? = nil) {
            (self.method, self.targetURI, self.body) = (method, targetURI, body)
        }
    }

    /// What a verified signature says.
    public struct Verified: Sendable, Equatable {
        /// The signer's C2SP verifier key.
        public let keyid: String
        public let created: Int64
        public let nonce: String
    }

    /// The header fields that sign `request`: `Content-Digest` (with a body), `Signature-Input` and `Signature`.
    public static func sign(
        _ request: Request, key: Curve25519.Signing.PrivateKey, keyid: String, created: Int64, nonce: String
    ) throws -> [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = []
        var components = ["@method", "@target-uri"]
        var values = [request.method, request.targetURI]
        if let body = request.body {
            let digest = ContentDigest.sha256(body)
            fields.append(("Content-Digest", digest))
            components.append("content-digest")
            values.append(digest)
        }
        let params = StructuredField.Member.innerList(
            components.map { .init(.string($0)) },
            parameters: [
                ("created", .integer(created)), ("keyid", .string(keyid)), ("alg", .string("ed25519")),
                ("nonce", .string(nonce)),
            ])
        let serialized = StructuredField.serialize(params)
        let signature = try key.signature(for: Array(base(components, values, params: serialized).utf8))
        fields.append(("Signature-Input", label + "=" + serialized))
        fields.append(("Signature", label + "=" + StructuredField.serialize(.bytes(Array(signature)))))
        return fields
    }

    /// The signature base (RFC 9421 §2.5): a line a component, then `@signature-params`.
    static func base(_ components: [String], _ values: [String], params: String) -> String {
        zip(components, values).map { "\"\($0)\": \($1)\n" }.joined() + "\"@signature-params\": " + params
    }

    /// Verifies `request`'s signature as the profile demands; `field` looks a header field up by its lowercase
    /// name (nil when absent). `now` is POSIX seconds.
    public static func verify(
        _ request: Request, field: (String) -> String?, now: Int64, maxAge: Int64 = defaultMaxAge
    ) throws(SignatureError) -> Verified {
        guard let inputField = field("signature-input"), let signatureField = field("signature") else {
            throw SignatureError(.missing, "the request has no Signature-Input and Signature")
        }
        let inputs = try StructuredField.dictionary(inputField)
        let signatures = try StructuredField.dictionary(signatureField)
        guard inputs.count == 1, let (label, input) = inputs.first else {
            throw SignatureError(.count, "the request must carry exactly one signature, not \(inputs.count)")
        }
        guard case .innerList(let items, let parameters) = input else {
            throw SignatureError(.components, "the signature's input is not a list of components")
        }
        guard let signed = signatures.first(where: { $0.key == label }), case .item(let item) = signed.member,
            case .bytes(let signature) = item.value
        else { throw SignatureError(.missing, "Signature has no byte sequence labelled \(label)") }
        var components: [String] = []
        for item in items {
            guard case .string(let name) = item.value, item.parameters.isEmpty, !components.contains(name) else {
                throw SignatureError(.components, "the components must be plain, distinct names")
            }
            components.append(name)
        }
        let values = try componentValues(components, request, field: field)
        let verified = try checkParameters(parameters, now: now, maxAge: maxAge)
        let publicKey: Curve25519.Signing.PublicKey
        do {
            let verifier = try Ed25519NoteVerifier(verifierKey: verified.keyid)
            publicKey = try Curve25519.Signing.PublicKey(rawRepresentation: verifier.publicKey)
        } catch {
            throw SignatureError(.key, "keyid '\(verified.keyid)' is not an Ed25519 verifier key")
        }
        let message = base(components, values, params: StructuredField.serialize(input))
        guard publicKey.isValidSignature(signature, for: Array(message.utf8)) else {
            throw SignatureError(.invalid, "the signature does not verify with \(verified.keyid)")
        }
        return verified
    }

    /// The covered components' values: `@method`, `@target-uri` and (required with a body) `content-digest`,
    /// checked against the body.
    static func componentValues(
        _ components: [String], _ request: Request, field: (String) -> String?
    ) throws(SignatureError) -> [String] {
        let required = ["@method", "@target-uri"] + (request.body == nil ? [] : ["content-digest"])
        for name in required where !components.contains(name) {
            throw SignatureError(.components, "the signature must cover \(name)")
        }
        var values: [String] = []
        for name in components {
            switch name {
            case "@method": values.append(request.method)
            case "@target-uri": values.append(request.targetURI)
            case "content-digest":
                guard let digest = field("content-digest"), let body = request.body else {
                    throw SignatureError(.digest, "the signature covers content-digest, but there is none")
                }
                try ContentDigest.verify(digest, body: body)
                values.append(digest)
            default: throw SignatureError(.components, "the component \(name) is not one this profile signs")
            }
        }
        return values
    }

    /// `created` (within `maxAge` before `now`), `keyid`, `alg="ed25519"` and `nonce` (1 to 64 characters).
    static func checkParameters(
        _ parameters: StructuredField.Parameters, now: Int64, maxAge: Int64
    ) throws(SignatureError) -> Verified {
        func value(_ key: String) -> StructuredField.BareItem? { parameters.first { $0.key == key }?.value }
        guard case .integer(let created)? = value("created"), case .string(let keyid)? = value("keyid"),
            case .string(let nonce)? = value("nonce"), (1...64).contains(nonce.utf8.count)
        else {
            throw SignatureError(.parameters, "the signature needs created, keyid and a nonce of 1 to 64 characters")
        }
        guard case .string("ed25519")? = value("alg") else {
            throw SignatureError(.parameters, "the signature's alg must be \"ed25519\"")
        }
        guard parameters.allSatisfy({ ["created", "keyid", "alg", "nonce", "expires"].contains($0.key) }) else {
            throw SignatureError(.parameters, "the signature has parameters this profile does not know")
        }
        if case .integer(let expires)? = value("expires"), expires < now {
            throw SignatureError(.expired, "the signature expired at \(expires)")
        }
        guard created <= now + maxSkew, now - created <= maxAge else {
            throw SignatureError(
                .expired, "the signature was made at \(created); now is \(now), and it may be \(maxAge) s old")
        }
        return Verified(keyid: keyid, created: created, nonce: nonce)
    }
}
