import Crypto
import Foundation

/// Something that can check one kind of note signature: a (name, key ID) pair and a public key.
public protocol NoteVerifier: Sendable {
    /// The key name, as it appears in signature lines.
    var name: String { get }
    /// The 32-bit key ID, as it appears at the start of signature bytes.
    var keyID: UInt32 { get }
    /// Whether `signature` (the bytes after the key ID) is valid over `message` (the note text).
    func verify(message: [UInt8], signature: [UInt8]) -> Bool
}

/// Key names, key IDs and verifier-key strings (C2SP signed-note §Signatures, §Verifier keys).
public enum NoteKey {
    /// Signature type `0x01`: Ed25519 over the note text.
    public static let ed25519: UInt8 = 0x01
    /// Signature type `0x04`: timestamped Ed25519 cosignatures (C2SP tlog-cosignature).
    public static let cosignatureV1: UInt8 = 0x04

    /// Key names are non-empty and contain no Unicode spaces and no `+`.
    public static func isValidName(_ name: some StringProtocol) -> Bool {
        !name.isEmpty && !name.unicodeScalars.contains { $0 == "+" || $0.properties.isWhitespace }
    }

    /// `SHA-256(name ‖ 0x0A ‖ type ‖ publicKey)[:4]` as a big-endian integer.
    public static func keyID(name: String, type: UInt8, publicKey: [UInt8]) -> UInt32 {
        let digest = SHA256.hash(data: Array(name.utf8) + [0x0A, type] + publicKey)
        return keyID(from: Array(digest))
    }

    static func checked(name: String) throws -> String {
        guard isValidName(name) else { throw LogError(.vkeyName, "'\(name)' is not a valid key name") }
        return name
    }

    static func ed25519(name: String, publicKey: [UInt8]) throws -> Curve25519.Signing.PublicKey {
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey) else {
            throw LogError(.vkeyKey, "key '\(name)' is not a 32-byte Ed25519 public key")
        }
        return key
    }

    static func keyID(from bytes: [UInt8]) -> UInt32 {
        bytes.prefix(4).reduce(0) { $0 << 8 | UInt32($1) }
    }

    static func keyIDBytes(_ id: UInt32) -> [UInt8] {
        [UInt8(id >> 24), UInt8(id >> 16 & 0xff), UInt8(id >> 8 & 0xff), UInt8(id & 0xff)]
    }

    /// The verifier-key string `<name>+<hex key ID>+<base64(type ‖ public key)>`.
    public static func verifierKey(name: String, type: UInt8, publicKey: [UInt8]) -> String {
        let id = keyID(name: name, type: type, publicKey: publicKey)
        return "\(name)+\(String(format: "%08x", id))+" + Data([type] + publicKey).base64EncodedString()
    }

    /// Parses a verifier-key string into a verifier for its signature type (`0x01` or `0x04`).
    public static func verifier(parsing vkey: String) throws -> any NoteVerifier {
        let (name, type, key) = try parse(vkey)
        switch type {
        case ed25519: return try Ed25519NoteVerifier(name: name, publicKey: key)
        case cosignatureV1: return try CosignatureVerifier(name: name, publicKey: key)
        default:
            throw LogError(.vkeyType, "verifier key '\(name)' has unsupported signature type \(type)")
        }
    }

    /// Splits a verifier-key string and checks its key ID; returns (name, type, public key).
    static func parse(_ vkey: String) throws -> (String, UInt8, [UInt8]) {
        // Base64 may itself contain '+': only the first two separate fields.
        let parts = vkey.split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, isValidName(parts[0]) else {
            throw LogError(.vkeySyntax, "'\(vkey)' is not a verifier key (<name>+<hex id>+<base64 key>)")
        }
        guard parts[1].count == 8, let id = UInt32(parts[1], radix: 16) else {
            throw LogError(.vkeyID, "verifier key '\(parts[0])' has a bad key ID '\(parts[1])'")
        }
        guard let raw = Data(base64Encoded: String(parts[2])), raw.count > 1 else {
            throw LogError(.vkeyBase64, "verifier key '\(parts[0])' has bad base64 key material")
        }
        let bytes = [UInt8](raw)
        let name = String(parts[0])
        guard keyID(name: name, type: bytes[0], publicKey: Array(bytes[1...])) == id else {
            throw LogError(.vkeyID, "verifier key '\(name)' has a key ID that does not match its key")
        }
        return (name, bytes[0], Array(bytes[1...]))
    }
}

/// An Ed25519 note verifier (signature type `0x01`).
public struct Ed25519NoteVerifier: NoteVerifier, Equatable {
    public let name: String
    public let keyID: UInt32
    /// The 32-byte public key.
    public let publicKey: [UInt8]
    private let key: Curve25519.Signing.PublicKey

    /// A verifier for `publicKey` (32 bytes) under `name`.
    public init(name: String, publicKey: [UInt8]) throws {
        self.name = try NoteKey.checked(name: name)
        self.publicKey = publicKey
        self.key = try NoteKey.ed25519(name: name, publicKey: publicKey)
        self.keyID = NoteKey.keyID(name: name, type: NoteKey.ed25519, publicKey: publicKey)
    }

    /// Parses a `0x01` verifier-key string.
    public init(verifierKey: String) throws {
        let (name, type, key) = try NoteKey.parse(verifierKey)
        guard type == NoteKey.ed25519 else {
            throw LogError(.vkeyType, "verifier key '\(name)' is not an Ed25519 note key (type 0x01)")
        }
        try self.init(name: name, publicKey: key)
    }

    /// The verifier-key string.
    public var verifierKey: String { NoteKey.verifierKey(name: name, type: NoteKey.ed25519, publicKey: publicKey) }

    public func verify(message: [UInt8], signature: [UInt8]) -> Bool {
        key.isValidSignature(signature, for: message)
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.name == rhs.name && lhs.publicKey == rhs.publicKey }
}

/// An Ed25519 note signer (signature type `0x01`).
public struct Ed25519NoteSigner: Sendable {
    /// The key name.
    public let name: String
    /// The private key.
    public let privateKey: Curve25519.Signing.PrivateKey

    /// A signer for `privateKey` under `name`.
    public init(name: String, privateKey: Curve25519.Signing.PrivateKey) throws {
        self.name = try NoteKey.checked(name: name)
        self.privateKey = privateKey
    }

    /// The matching verifier.
    public var verifier: Ed25519NoteVerifier {
        // The name was validated and the key is a valid Ed25519 key, so this cannot fail.
        try! Ed25519NoteVerifier(name: name, publicKey: Array(privateKey.publicKey.rawRepresentation))
    }

    /// Signs `text` (which must end with a newline) and returns the signature line's content.
    public func sign(_ text: String) throws -> SignedNote.Signature {
        let signature = try privateKey.signature(for: Array(text.utf8))
        return SignedNote.Signature(name: name, keyID: verifier.keyID, signature: Array(signature))
    }

    /// The signer-key string `PRIVATE+KEY+<name>+<hex id>+<base64(0x01 ‖ seed)>`, as in Go's
    /// golang.org/x/mod/sumdb/note; `Specs/02-transparency-log.md` §Keys.
    public var privateKeyString: String {
        "PRIVATE+KEY+\(name)+\(String(format: "%08x", verifier.keyID))+"
            + Data([NoteKey.ed25519] + privateKey.rawRepresentation).base64EncodedString()
    }

    /// Parses a signer-key string.
    public init(privateKeyString text: String) throws {
        // Base64 may itself contain '+': only the first four separate fields.
        let parts = text.trimmingCharacters(in: .whitespacesAndNewlines)
            .split(separator: "+", maxSplits: 4, omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0] == "PRIVATE", parts[1] == "KEY" else {
            throw LogError(.keySyntax, "not a private key (PRIVATE+KEY+<name>+<hex id>+<base64 key>)")
        }
        guard let raw = Data(base64Encoded: String(parts[4])), raw.count == 33, raw.first == NoteKey.ed25519,
            let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw.dropFirst())
        else { throw LogError(.keyMaterial, "the private key's material is not a 0x01 Ed25519 seed") }
        try self.init(name: String(parts[2]), privateKey: key)
        guard String(format: "%08x", verifier.keyID) == parts[3] else {
            throw LogError(.keyID, "the private key's ID does not match its key")
        }
    }
}

/// A C2SP tlog-cosignature/v1 verifier (signature type `0x04`).
public struct CosignatureVerifier: NoteVerifier, Equatable {
    public let name: String
    public let keyID: UInt32
    /// The 32-byte Ed25519 public key.
    public let publicKey: [UInt8]
    private let key: Curve25519.Signing.PublicKey

    /// A verifier for `publicKey` (32 bytes) under `name`.
    public init(name: String, publicKey: [UInt8]) throws {
        self.name = try NoteKey.checked(name: name)
        self.publicKey = publicKey
        self.key = try NoteKey.ed25519(name: name, publicKey: publicKey)
        self.keyID = NoteKey.keyID(name: name, type: NoteKey.cosignatureV1, publicKey: publicKey)
    }

    /// The verifier-key string.
    public var verifierKey: String {
        NoteKey.verifierKey(name: name, type: NoteKey.cosignatureV1, publicKey: publicKey)
    }

    /// The message a cosignature signs: `cosignature/v1\ntime <t>\n` followed by the checkpoint text.
    public static func message(checkpointText: String, timestamp: UInt64) -> [UInt8] {
        Array("cosignature/v1\ntime \(timestamp)\n\(checkpointText)".utf8)
    }

    /// The timestamp a cosignature carries (its first 8 bytes, big-endian), if well formed.
    public static func timestamp(of signature: [UInt8]) -> UInt64? {
        guard signature.count == 72 else { return nil }
        let time = signature.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return time <= UInt64(Int64.max) ? time : nil
    }

    public func verify(message: [UInt8], signature: [UInt8]) -> Bool {
        guard let time = CosignatureVerifier.timestamp(of: signature) else { return false }
        let text = String(decoding: message, as: UTF8.self)
        return key.isValidSignature(
            signature[8...], for: CosignatureVerifier.message(checkpointText: text, timestamp: time))
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.name == rhs.name && lhs.publicKey == rhs.publicKey }
}

/// A C2SP tlog-cosignature/v1 signer: a witness's key.
public struct Cosigner: Sendable {
    /// The cosigner name.
    public let name: String
    /// The private key.
    public let privateKey: Curve25519.Signing.PrivateKey

    /// A cosigner for `privateKey` under `name`.
    public init(name: String, privateKey: Curve25519.Signing.PrivateKey) throws {
        self.name = try NoteKey.checked(name: name)
        self.privateKey = privateKey
    }

    /// The matching verifier.
    public var verifier: CosignatureVerifier {
        // The name was validated and the key is a valid Ed25519 key, so this cannot fail.
        try! CosignatureVerifier(name: name, publicKey: Array(privateKey.publicKey.rawRepresentation))
    }

    /// Cosigns a checkpoint's note text at `timestamp` (POSIX seconds).
    public func cosign(checkpointText: String, timestamp: UInt64) throws -> SignedNote.Signature {
        let message = CosignatureVerifier.message(checkpointText: checkpointText, timestamp: timestamp)
        let signature = try privateKey.signature(for: message)
        let time = (0..<8).reversed().map { UInt8(timestamp >> (8 * UInt64($0)) & 0xff) }
        return SignedNote.Signature(name: name, keyID: verifier.keyID, signature: time + Array(signature))
    }
}
