import Crypto
import CryptoExtras
import EPCIS
import Foundation
import GS1Identifiers
import TransparencyLog

/// The "one item, one code" check against copied labels (`Specs/24-products.md` §7): a code printed under a scratch
/// panel or inside the packaging of one serial, of which the brand commits a salted, slow hash when it commissions
/// the serial. The first correct entry of the code on the product's page is recorded as a first verification; a
/// copied label is exposed when a second buyer checks.
public enum HiddenCode {
    /// The alphabet of codes: Crockford's base32 (no I, L, O, U), 5 bits a character.
    public static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)
    /// Characters of a code the CLI draws: 10, 50 bits.
    public static let drawnLength = 10
    /// The fewest characters a code may have: 8, 40 bits.
    public static let minimumLength = 8
    /// The most characters a code may have.
    public static let maximumLength = 32

    /// A code as entered, normalised: upper case, spaces and hyphens dropped, `I`/`L` read as `1` and `O` as `0`
    /// (Crockford); nil when it is not 8 to 32 characters of the alphabet.
    public static func normalized(_ entered: String) -> String? {
        guard entered.utf8.count <= 4 * maximumLength else { return nil }
        var out: [UInt8] = []
        for byte in entered.uppercased().utf8 {
            switch byte {
            case 0x20, 0x2D: continue
            case 0x49, 0x4C: out.append(0x31)
            case 0x4F: out.append(0x30)
            default:
                guard alphabet.contains(byte) else { return nil }
                out.append(byte)
            }
        }
        guard (minimumLength...maximumLength).contains(out.count) else { return nil }
        return String(decoding: out, as: UTF8.self)
    }

    /// A new code of `drawnLength` characters from the system's random source, grouped for printing (`XXXXX-XXXXX`).
    public static func draw() -> String {
        var generator = SystemRandomNumberGenerator()
        let characters = (0..<drawnLength).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] }
        let text = String(decoding: characters, as: UTF8.self)
        return text.prefix(5) + "-" + text.dropFirst(5)
    }

    /// The scrypt parameters of every commitment: N = 2^14, r = 8, p = 1 (16 MiB, tens of milliseconds a try), so
    /// that the 2^40 codes of the shortest one cost centuries to try offline.
    public static let rounds = 16_384
    public static let blockSize = 8
    public static let parallelism = 1

    /// The hash a commitment holds: scrypt of `threadline hidden code` ‖ 0x0A ‖ the product's canonical Digital
    /// Link ‖ 0x0A ‖ the normalised code, with `salt`, 32 bytes — bound to its product, so that one serial's
    /// commitment says nothing of another's.
    public static func hash(code: String, product: String, salt: [UInt8]) throws -> [UInt8] {
        let input = Array("threadline hidden code\n\(product)\n\(code)".utf8)
        let key = try KDF.Scrypt.deriveKey(
            from: input, salt: salt, outputByteCount: 32, rounds: rounds, blockSize: blockSize,
            parallelism: parallelism)
        return key.withUnsafeBytes { Array($0) }
    }
}

/// A brand's commitment to the hidden code of one serial (`Specs/24-products.md` §7), signed by the owner of its
/// GTIN's company prefix. One a serial: a second is a duplicate (10 §2).
public struct CodeCommitment: Sendable, Equatable {
    public static let payloadType = "application/vnd.threadline.code-commitment+json"

    /// The serial's canonical Digital Link (`https://id.gs1.org/01/<gtin>/21/<serial>`).
    public let product: String
    /// 16 random bytes.
    public let salt: [UInt8]
    /// `HiddenCode.hash` of the code.
    public let hash: [UInt8]

    /// A commitment to `code` (normalised) for `product`, with a new random salt.
    public init(code: String, product: String) throws {
        let salt = (0..<16).map { _ in UInt8.random(in: 0...255) }
        try self.init(product: product, salt: salt, hash: try HiddenCode.hash(code: code, product: product, salt: salt))
    }

    public init(product: String, salt: [UInt8], hash: [UInt8]) throws {
        let canonical: String
        do { canonical = try DigitalLink.canonical(asking: product) } catch let error as GS1Error {
            throw StatementError(.commitmentJSON, "the committed product: \(error.reason)")
        }
        guard canonical == product, DigitalLink.gtin(inCanonical: product) != nil, product.contains("/21/"),
            !product.contains("?")
        else {
            throw StatementError(
                .commitmentJSON, "a commitment names one serial as a canonical Digital Link (…/01/<gtin>/21/<serial>)")
        }
        guard salt.count == 16, hash.count == 32 else {
            throw StatementError(.commitmentJSON, "a commitment's salt is 16 bytes and its hash 32, in base64url")
        }
        (self.product, self.salt, self.hash) = (product, salt, hash)
    }

    /// Reads a commitment's payload: `{"product", "salt", "hash", "kdf"}` exactly as `payload` writes it.
    public init(payload: [UInt8]) throws {
        let json: JSONValue
        do { json = try JSONValue(parsing: payload) } catch let error as EPCISError {
            throw StatementError(.commitmentJSON, "the commitment is not JSON: \(error.reason)")
        }
        guard let product = json["product"]?.stringValue,
            let salt = json["salt"]?.stringValue.flatMap(Base64URL.decode),
            let hash = json["hash"]?.stringValue.flatMap(Base64URL.decode)
        else {
            throw StatementError(
                .commitmentJSON, "a commitment is {\"product\", \"salt\", \"hash\", \"kdf\"}, the bytes in base64url")
        }
        try self.init(product: product, salt: salt, hash: hash)
        guard self.payload == payload else {
            throw StatementError(
                .commitmentJSON,
                "a commitment is in its canonical form (24 §7), with the scrypt parameters of this ledger")
        }
    }

    /// The payload: compact, these members in this order, the scrypt parameters named.
    public var payload: [UInt8] {
        Array(
            JSONValue.object([
                .init("product", .string(product)), .init("salt", .string(Base64URL.encode(salt))),
                .init("hash", .string(Base64URL.encode(hash))), .init("kdf", Self.kdf),
            ]).serialized.utf8)
    }

    static let kdf = JSONValue.object([
        .init("name", .string("scrypt")), .init("N", .number(String(HiddenCode.rounds))),
        .init("r", .number(String(HiddenCode.blockSize))), .init("p", .number(String(HiddenCode.parallelism))),
    ])

    /// The 14-digit GTIN of the committed serial.
    public var gtin: String { DigitalLink.gtin(inCanonical: product) ?? "" }

    /// Whether `entered` is the committed code (normalised first; compared in constant time).
    public func matches(_ entered: String) -> Bool {
        guard let code = HiddenCode.normalized(entered),
            let computed = try? HiddenCode.hash(code: code, product: product, salt: salt)
        else { return false }
        return zip(computed, hash).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0 && computed.count == hash.count
    }
}

/// The operator's record that a serial's hidden code was entered correctly (`Specs/24-products.md` §7): the serial,
/// which correct entry this is and the time only — no personal data, no address, no place. Number 1 is the
/// serial's first verification.
public struct CodeVerification: Sendable, Equatable {
    public static let payloadType = "application/vnd.threadline.code-verification+json"

    /// The serial's canonical Digital Link.
    public let product: String
    /// Which correct entry of the serial's code this is: 1, 2, …
    public let number: Int
    /// When, in milliseconds since the epoch (UTC).
    public let millis: Int64

    public init(product: String, number: Int, millis: Int64) throws {
        guard (1...1_000_000_000).contains(number) else {
            throw StatementError(.verificationJSON, "a verification's number is 1 or more")
        }
        guard (try? DigitalLink.canonical(asking: product)) == product, product.contains("/21/") else {
            throw StatementError(.verificationJSON, "a verification names one serial as a canonical Digital Link")
        }
        guard Timestamp.millisRange.contains(millis) else {
            throw StatementError(.verificationJSON, "a verification's time is within years 0000–9999")
        }
        (self.product, self.number, self.millis) = (product, number, millis)
    }

    /// Reads a verification's payload: `{"product", "number", "verifiedAt"}` exactly as `payload` writes it.
    public init(payload: [UInt8]) throws {
        let json: JSONValue
        do { json = try JSONValue(parsing: payload) } catch let error as EPCISError {
            throw StatementError(.verificationJSON, "the verification is not JSON: \(error.reason)")
        }
        guard let product = json["product"]?.stringValue, case .number(let numberText)? = json["number"],
            let number = Int(numberText), let text = json["verifiedAt"]?.stringValue,
            let millis = Timestamp.parse(millis: text)
        else {
            throw StatementError(.verificationJSON, "a verification is {\"product\", \"number\", \"verifiedAt\"}")
        }
        try self.init(product: product, number: number, millis: millis)
        guard self.payload == payload else {
            throw StatementError(.verificationJSON, "a verification is in its canonical form (24 §7)")
        }
    }

    /// The payload: `{"product": …, "number": n, "verifiedAt": "YYYY-MM-DDThh:mm:ss.sssZ"}`, compact.
    public var payload: [UInt8] {
        Array(
            JSONValue.object([
                .init("product", .string(product)), .init("number", .number(String(number))),
                .init("verifiedAt", .string(Timestamp.format(millis: millis))),
            ]).serialized.utf8)
    }
}
