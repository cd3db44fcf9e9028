import Foundation

/// A C2SP signed-note: a text ending in a newline, a blank line, and one or more signature lines
/// `— <name> base64(keyID ‖ signature)`.
public struct SignedNote: Sendable, Equatable {
    /// One signature line.
    public struct Signature: Sendable, Equatable {
        /// The key name.
        public let name: String
        /// The 32-bit key ID (the first four signature bytes, big-endian).
        public let keyID: UInt32
        /// The signature bytes after the key ID.
        public let signature: [UInt8]

        public init(name: String, keyID: UInt32, signature: [UInt8]) {
            self.name = name
            self.keyID = keyID
            self.signature = signature
        }

        /// The line as it appears in a note, with its final newline.
        public var line: String {
            "\u{2014} \(name) " + Data(NoteKey.keyIDBytes(keyID) + signature).base64EncodedString() + "\n"
        }
    }

    /// The most signature lines a note may carry (signed-note asks for at least 16).
    public static let maxSignatures = 100

    /// The signed text, including its final newline.
    public let text: String
    /// The signature lines, in order.
    public private(set) var signatures: [Signature]

    /// Creates a note from its text and signatures.
    public init(text: String, signatures: [Signature]) throws {
        try SignedNote.checkText(text)
        self.text = text
        self.signatures = signatures
    }

    /// The note in its wire form: text, blank line, signature lines.
    public var encoded: String {
        text + "\n" + signatures.map(\.line).joined()
    }

    /// Adds a signature line, keeping the others (a cosignature, say).
    public mutating func add(_ signature: Signature) {
        signatures.append(signature)
    }

    /// Parses a note (C2SP signed-note §Format). The text is everything up to the last blank line.
    public init(parsing encoded: String) throws {
        guard encoded.utf8.allSatisfy({ $0 >= 0x20 || $0 == 0x0A }) else {
            throw LogError(.noteControl, "the note contains a control character other than newline")
        }
        guard encoded.hasSuffix("\n") else {
            throw LogError(.noteNewline, "the note does not end with a newline")
        }
        guard let split = encoded.range(of: "\n\n", options: .backwards) else {
            throw LogError(.noteBlank, "the note has no blank line before its signatures")
        }
        let text = String(encoded[..<split.lowerBound]) + "\n"
        let block = encoded[split.upperBound...]
        var signatures: [Signature] = []
        for line in block.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            signatures.append(try SignedNote.parseSignature(line))
            guard signatures.count <= SignedNote.maxSignatures else {
                throw LogError(.noteSignatures, "the note has more than \(SignedNote.maxSignatures) signatures")
            }
        }
        guard !signatures.isEmpty else {
            throw LogError(.noteSignatures, "the note has no signature lines")
        }
        try self.init(text: text, signatures: signatures)
    }

    private static func parseSignature(_ line: Substring) throws -> Signature {
        let dash = "\u{2014} "
        guard line.hasPrefix(dash) else {
            throw LogError(.noteSignature, "signature line '\(line)' does not start with '\u{2014} '")
        }
        let fields = line.dropFirst(dash.count).split(separator: " ", omittingEmptySubsequences: false)
        guard fields.count == 2, NoteKey.isValidName(fields[0]) else {
            throw LogError(.noteSignature, "signature line '\(line)' is not '\u{2014} <name> <base64>'")
        }
        guard let raw = Data(base64Encoded: String(fields[1])), raw.count > 4 else {
            throw LogError(.noteSignatureBase64, "signature line '\(line)' has bad base64")
        }
        let bytes = [UInt8](raw)
        return Signature(name: String(fields[0]), keyID: NoteKey.keyID(from: bytes), signature: Array(bytes[4...]))
    }

    private static func checkText(_ text: String) throws {
        guard !text.isEmpty, text.hasSuffix("\n") else {
            throw LogError(.noteText, "the note text is empty or does not end with a newline")
        }
        guard text.utf8.allSatisfy({ $0 >= 0x20 || $0 == 0x0A }) else {
            throw LogError(.noteControl, "the note text contains a control character other than newline")
        }
    }

    /// Which known keys signed this note. Signatures whose (name, key ID) match no verifier are ignored;
    /// a signature from a known key that does not verify rejects the whole note (signed-note §Signatures).
    public func verify(_ verifiers: [any NoteVerifier]) -> NoteVerification {
        let message = Array(text.utf8)
        var verified: [String] = []
        for signature in signatures {
            guard let verifier = verifiers.first(where: { $0.name == signature.name && $0.keyID == signature.keyID })
            else { continue }
            guard verifier.verify(message: message, signature: signature.signature) else {
                return .invalid("the signature by '\(signature.name)' does not verify")
            }
            if !verified.contains(signature.name) { verified.append(signature.name) }
        }
        return verified.isEmpty ? .invalid("no signature by a known key") : .verified(verified)
    }
}

/// The outcome of checking a note's signatures: a value, not a crash.
public enum NoteVerification: Sendable, Equatable {
    /// Signed by these known keys (names, in signature order).
    case verified([String])
    /// Not acceptable, and why.
    case invalid(String)

    /// Whether at least one known key signed and none failed.
    public var isValid: Bool {
        if case .verified = self { return true }
        return false
    }
}
