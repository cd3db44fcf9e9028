import EPCIS
import Foundation
import GS1Identifiers
import TransparencyLog

/// What a statement says, as far as the ledger's rules and indexes are concerned (`Specs/10-recording.md`).
public enum Statement: Sendable {
    /// An EPCIS 2.0 event, with its CBV 2.0 event hash (which makes a repeated event a duplicate). Held in a box:
    /// a statement is copied from check to admission to write, and a copy of an event held inline retains each
    /// of its many strings and arrays.
    indirect case event(EPCISEvent, hash: String)
    /// A change to the participant registry, with its statement digest.
    case registry(RegistryStatement, digest: Hash)
    /// An RFC 3161 time-stamp token over a checkpoint, recorded by the operator (`Specs/16-anchors.md`), with its
    /// statement digest.
    case anchor(checkpoint: String, token: [UInt8], digest: Hash)
    /// The erasure of a sealed record's disclosures, recorded by the operator (`Specs/23-sealed-events.md` §7),
    /// with its statement digest.
    case erasure(Erasure, digest: Hash)
    /// What a brand says of one of its products (`Specs/24-products.md`), with its statement digest.
    case product(ProductData, digest: Hash)
    /// A brand's commitment to a serial's hidden code (`Specs/24-products.md` §7), with its statement digest.
    case commitment(CodeCommitment, digest: Hash)
    /// The operator's record that a serial's hidden code was entered correctly (24 §7), with its statement digest.
    case verification(CodeVerification, digest: Hash)
    /// Any other payload type: kept, proved and audited, found only by its statement digest, and not checked
    /// against the registry.
    case opaque(digest: Hash)

    /// The statement digest: SHA-256 of the DSSE pre-authentication encoding, what every signer signed
    /// (`Specs/10-recording.md` §2). Two statements with the same digest are the same statement, however their
    /// signatures differ, so the second is a replay.
    public static func digest(payloadType: String, payload: [UInt8]) -> Hash {
        Hash.sha256(Envelope.pae(type: payloadType, payload: payload))
    }

    /// The DSSE payload type of an EPCIS event statement: one event object, with its `@context`.
    public static let eventPayloadType = "application/vnd.threadline.epcis-event+json"
    /// The DSSE payload type of a time anchor: `{"checkpoint": <note text>, "token": <base64 DER>}`.
    public static let anchorPayloadType = "application/vnd.threadline.anchor+json"

    /// Reads the EPCIS event an event statement's payload carries, without computing its hash (readers that only
    /// show events skip that cost; `EPCISEvent.hash()` gives it when wanted).
    public static func event(payload: [UInt8]) throws -> EPCISEvent {
        let json: JSONValue
        do { json = try JSONValue(parsing: payload) } catch let error as EPCISError {
            throw StatementError(.eventJSON, "the event is not JSON: \(error.reason)")
        }
        do {
            return try EPCISEvent(json: json, context: JSONLDContext(json["@context"]), path: "event")
        } catch let error as EPCISValidationError {
            throw StatementError(.eventInvalid, "the event is not valid EPCIS 2.0: \(error)")
        }
    }

    /// Reads the EPCIS event a sealed event statement's payload holds, opened whole with `opening`
    /// (`Specs/23-sealed-events.md` §3): every digest disclosed, a decoy or erased, nothing in clear but the type
    /// and context, and the event then valid EPCIS 2.0 (`sealed.erased` when it is not, for want of an erased
    /// field).
    public static func sealedEvent(payload: [UInt8], opening: Opening) throws -> EPCISEvent {
        let json = try openedSealedEvent(payload: payload, opening: opening)
        do {
            return try EPCISEvent(json: json, context: JSONLDContext(json["@context"]), path: "event")
        } catch let error as EPCISValidationError {
            guard opening.erased.isEmpty else {
                throw StatementError(.sealedErased, "with its erased fields, the event is no longer whole: \(error)")
            }
            throw StatementError(.eventInvalid, "the sealed event is not valid EPCIS 2.0: \(error)")
        }
    }

    /// The JSON of the EPCIS event a sealed event statement's payload holds, opened whole with `opening`
    /// (`Specs/23-sealed-events.md` §3), not yet read as an event.
    public static func openedSealedEvent(payload: [UInt8], opening: Opening) throws -> JSONValue {
        let sealed: JSONValue
        do { sealed = try JSONValue(parsing: payload) } catch let error as EPCISError {
            throw StatementError(.sealedPayload, "the sealed event is not JSON: \(error.reason)")
        }
        return try SealedEvent.openWhole(
            sealed, disclosures: opening.disclosures, decoys: opening.decoys, erased: Set(opening.erased.map(\.digest)))
    }

    /// Reads what `disclosures` reveal of a sealed event statement's payload (`Specs/23-sealed-events.md` §4): each
    /// disclosure must match a digest of the signed payload, and the fields they make must be valid EPCIS 2.0 as
    /// far as they go (`EPCISEvent(disclosed:)`): the times, the zone and the action at least.
    public static func disclosedEvent(payload: [UInt8], disclosures: [Disclosure]) throws -> EPCISEvent {
        let sealed: JSONValue
        do { sealed = try JSONValue(parsing: payload) } catch let error as EPCISError {
            throw StatementError(.sealedPayload, "the sealed event is not JSON: \(error.reason)")
        }
        let json = try SealedEvent.open(sealed, disclosures: disclosures)
        do {
            return try EPCISEvent(disclosed: json, context: JSONLDContext(json["@context"]), path: "event")
        } catch let error as EPCISValidationError {
            throw StatementError(.eventInvalid, "the disclosed fields are not a valid part of an EPCIS event: \(error)")
        }
    }

    /// Reads the statement a payload of `payloadType` carries; a sealed event's needs its `opening`. Errors say
    /// why an event or registry statement is invalid.
    public init(payloadType: String, payload: [UInt8], opening: Opening? = nil) throws {
        switch payloadType {
        case Statement.eventPayloadType:
            let event = try Statement.event(payload: payload)
            self = .event(event, hash: event.hash())
        case SealedEvent.payloadType:
            guard let opening else {
                throw StatementError(
                    .sealedDisclosure, "a sealed event statement is read with its disclosures and decoy seeds")
            }
            do {
                let event = try Statement.sealedEvent(payload: payload, opening: opening)
                self = .event(event, hash: event.hash())
            } catch let error as StatementError where error.code == .sealedErased {
                // An erasure took what made it an event: it is kept and proved, found only by its digest.
                self = .opaque(digest: Statement.digest(payloadType: payloadType, payload: payload))
            }
        case RegistryStatement.payloadType:
            self = .registry(
                try RegistryStatement(payload: payload),
                digest: Statement.digest(payloadType: payloadType, payload: payload))
        case CodeCommitment.payloadType:
            self = .commitment(
                try CodeCommitment(payload: payload),
                digest: Statement.digest(payloadType: payloadType, payload: payload))
        case CodeVerification.payloadType:
            self = .verification(
                try CodeVerification(payload: payload),
                digest: Statement.digest(payloadType: payloadType, payload: payload))
        case ProductData.payloadType:
            self = .product(
                try ProductData(payload: payload), digest: Statement.digest(payloadType: payloadType, payload: payload))
        case Erasure.payloadType:
            self = .erasure(
                try Erasure(payload: payload), digest: Statement.digest(payloadType: payloadType, payload: payload))
        case Statement.anchorPayloadType:
            let json: JSONValue
            do { json = try JSONValue(parsing: payload) } catch let error as EPCISError {
                throw StatementError(.anchorJSON, "the anchor is not JSON: \(error.reason)")
            }
            guard let checkpoint = json["checkpoint"]?.stringValue, let token = json["token"]?.stringValue,
                let bytes = Envelope.decodeBase64(token)
            else { throw StatementError(.anchorJSON, "an anchor is {\"checkpoint\": text, \"token\": base64}") }
            self = .anchor(
                checkpoint: checkpoint, token: bytes,
                digest: Statement.digest(payloadType: payloadType, payload: payload))
        default: self = .opaque(digest: Statement.digest(payloadType: payloadType, payload: payload))
        }
    }

    /// The index keys of the statement (`Specs/10-recording.md` §Index): what a query can find it by.
    public var indexKeys: [String] {
        switch self {
        case .opaque(let digest): return [IndexKey.statement(digest)]
        case .registry(_, let digest): return [IndexKey.registry, IndexKey.statement(digest)]
        case .anchor(_, _, let digest): return [IndexKey.anchors, IndexKey.statement(digest)]
        case .erasure(_, let digest): return [IndexKey.erasures, IndexKey.statement(digest)]
        case .product(let product, let digest):
            return [IndexKey.product(gtin: product.gtin), IndexKey.products, IndexKey.statement(digest)]
        case .commitment(let commitment, let digest):
            return [IndexKey.commitment(commitment.product), IndexKey.statement(digest)]
        case .verification(let verification, let digest):
            return [IndexKey.statement(digest), IndexKey.verification(verification.product), IndexKey.verifications]
        case .event(let event, let hash): return IndexKey.keys(of: event, hash: hash)
        }
    }

    /// The statement digest of a statement that is not an event (an event's duplicates are found by its hash).
    public var digest: Hash? {
        switch self {
        case .opaque(let digest), .registry(_, let digest), .anchor(_, _, let digest), .erasure(_, let digest),
            .product(_, let digest), .commitment(_, let digest), .verification(_, let digest):
            digest
        case .event: nil
        }
    }

    /// The same keys as `indexKeys`, packed: without a `String` for each (what an audit compares with the index).
    public var packedIndexKeys: PackedKeys {
        var keys = PackedKeys()
        switch self {
        case .opaque(let digest): keys.append(IndexKey.Prefix.statement, Substring(digest.hex))
        case .registry(_, let digest):
            keys.append(IndexKey.registry, "")
            keys.append(IndexKey.Prefix.statement, Substring(digest.hex))
        case .anchor(_, _, let digest):
            keys.append(IndexKey.anchors, "")
            keys.append(IndexKey.Prefix.statement, Substring(digest.hex))
        case .erasure(_, let digest):
            keys.append(IndexKey.erasures, "")
            keys.append(IndexKey.Prefix.statement, Substring(digest.hex))
        case .commitment(let commitment, let digest):
            keys.append(IndexKey.Prefix.commitment, Substring(commitment.product))
            keys.append(IndexKey.Prefix.statement, Substring(digest.hex))
        case .verification(let verification, let digest):
            keys.append(IndexKey.Prefix.verification, Substring(verification.product))
            keys.append(IndexKey.verifications, "")
            keys.append(IndexKey.Prefix.statement, Substring(digest.hex))
        case .product(let product, let digest):
            keys.append(IndexKey.Prefix.product, Substring(product.gtin))
            keys.append(IndexKey.products, "")
            keys.append(IndexKey.Prefix.statement, Substring(digest.hex))
        case .event(let event, let hash):
            return Self.packedIndexKeys(of: event, hexDigest: IndexKey.digest(ofHash: hash))
        }
        keys.sort()
        return keys
    }

    /// The packed index keys of an event statement whose hash has `digest` (`packedIndexKeys`, for a reader that
    /// has the event and its digest but no statement).
    public static func packedIndexKeys(of event: EPCISEvent, digest: Hash) -> PackedKeys {
        packedIndexKeys(of: event, hexDigest: Substring(digest.hex))
    }

    private static func packedIndexKeys(of event: EPCISEvent, hexDigest: Substring) -> PackedKeys {
        var keys = PackedKeys()
        IndexKey.forEachKey(of: event, hexDigest: hexDigest) { keys.append($0, $1) }
        keys.sort()
        return keys
    }
}

/// Keys packed into one buffer, each a prefix and a value written back to back: once `sort()`ed, in byte order and
/// without duplicates, so two sets of keys are equal when their bytes and their keys' lengths are.
public struct PackedKeys: Sendable, Equatable {
    /// The keys' UTF-8, one after another.
    public private(set) var bytes: [UInt8] = []
    /// Where each key ends in `bytes`.
    public private(set) var ends: [Int] = []

    public init() {}

    /// Adds the key `prefix` + `value`.
    public mutating func append(_ prefix: String, _ value: Substring) {
        if bytes.isEmpty { bytes.reserveCapacity(512) }
        // Copied as buffers: appending the UTF-8 views would copy byte by byte.
        var prefix = prefix
        var value = value
        prefix.withUTF8 { bytes += $0 }
        value.withUTF8 { bytes += $0 }
        ends.append(bytes.count)
    }

    /// The keys as strings.
    public var strings: [String] {
        ends.indices.map { String(decoding: bytes[range($0)], as: UTF8.self) }
    }

    private func range(_ i: Int) -> Range<Int> { (i == 0 ? 0 : ends[i - 1])..<ends[i] }

    /// Whether each key is before the next in byte order (so there are no repeats either).
    private var isSorted: Bool {
        bytes.withUnsafeBufferPointer { buffer in
            (1..<ends.count).allSatisfy { i in
                let (a, b) = (range(i - 1), range(i))
                let order = memcmp(
                    buffer.baseAddress! + a.lowerBound, buffer.baseAddress! + b.lowerBound, min(a.count, b.count))
                return order < 0 || (order == 0 && a.count < b.count)
            }
        }
    }

    /// Puts the keys in byte order and drops repeated ones.
    public mutating func sort() {
        guard ends.count > 1, !isSorted else { return }
        let sorted = bytes.withUnsafeBufferPointer { buffer in
            ends.indices.map(range).sorted { a, b in
                let order = memcmp(
                    buffer.baseAddress! + a.lowerBound, buffer.baseAddress! + b.lowerBound,
                    min(a.count, b.count))
                return order < 0 || (order == 0 && a.count < b.count)
            }
        }
        var packed = PackedKeys()
        packed.bytes.reserveCapacity(bytes.count)
        packed.ends.reserveCapacity(ends.count)
        var last: Range<Int>?
        for key in sorted {
            if let last, bytes[last] == bytes[key] { continue }
            packed.bytes += bytes[key]
            packed.ends.append(packed.bytes.count)
            last = key
        }
        self = packed
    }
}

/// The keys of the derived index.
public enum IndexKey {
    /// Every registry statement.
    public static let registry = "registry"
    /// Every time anchor.
    public static let anchors = "anchors"
    /// Every erasure statement.
    public static let erasures = "erasures"
    /// Every product statement.
    public static let products = "products"
    /// Every recorded correct entry of a hidden code (24 §7).
    public static let verifications = "verifications"

    /// The product statements of the 14-digit `gtin`.
    public static func product(gtin: String) -> String { Prefix.product + gtin }
    /// The commitment to the hidden code of the serial `product` (a canonical Digital Link).
    public static func commitment(_ product: String) -> String { Prefix.commitment + product }
    /// The verifications of the hidden code of the serial `product` (a canonical Digital Link).
    public static func verification(_ product: String) -> String { Prefix.verification + product }

    /// The event `event`, whose CBV 2.0 hash is `hash`: its time, then the hash's hex digest.
    public static func event(_ event: EPCISEvent, hash: String) -> String {
        Prefix.event + eventValue(event, hexDigest: digest(ofHash: hash))
    }

    /// What follows `event:`: the event's time in UTC, to the millisecond as its hash has it
    /// (`YYYY-MM-DDThh:mm:ss.sssZ`), `/`, and the hash's hex digest. Two events with one hash have one time, so
    /// the key still finds a replay; and events recorded in about the order they happened sit together in the
    /// index, so a write adds their keys at its end rather than at random places all through it.
    static func eventValue(_ event: EPCISEvent, hexDigest: Substring) -> Substring {
        var value = Timestamp.format(millis: event.eventTime.millis)
        value.reserveCapacity(value.utf8.count + 1 + hexDigest.utf8.count)
        value += "/"
        value += hexDigest
        return Substring(value)
    }

    /// The `event:` key among an event's index keys (`Statement.indexKeys`): its duplicate key, found rather than
    /// formatted again.
    public static func eventKey(among keys: [String]) -> String? {
        keys.first { $0.hasPrefix(Prefix.event) }
    }

    /// The statement (not an event) with this statement digest (`Statement.digest`), in hex.
    public static func statement(_ digest: Hash) -> String { Prefix.statement + digest.hex }

    /// The hex digest in an event hash URI.
    static func digest(ofHash hash: String) -> Substring {
        Substring(hash.utf8.dropFirst(EventHash.uriPrefix.utf8.count).prefix(64))
    }

    /// The prefixes of the index keys. After `epc:`, `bizLocation:`, `readPoint:` and `party:` comes an
    /// identifier's canonical form; after `event:` the event's time and its CBV hash's hex digest; after
    /// `bizStep:` the step's URI.
    enum Prefix {
        static let object = "epc:"
        static let bizLocation = "bizLocation:"
        static let readPoint = "readPoint:"
        static let party = "party:"
        static let event = "event:"
        static let bizStep = "bizStep:"
        /// Not an event key: the statement digest of a registry, anchor, erasure, product or opaque statement.
        static let statement = "statement:"
        /// Not an event key: a product statement's GTIN.
        static let product = "product:"
        /// Not event keys: a hidden code's commitment, and its verifications, by serial (24 §7).
        static let commitment = "commitment:"
        static let verification = "verification:"

        /// The order `forEachKey` writes the keys in: the prefixes in byte order. None is a
        /// prefix of another, so keys in different groups compare as their prefixes do.
        static let inByteOrder = [bizLocation, bizStep, object, event, party, readPoint]
    }

    /// Events naming an object, class or lot (canonical Digital Link, or the URI as written).
    public static func object(_ identifier: String) -> String { Prefix.object + DigitalLink.canonical(identifier) }
    public static func bizStep(_ uri: String) -> String { Prefix.bizStep + uri }
    public static func bizLocation(_ identifier: String) -> String {
        Prefix.bizLocation + DigitalLink.canonical(identifier)
    }
    public static func readPoint(_ identifier: String) -> String {
        Prefix.readPoint + DigitalLink.canonical(identifier)
    }
    public static func party(_ identifier: String) -> String { Prefix.party + DigitalLink.canonical(identifier) }

    static func keys(of event: EPCISEvent, hash: String) -> [String] {
        var keys: [String] = []
        keys.reserveCapacity(10)
        forEachKey(of: event, hexDigest: digest(ofHash: hash)) { keys.append($0 + $1) }
        if keys.count <= 16 {
            // Most events have a handful of keys: a linear search is cheaper than hashing them, and the first of
            // each is moved forward in place.
            var kept = 0
            for i in keys.indices where !keys[..<kept].contains(keys[i]) {
                keys.swapAt(kept, i)
                kept += 1
            }
            keys.removeLast(keys.count - kept)
            return keys
        }
        var seen = Set<String>()
        return keys.filter { seen.insert($0).inserted }
    }

    /// Calls `body` with each index key of `event`, whose hash's digest is `hexDigest`, as a prefix and a value,
    /// repeats included. The keys come grouped by prefix in the prefixes' byte order (`Prefix.inByteOrder`), so
    /// that an event naming one thing of each kind has its keys already sorted.
    static func forEachKey(of event: EPCISEvent, hexDigest: Substring, _ body: (String, Substring) -> Void) {
        // The closures read the forms, not `event`: one that captured the event would have it copied.
        let forms = event.canonicalForms
        func canonical(_ identifier: String) -> String { forms[identifier] ?? identifier }
        func place(_ prefix: String, _ identifier: String?) {
            if let identifier { body(prefix, Substring(canonical(identifier))) }
        }
        place(Prefix.bizLocation, event.bizLocation)
        if let step = event.bizStep { body(Prefix.bizStep, Substring(step)) }
        event.forEachObject { body(Prefix.object, Substring(canonical($0))) }
        body(Prefix.event, eventValue(event, hexDigest: hexDigest))
        for reference in event.sourceList { place(Prefix.party, reference.value) }
        for reference in event.destinationList { place(Prefix.party, reference.value) }
        place(Prefix.readPoint, event.readPoint)
    }
}

extension Statement {
    /// The payload of a time anchor over `checkpoint` (a checkpoint note's text).
    public static func anchorPayload(checkpoint: String, token: [UInt8]) -> [UInt8] {
        Array(
            JSONValue.object([
                .init("checkpoint", .string(checkpoint)), .init("token", .string(Data(token).base64EncodedString())),
            ]).serialized.utf8)
    }
}
