import Crypto
import Foundation
import TransparencyLog

/// A participant's (or the operator's) Ed25519 private key with its name.
///
/// The key file format is the signer-key string of golang.org/x/mod/sumdb/note,
/// `PRIVATE+KEY+<name>+<hex key ID>+<base64(0x01 ‖ 32-byte seed)>`, one line.
/// The public form — the DSSE `keyid` — is the matching C2SP verifier key.
public struct SigningKey: Sendable {
    let signer: Ed25519NoteSigner

    /// A new random key named `name` (non-empty, printable ASCII, no spaces, `+`, `"` or `\`).
    public init(generatingWithName name: String) throws {
        try self.init(name: name, privateKey: Curve25519.Signing.PrivateKey())
    }

    /// The key with the given 32-byte seed (for reproducible samples and tests).
    public init(name: String, seed: [UInt8]) throws {
        guard let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed) else {
            throw StatementError(.keySeed, "an Ed25519 seed is 32 bytes")
        }
        try self.init(name: name, privateKey: key)
    }

    private init(name: String, privateKey: Curve25519.Signing.PrivateKey) throws {
        guard Envelope.isPlainASCII(name) else {
            throw StatementError(.keyName, "key name '\(name)' must be printable ASCII without '\"' or '\\'")
        }
        signer = try Ed25519NoteSigner(name: name, privateKey: privateKey)
    }

    /// Parses a key file's contents.
    public init(fileContents: String) throws {
        signer = try Ed25519NoteSigner(privateKeyString: fileContents)
        guard Envelope.isPlainASCII(signer.name) else {
            throw StatementError(.keyName, "key name '\(signer.name)' must be printable ASCII without '\"' or '\\'")
        }
    }

    /// The key file's contents (one line, with its newline).
    public var fileContents: String { signer.privateKeyString + "\n" }

    /// The key name.
    public var name: String { signer.name }

    /// The public verifier; its verifier-key string is the key's DSSE `keyid`.
    public var verifier: Ed25519NoteVerifier { signer.verifier }

    /// The DSSE `keyid`: the C2SP verifier-key string.
    public var keyID: String { verifier.verifierKey }

    /// The note signer, for checkpoints.
    public var noteSigner: Ed25519NoteSigner { signer }

    /// An Ed25519 signature over `message`.
    public func sign(_ message: [UInt8]) throws -> [UInt8] {
        Array(try signer.privateKey.signature(for: message))
    }
}
