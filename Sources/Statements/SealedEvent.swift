import EPCIS
import Foundation
import TransparencyLog

/// An RFC 9901 disclosure (`Specs/23-sealed-events.md` §1): the base64url (no padding) of the UTF-8 JSON array
/// `[salt, name, value]` for an object member, or `[salt, value]` for a list element. Its digest is the
/// base64url of SHA-256 over the encoded text, as received: another serialisation of the same array would be
/// another disclosure.
public struct Disclosure: Sendable, Hashable {
    /// The encoded disclosure, exactly as hashed.
    public let encoded: String
    /// base64url(SHA-256(encoded)): what the sealed event holds in its place.
    public let digest: String
    public let salt: String
    /// The member's name; nil for a list element.
    public let name: String?
    public let value: JSONValue

    /// The names a disclosure may not carry: the mechanism's own (RFC 9901 §4.2.1).
    static let reserved: Set<String> = ["_sd", "..."]

    /// A new disclosure of `value` (as the member `name`, or a list element when nil) with `salt`.
    public init(salt: String, name: String?, value: JSONValue) {
        var parts: [JSONValue] = [.string(salt)]
        if let name { parts.append(.string(name)) }
        parts.append(value)
        self.encoded = Base64URL.encode(Array(JSONValue.array(parts).serialized.utf8))
        self.digest = Disclosure.digest(of: encoded)
        (self.salt, self.name, self.value) = (salt, name, value)
    }

    /// Reads an encoded disclosure: unpadded base64url of a JSON array of a salt string, a member name (not `_sd`
    /// or `...`) and a value, or of a salt and a value.
    public init(parsing encoded: String) throws {
        guard let bytes = Base64URL.decode(encoded) else {
            throw StatementError(.sealedDisclosure, "a disclosure is not unpadded base64url")
        }
        let parts: [JSONValue]
        do {
            guard let array = try JSONValue(parsing: bytes).elements else {
                throw StatementError(.sealedDisclosure, "a disclosure is not a JSON array")
            }
            parts = array
        } catch let error as StatementError {
            throw error
        } catch {
            throw StatementError(.sealedDisclosure, "a disclosure is not JSON: \(error)")
        }
        guard parts.count == 2 || parts.count == 3, let salt = parts[0].stringValue else {
            throw StatementError(.sealedDisclosure, "a disclosure is [salt, name, value] or [salt, value]")
        }
        var name: String?
        if parts.count == 3 {
            guard let text = parts[1].stringValue, !Self.reserved.contains(text) else {
                throw StatementError(.sealedDisclosure, "a disclosure's name must be a string other than _sd and ...")
            }
            name = text
        }
        (self.encoded, self.salt, self.name, self.value) = (encoded, salt, name, parts[parts.count - 1])
        self.digest = Disclosure.digest(of: encoded)
    }

    /// base64url(SHA-256(encoded)).
    static func digest(of encoded: String) -> String { Base64URL.encode(Hash.sha256(Array(encoded.utf8)).bytes) }
}

/// Sealed EPCIS events (`Specs/23-sealed-events.md`): the event with every member, and every element of every
/// list, replaced by the digest of a salted disclosure, as RFC 9901 (SD-JWT) does it; `type` and `@context` stay
/// in clear. Lists and `_sd` arrays are padded with decoy digests to a power of two, so that a sealed event does not
/// tell how many serials or fields it holds.
public enum SealedEvent {
    /// The statement's payload type.
    public static let payloadType = "application/vnd.threadline.sealed-event+json"
    /// The only digest algorithm (`_sd_alg`).
    public static let algorithm = "sha-256"
    /// The event's members left in clear.
    public static let inClear: Set<String> = ["type", "@context"]

    /// A sealed event: its payload (what is signed and logged), the disclosures that open it, and the seeds of
    /// its decoy digests (each digest the base64url of SHA-256 over the seed's 16 bytes).
    public struct Sealed: Sendable {
        public let payload: JSONValue
        public let disclosures: [Disclosure]
        public let decoys: [[UInt8]]
    }

    /// Seals `event` (a JSON object). `random` gives each salt's and decoy seed's 16 bytes (the system's
    /// generator unless a test gives one).
    public static func seal(
        _ event: JSONValue, random: @escaping () -> [UInt8] = { randomBytes(16) }
    ) throws -> Sealed {
        guard let members = event.members else { throw StatementError(.sealedPayload, "an event is a JSON object") }
        var sealer = Sealer(random: random)
        let clear = members.filter { inClear.contains($0.key) }
        let sealed = sealer.object(members.filter { !inClear.contains($0.key) })
        let payload = JSONValue.object(
            clear + (sealed.members ?? []) + [.init("_sd_alg", .string(algorithm))])
        return Sealed(payload: payload, disclosures: sealer.disclosures, decoys: sealer.decoys)
    }

    /// The digest a decoy seed stands for.
    public static func decoyDigest(_ seed: [UInt8]) -> String { Base64URL.encode(Hash.sha256(seed).bytes) }

    /// Opens `payload` with `disclosures` (RFC 9901 §7.1): each digest in an `_sd` array or a `{"...": digest}`
    /// element is replaced by its disclosure's member or element (recursively); a digest with no disclosure —
    /// withheld, or a decoy — leaves nothing. Every disclosure must be used exactly once, no digest may appear
    /// twice, and a disclosed member may not collide with one in clear.
    public static func open(_ payload: JSONValue, disclosures: [Disclosure]) throws -> JSONValue {
        try opened(payload, disclosures: disclosures).event
    }

    /// `open`, with the digests no disclosure matched (withheld fields, or decoys), in the order met.
    static func opened(
        _ payload: JSONValue, disclosures: [Disclosure]
    ) throws -> (event: JSONValue, withheld: [String]) {
        guard let members = payload.members else { throw StatementError(.sealedPayload, "a sealed event is an object") }
        guard members.contains(where: { $0.key == "_sd_alg" && $0.value == .string(algorithm) }) else {
            throw StatementError(.sealedPayload, "a sealed event's _sd_alg must be \"\(algorithm)\"")
        }
        var byDigest: [String: Disclosure] = [:]
        byDigest.reserveCapacity(disclosures.count)
        for disclosure in disclosures {
            guard byDigest.updateValue(disclosure, forKey: disclosure.digest) == nil else {
                throw StatementError(.sealedDisclosure, "a disclosure is given twice")
            }
        }
        var opener = Opener(byDigest: byDigest)
        let opened = try opener.value(.object(members.filter { $0.key != "_sd_alg" }), depth: 0)
        guard opener.used == byDigest.count else {
            throw StatementError(
                .sealedDisclosure, "\(byDigest.count - opener.used) disclosures match no digest of the event")
        }
        return (opened, opener.withheld)
    }

    /// Opens `payload` whole, as the ledger does before it records a sealed event (`Specs/23-sealed-events.md`
    /// §3): every digest, at every level, must be one of `disclosures` or the digest of one of `decoys` — exactly
    /// one, and every decoy seed used — so that the signer has shown all it signed.
    ///
    /// A stored record's opening may have lost disclosures to erasure since: the digests in `erased` are then
    /// accounted for too, and leave nothing.
    public static func openWhole(
        _ payload: JSONValue, disclosures: [Disclosure], decoys: [[UInt8]], erased: Set<String> = []
    ) throws -> JSONValue {
        guard let members = payload.members,
            members.allSatisfy({ inClear.contains($0.key) || $0.key == "_sd" || $0.key == "_sd_alg" }),
            disclosures.allSatisfy({ isSealed($0.value) })
        else {
            throw StatementError(
                .sealedPayload,
                "a sealed event holds nothing in clear but \(inClear.sorted().joined(separator: " and "))")
        }
        // Every digest is a disclosure's (each used exactly once, `opened` checks), or else a decoy or erased.
        let (opened, withheld) = try self.opened(payload, disclosures: disclosures)
        try accountFor(withheld, decoys: decoys, erased: erased)
        return opened
    }

    /// Checks that the digests `withheld` (met, and matched by no disclosure) are exactly the decoys' — each seed's
    /// digest once — and the `erased` ones (§3, §7).
    static func accountFor(_ withheld: [String], decoys: [[UInt8]], erased: Set<String>) throws {
        var decoyDigests: [String: Int] = [:]
        decoyDigests.reserveCapacity(decoys.count)
        for seed in decoys {
            guard seed.count == 16 else { throw StatementError(.sealedDisclosure, "a decoy seed is 16 bytes") }
            decoyDigests[decoyDigest(seed), default: 0] += 1
        }
        for digest in withheld where erased.isEmpty || !erased.contains(digest) {
            guard let left = decoyDigests[digest], left > 0 else {
                throw StatementError(.sealedDisclosure, "the digest \(digest) is neither disclosed nor a decoy")
            }
            decoyDigests[digest] = left - 1
        }
        guard decoyDigests.values.allSatisfy({ $0 == 0 }) else {
            throw StatementError(.sealedDisclosure, "a decoy seed stands for no digest of the event")
        }
    }

    /// Whether `value` shows nothing in clear: a scalar, an object with only `_sd`, or a list of only
    /// `{"...": digest}` elements.
    static func isSealed(_ value: JSONValue) -> Bool {
        if let members = value.members { return members.allSatisfy { $0.key == "_sd" } }
        guard let elements = value.elements else { return true }
        return elements.allSatisfy { element in
            guard let members = element.members else { return false }
            return members.count == 1 && members[0].key == "..."
        }
    }

    /// Every digest in `value`'s `_sd` lists and `{"...": digest}` elements, at any depth.
    static func collectDigests(_ value: JSONValue, into digests: inout [String]) {
        if let members = value.members {
            for member in members {
                if member.key == "_sd" {
                    digests += (member.value.elements ?? []).compactMap(\.stringValue)
                } else {
                    collectDigests(member.value, into: &digests)
                }
            }
        } else if let elements = value.elements {
            for element in elements {
                if let members = element.members, members.count == 1, members[0].key == "...",
                    let digest = members[0].value.stringValue
                {
                    digests.append(digest)
                } else {
                    collectDigests(element, into: &digests)
                }
            }
        }
    }

    /// `count` bytes from the system's secure generator.
    public static func randomBytes(_ count: Int) -> [UInt8] {
        // Eight bytes a draw: the system generator costs a system call each.
        var generator = SystemRandomNumberGenerator()
        var out: [UInt8] = []
        out.reserveCapacity(count + 7)
        while out.count < count { withUnsafeBytes(of: generator.next() as UInt64) { out += $0 } }
        return Array(out.prefix(count))
    }

    /// The smallest power of two at least `count` (1 for none).
    static func padded(_ count: Int) -> Int {
        var size = 1
        while size < count { size <<= 1 }
        return size
    }
}

/// Replaces members and elements by digests, depth first, keeping their disclosures and the decoys' seeds.
private struct Sealer {
    let random: () -> [UInt8]
    var disclosures: [Disclosure] = []
    var decoys: [[UInt8]] = []

    mutating func salt() -> String { Base64URL.encode(random()) }

    mutating func decoy() -> String {
        let seed = random()
        decoys.append(seed)
        return SealedEvent.decoyDigest(seed)
    }

    /// An object whose every member is in `_sd`, sorted, with decoys up to a power of two.
    mutating func object(_ members: [JSONValue.Member]) -> JSONValue {
        var digests: [String] = []
        for member in members {
            let disclosure = Disclosure(salt: salt(), name: member.key, value: value(member.value))
            disclosures.append(disclosure)
            digests.append(disclosure.digest)
        }
        while digests.count < SealedEvent.padded(members.count) { digests.append(decoy()) }
        return .object(digests.isEmpty ? [] : [.init("_sd", .array(digests.sorted().map { .string($0) }))])
    }

    /// A value sealed within: an object's members and a list's elements become digests; a scalar stays.
    mutating func value(_ value: JSONValue) -> JSONValue {
        if let members = value.members { return object(members) }
        guard let elements = value.elements else { return value }
        var items: [String] = []
        for element in elements {
            let disclosure = Disclosure(salt: salt(), name: nil, value: self.value(element))
            disclosures.append(disclosure)
            items.append(disclosure.digest)
        }
        while items.count < SealedEvent.padded(elements.count) { items.append(decoy()) }
        // The order of a list's elements is kept (it may mean something); decoys go at random places.
        var placed = items.prefix(elements.count).map { $0 }
        for decoy in items.dropFirst(elements.count) {
            placed.insert(decoy, at: Int(random()[0]) % (placed.count + 1))
        }
        return .array(placed.map { .object([.init("...", .string($0))]) })
    }
}

/// Puts disclosed members and elements back, checking the rules of RFC 9901 §7.1.
private struct Opener {
    let byDigest: [String: Disclosure]
    /// How many disclosures were used (each at most once: a digest met twice is refused).
    var used = 0
    var seen: Set<String> = []
    /// The digests met that no disclosure matches.
    var withheld: [String] = []

    init(byDigest: [String: Disclosure]) {
        self.byDigest = byDigest
        seen.reserveCapacity(byDigest.count * 2)
    }

    mutating func take(_ digest: String) throws -> Disclosure? {
        guard seen.insert(digest).inserted else {
            throw StatementError(.sealedPayload, "the digest \(digest) appears twice")
        }
        guard let disclosure = byDigest[digest] else {
            withheld.append(digest)
            return nil
        }
        used += 1
        return disclosure
    }

    mutating func value(_ value: JSONValue, depth: Int) throws -> JSONValue {
        guard depth < JSONValue.maximumDepth else { throw StatementError(.sealedPayload, "nesting too deep") }
        if let members = value.members {
            var out: [JSONValue.Member] = []
            for member in members where member.key != "_sd" {
                guard !Disclosure.reserved.contains(member.key), member.key != "_sd_alg" else {
                    throw StatementError(.sealedPayload, "'\(member.key)' is not a member name")
                }
                out.append(.init(member.key, try self.value(member.value, depth: depth + 1)))
            }
            if let sd = members.first(where: { $0.key == "_sd" }) {
                guard let digests = sd.value.elements else {
                    throw StatementError(.sealedPayload, "_sd is a list of digests")
                }
                for entry in digests {
                    guard let digest = entry.stringValue else {
                        throw StatementError(.sealedPayload, "_sd is a list of digests")
                    }
                    guard let disclosure = try take(digest) else { continue }
                    guard let name = disclosure.name else {
                        throw StatementError(.sealedDisclosure, "a list element's disclosure is named in _sd")
                    }
                    guard !out.contains(where: { $0.key == name }) else {
                        throw StatementError(.sealedDisclosure, "the member '\(name)' is given twice")
                    }
                    out.append(.init(name, try self.value(disclosure.value, depth: depth + 1)))
                }
            }
            return .object(out)
        }
        guard let elements = value.elements else { return value }
        var out: [JSONValue] = []
        for element in elements {
            if let members = element.members, members.count == 1, members[0].key == "..." {
                guard let digest = members[0].value.stringValue else {
                    throw StatementError(.sealedPayload, "a list element's digest is a string")
                }
                guard let disclosure = try take(digest) else { continue }
                guard disclosure.name == nil else {
                    throw StatementError(.sealedDisclosure, "a member's disclosure stands for a list element")
                }
                out.append(try self.value(disclosure.value, depth: depth + 1))
            } else {
                out.append(try self.value(element, depth: depth + 1))
            }
        }
        return .array(out)
    }
}

/// RFC 4648 §5 base64url without padding.
public enum Base64URL {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// Whether `byte` is one of the alphabet's 64 characters.
    static func isAlphabet(_ byte: UInt8) -> Bool { sextets[Int(byte)] != 0xFF }

    public static func encode(_ bytes: [UInt8]) -> String {
        String(unsafeUninitializedCapacity: (bytes.count * 4 + 2) / 3) { out in
            var at = 0
            func put(_ sextet: UInt32) {
                out[at] = alphabet[Int(sextet & 63)]
                at += 1
            }
            var index = 0
            while index + 3 <= bytes.count {
                let word = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
                put(word >> 18)
                put(word >> 12)
                put(word >> 6)
                put(word)
                index += 3
            }
            let left = bytes.count - index
            if left > 0 {
                let word = UInt32(bytes[index]) << 16 | (left == 2 ? UInt32(bytes[index + 1]) << 8 : 0)
                put(word >> 18)
                put(word >> 12)
                if left == 2 { put(word >> 6) }
            }
            return at
        }
    }

    /// Each byte's sextet in the alphabet, or 0xFF for a byte that is not in it.
    static let sextets: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (value, byte) in alphabet.enumerated() { table[Int(byte)] = UInt8(value) }
        return table
    }()

    /// The bytes of unpadded base64url text; nil for any other text (padding, `+`, `/`, whitespace), and for text
    /// that is not canonical (the unused bits of the last character not zero).
    public static func decode(_ text: String) -> [UInt8]? {
        var text = text
        return text.withUTF8 { utf8 -> [UInt8]? in
            var written: Int?
            let bytes = [UInt8](unsafeUninitializedCapacity: utf8.count * 3 / 4) { out, count in
                written = decode(utf8, into: UnsafeMutableRawBufferPointer(out))
                count = written ?? 0
            }
            return written == nil ? nil : bytes
        }
    }
}
