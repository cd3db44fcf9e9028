import EPCIS
import Foundation
import TransparencyLog

/// A DSSE envelope (github.com/secure-systems-lab/dsse, envelope.md): a payload, its type, and
/// signatures over the pre-authentication encoding `PAE(payloadType, payload)`.
///
/// In Threadline a signature's `keyid` is the signer's C2SP verifier-key string
/// (`<name>+<hex id>+<base64(0x01 ‖ Ed25519 public key)>`), so every envelope can be checked on its own;
/// whether that key may sign is the participant registry's question. `Specs/03-statements.md`.
public struct Envelope: Sendable, Equatable {
    /// One signature.
    public struct Signature: Sendable, Equatable, Codable {
        /// The signer's verifier-key string.
        public let keyid: String
        /// The 64-byte Ed25519 signature over the PAE.
        public let sig: [UInt8]

        public init(keyid: String, sig: [UInt8]) {
            self.keyid = keyid
            self.sig = sig
        }

        enum CodingKeys: String, CodingKey { case keyid, sig }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            keyid = try container.decodeIfPresent(String.self, forKey: .keyid) ?? ""
            let text = try container.decode(String.self, forKey: .sig)
            guard let bytes = Envelope.decodeBase64(text) else {
                throw StatementError(.envelopeSig, "a signature's 'sig' is not base64")
            }
            sig = bytes
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(keyid, forKey: .keyid)
            try container.encode(Data(sig).base64EncodedString(), forKey: .sig)
        }
    }

    /// The media type of the payload, e.g. `application/vnd.gs1.epcis+json`.
    public let payloadType: String
    /// The payload bytes.
    public let payload: [UInt8]
    /// The signatures, at least one.
    public let signatures: [Signature]

    /// Creates an envelope, checking the fields' syntax (not the signatures).
    public init(payloadType: String, payload: [UInt8], signatures: [Signature]) throws {
        guard !payloadType.isEmpty, Envelope.isPlainASCII(payloadType) else {
            throw StatementError(
                .envelopePayloadType,
                "payloadType '\(payloadType)' must be non-empty printable ASCII without '\"' or '\\'")
        }
        guard !signatures.isEmpty else { throw StatementError(.envelopeSignatures, "the envelope has no signatures") }
        for signature in signatures where !Envelope.isPlainASCII(signature.keyid) || signature.keyid.isEmpty {
            throw StatementError(
                .envelopeKeyid, "keyid '\(signature.keyid)' must be a verifier key in printable ASCII")
        }
        self.payloadType = payloadType
        self.payload = payload
        self.signatures = signatures
    }

    /// Signs `payload` of type `payloadType` with `key`.
    public init(signing payload: [UInt8], type payloadType: String, with key: SigningKey) throws {
        try self.init(signing: payload, type: payloadType, with: [key])
    }

    /// Signs `payload` of type `payloadType` with every key, in order (co-signers, e.g. a contract
    /// manufacturer and the brand whose GTIN it makes).
    public init(signing payload: [UInt8], type payloadType: String, with keys: [SigningKey]) throws {
        try Envelope.checkType(payloadType)
        let pae = Envelope.pae(type: payloadType, payload: payload)
        try self.init(
            payloadType: payloadType, payload: payload,
            signatures: try keys.map { Signature(keyid: $0.keyID, sig: try $0.sign(pae)) })
    }

    private static func checkType(_ type: String) throws {
        guard !type.isEmpty, isPlainASCII(type) else {
            throw StatementError(
                .envelopePayloadType, "payloadType '\(type)' must be non-empty printable ASCII without '\"' or '\\'")
        }
    }

    static func isPlainASCII(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in bytes.allSatisfy { $0 >= 0x20 && $0 < 0x7f && $0 != 0x22 && $0 != 0x5c } }
    }

    /// The DSSE pre-authentication encoding: `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`.
    public static func pae(type: String, payload: [UInt8]) -> [UInt8] {
        // Written into one buffer of the right size: every signature check builds one.
        var out: [UInt8] = []
        out.reserveCapacity(payload.count + type.utf8.count + 32)
        out += "DSSEv1 ".utf8
        out += String(type.utf8.count).utf8
        out.append(0x20)
        out += type.utf8
        out.append(0x20)
        out += String(payload.count).utf8
        out.append(0x20)
        out += payload
        return out
    }

    /// The outcome of checking every signature: each must name an Ed25519 verifier key and verify.
    public func verifySignatures(
        cache: inout [String: Ed25519NoteVerifier]
    ) -> Result<[Ed25519NoteVerifier], StatementError> {
        let message = Envelope.pae(type: payloadType, payload: payload)
        var signers: [Ed25519NoteVerifier] = []
        for (i, signature) in signatures.enumerated() {
            let verifier: Ed25519NoteVerifier
            if let known = cache[signature.keyid] {
                verifier = known
            } else {
                do { verifier = try Ed25519NoteVerifier(verifierKey: signature.keyid) } catch {
                    return .failure(
                        StatementError(.envelopeKeyid, "signature \(i): keyid is not a verifier key: \(error)"))
                }
                // One key, one keyid: no other spelling (upper-case hex, other base64) of the same key.
                guard verifier.verifierKey == signature.keyid else {
                    return .failure(
                        StatementError(
                            .envelopeKeyid,
                            "signature \(i): keyid is not in canonical form (expected '\(verifier.verifierKey)')"))
                }
                cache[signature.keyid] = verifier
            }
            guard verifier.verify(message: message, signature: signature.sig) else {
                return .failure(
                    StatementError(.envelopeSignature, "signature \(i) by '\(verifier.name)' does not verify"))
            }
            signers.append(verifier)
        }
        return .success(signers)
    }

    /// Checks every signature (see `verifySignatures(cache:)`).
    public func verifySignatures() -> Result<[Ed25519NoteVerifier], StatementError> {
        var cache: [String: Ed25519NoteVerifier] = [:]
        return verifySignatures(cache: &cache)
    }
}

// MARK: - JSON

extension Envelope {
    /// Decodes an envelope from any valid DSSE JSON (whitespace and key order free), as submitted by a client.
    /// It is read by the project's strict JSON parser, as every signed thing is: a member named twice is refused
    /// (a reader that took the first and one that took the last would see two different envelopes), and so is
    /// anything but an object with `payloadType`, `payload` and `signatures` (other members are ignored, as DSSE
    /// readers do).
    public init(json: some Collection<UInt8>) throws {
        try self.init(value: try Envelope.parseJSON(json))
    }

    /// Parses envelope JSON text with the strict parser, saying what is wrong as an envelope error.
    static func parseJSON(_ json: some Collection<UInt8>) throws -> JSONValue {
        do { return try JSONValue(parsing: json) } catch let error as EPCISError {
            throw StatementError(.envelopeJSON, "not a DSSE envelope: \(error.reason)")
        }
    }

    /// Reads an envelope from parsed JSON (`init(json:)`).
    init(value: JSONValue) throws {
        guard value.members != nil else {
            throw StatementError(.envelopeJSON, "not a DSSE envelope: \(value.typeName), not an object")
        }
        func string(_ member: JSONValue?, _ name: String) throws -> String {
            guard let member else {
                throw StatementError(
                    .envelopeJSON, "not a DSSE envelope (payloadType, payload, signatures): missing field '\(name)'")
            }
            guard let text = member.stringValue else {
                throw StatementError(
                    .envelopeJSON, "not a DSSE envelope: '\(name)' is \(member.typeName), not a string")
            }
            return text
        }
        let payloadType = try string(value["payloadType"], "payloadType")
        let payloadText = try string(value["payload"], "payload")
        guard let list = value["signatures"] else {
            throw StatementError(
                .envelopeJSON, "not a DSSE envelope (payloadType, payload, signatures): missing field 'signatures'")
        }
        guard let elements = list.elements else {
            throw StatementError(.envelopeJSON, "not a DSSE envelope: 'signatures' is \(list.typeName), not an array")
        }
        let signatures = try elements.enumerated().map { i, element -> Signature in
            guard element.members != nil else {
                throw StatementError(
                    .envelopeJSON, "not a DSSE envelope: signature \(i) is \(element.typeName), not an object")
            }
            // DSSE makes keyid optional; an absent one is refused below, with the other bad keyids.
            let keyid = try element["keyid"].map { try string($0, "signatures[\(i)].keyid") } ?? ""
            guard let sig = Envelope.decodeBase64(try string(element["sig"], "signatures[\(i)].sig")) else {
                throw StatementError(.envelopeSig, "a signature's 'sig' is not base64")
            }
            return Signature(keyid: keyid, sig: sig)
        }
        guard let payload = Envelope.decodeBase64(payloadText) else {
            throw StatementError(.envelopePayload, "'payload' is not base64")
        }
        try self.init(payloadType: payloadType, payload: payload, signatures: signatures)
    }

    /// Decodes standard or URL-safe base64, padded or not, as DSSE asks verifiers to accept.
    static func decodeBase64(_ text: String) -> [UInt8]? {
        var standard = String(text.map { $0 == "-" ? "+" : $0 == "_" ? "/" : $0 })
        if standard.count % 4 != 0 { standard += String(repeating: "=", count: 4 - standard.count % 4) }
        return Data(base64Encoded: standard).map { Array($0) }
    }

    /// The canonical JSON form stored in ledger records: keys in the order `payloadType`, `payload`,
    /// `signatures` (each `keyid`, `sig`), no whitespace, standard base64 with padding.
    public var canonicalJSON: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(payload.count * 4 / 3 + 200)
        writeCanonicalJSON(into: &out)
        return out
    }

    func writeCanonicalJSON(into out: inout [UInt8]) {
        out += #"{"payloadType":""#.utf8
        out += payloadType.utf8
        out += #"","payload":""#.utf8
        Base64.append(payload, to: &out)
        out += #"","signatures":["#.utf8
        for (i, signature) in signatures.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out += #"{"keyid":""#.utf8
            out += signature.keyid.utf8
            out += #"","sig":""#.utf8
            Base64.append(signature.sig, to: &out)
            out += #""}"#.utf8
        }
        out += "]}".utf8
    }

    /// Parses the canonical JSON form strictly; anything else is refused.
    init(canonical bytes: ArraySlice<UInt8>) throws {
        let (type, payload, signatures) = try bytes.withUnsafeBufferPointer { bytes in
            var reader = CanonicalReader(bytes: bytes)
            try reader.expect(#"{"payloadType":""#)
            let type = try reader.string()
            try reader.expect(#","payload":""#)
            let payload = try reader.base64()
            try reader.expect(#","signatures":["#)
            var signatures: [Signature] = []
            repeat {
                try reader.expect(#"{"keyid":""#)
                let keyid = try reader.string()
                try reader.expect(#","sig":""#)
                let sig = try reader.base64()
                try reader.expect("}")
                signatures.append(Signature(keyid: keyid, sig: sig))
            } while reader.skip(",")
            try reader.expect("]}")
            guard reader.isAtEnd else { throw StatementError(.envelopeCanonical, "bytes after the envelope's end") }
            return (type, payload, signatures)
        }
        try self.init(payloadType: type, payload: payload, signatures: signatures)
    }
}

/// A cursor over canonical envelope bytes; strings there never need escapes.
private struct CanonicalReader {
    let bytes: UnsafeBufferPointer<UInt8>
    var position = 0

    init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    var isAtEnd: Bool { position == bytes.count }

    mutating func expect(_ literal: StaticString) throws {
        guard skip(literal) else {
            throw StatementError(.envelopeCanonical, "expected '\(literal)' in the stored envelope")
        }
    }

    mutating func skip(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard bytes.count - position >= count, memcmp(bytes.baseAddress! + position, literal.utf8Start, count) == 0
        else { return false }
        position += count
        return true
    }

    /// The bytes up to the closing quote, which is consumed.
    private mutating func quoted() throws -> UnsafeBufferPointer<UInt8> {
        let start = bytes.baseAddress! + position
        guard let quote = memchr(start, Int32(UInt8(ascii: "\"")), bytes.count - position) else {
            throw StatementError(.envelopeCanonical, "unterminated string in the stored envelope")
        }
        let count = UnsafeRawPointer(quote) - UnsafeRawPointer(start)
        position += count + 1
        return UnsafeBufferPointer(start: start, count: count)
    }

    /// The characters up to the closing quote, which is consumed.
    mutating func string() throws -> String {
        String(decoding: try quoted(), as: UTF8.self)
    }

    mutating func base64() throws -> [UInt8] {
        guard let decoded = Base64.decodeCanonical(try quoted()) else {
            throw StatementError(.envelopeCanonical, "a stored base64 field is not canonical base64")
        }
        return decoded
    }
}

/// Canonical base64, read straight from bytes.
public enum Base64 {
    /// Decodes canonical base64 (RFC 4648 §4: padded, the pad bits zero), the one spelling of the bytes that
    /// `Data.base64EncodedString()` writes; nil for any other text.
    public static func decodeCanonical(_ text: ArraySlice<UInt8>) -> [UInt8]? {
        text.withUnsafeBufferPointer { decodeCanonical($0) }
    }

    /// `decodeCanonical` of bytes in place.
    static func decodeCanonical(_ text: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard text.count % 4 == 0 else { return nil }
        guard !text.isEmpty else { return [] }
        let padding = text.last == pad ? (text.dropLast().last == pad ? 2 : 1) : 0
        let count = text.count / 4 * 3 - padding
        var valid = true
        let out = [UInt8](unsafeUninitializedCapacity: count) { out, initialized in
            sextets.withUnsafeBufferPointer { sextets in
                // Whole groups of four characters, then the last group, which may be padded.
                var o = 0
                var bad: UInt8 = 0
                var i = 0
                while i < text.count - 4 {
                    let a = sextets[Int(text[i])]
                    let b = sextets[Int(text[i + 1])]
                    let c = sextets[Int(text[i + 2])]
                    let d = sextets[Int(text[i + 3])]
                    bad |= a | b | c | d
                    out[o] = a << 2 | b >> 4
                    out[o + 1] = b << 4 | c >> 2
                    out[o + 2] = c << 6 | d
                    o += 3
                    i += 4
                }
                let a = sextets[Int(text[i])]
                let b = sextets[Int(text[i + 1])]
                let c = padding == 2 ? 0 : sextets[Int(text[i + 2])]
                let d = padding >= 1 ? 0 : sextets[Int(text[i + 3])]
                bad |= a | b | c | d
                // Canonical: the bits the padding leaves over are zero.
                if padding == 2 && b & 0x0F != 0 || padding == 1 && c & 0x03 != 0 { bad |= 0x80 }
                out[o] = a << 2 | b >> 4
                if padding < 2 { out[o + 1] = b << 4 | c >> 2 }
                if padding < 1 { out[o + 2] = c << 6 | d }
                valid = bad & 0x80 == 0
            }
            initialized = count
        }
        return valid ? out : nil
    }

    /// Appends the canonical base64 of `bytes` (RFC 4648 §4, padded) to `out`: the text
    /// `Data.base64EncodedData()` gives, written in place.
    public static func append(_ bytes: [UInt8], to out: inout [UInt8]) {
        let count = (bytes.count + 2) / 3 * 4
        let start = out.count
        out.append(contentsOf: repeatElement(pad, count: count))
        out.withUnsafeMutableBufferPointer { out in
            bytes.withUnsafeBufferPointer { bytes in
                digits.withUnsafeBufferPointer { digits in
                    var o = start
                    var i = 0
                    while i + 3 <= bytes.count {
                        let group = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
                        out[o] = digits[Int(group >> 18)]
                        out[o + 1] = digits[Int(group >> 12 & 0x3F)]
                        out[o + 2] = digits[Int(group >> 6 & 0x3F)]
                        out[o + 3] = digits[Int(group & 0x3F)]
                        o += 4
                        i += 3
                    }
                    // The last one or two bytes, if any: two or three digits, the rest left as padding.
                    let left = bytes.count - i
                    guard left > 0 else { return }
                    let group = UInt32(bytes[i]) << 16 | (left == 2 ? UInt32(bytes[i + 1]) << 8 : 0)
                    out[o] = digits[Int(group >> 18)]
                    out[o + 1] = digits[Int(group >> 12 & 0x3F)]
                    if left == 2 { out[o + 2] = digits[Int(group >> 6 & 0x3F)] }
                }
            }
        }
    }

    private static let pad = UInt8(ascii: "=")

    /// The 64 digits, in order.
    private static let digits = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Each byte's value as a base64 digit; 0x80 for a byte that is not one (`=` included: padding is read
    /// apart, so a `=` anywhere else is refused).
    private static let sextets: [UInt8] = (0...255).map { byte -> UInt8 in
        switch UInt8(byte) {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): UInt8(byte) - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): UInt8(byte) - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt8(byte) - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"): 62
        case UInt8(ascii: "/"): 63
        default: 0x80
        }
    }
}
