import EPCIS
import Foundation

/// What opens a sealed event statement (`Specs/23-sealed-events.md` §5): its disclosures, the seeds of its decoy
/// digests, and the digests erased since it was recorded. A participant submits it with the envelope; the ledger
/// keeps it beside the log, never in it, and gives each reader only the disclosures it may see.
public struct Opening: Sendable, Equatable {
    public var disclosures: [Disclosure]
    /// Each decoy digest's 16-byte seed.
    public var decoys: [[UInt8]]
    /// The digests whose disclosures were erased, and by which record.
    public var erased: [Erased]

    /// A digest whose disclosure was erased by the erasure statement at record `by`.
    public struct Erased: Sendable, Equatable {
        public let digest: String
        public let by: Int64

        public init(digest: String, by: Int64) { (self.digest, self.by) = (digest, by) }
    }

    /// The most bytes of disclosure text one statement may carry: four times a record's limit (the event they
    /// open is at most a record, but each member and element adds a salt and base64's third).
    public static let maxDisclosureBytes = 4 * LedgerRecord.maxBytes

    public init(disclosures: [Disclosure], decoys: [[UInt8]], erased: [Erased] = []) {
        (self.disclosures, self.decoys, self.erased) = (disclosures, decoys, erased)
    }

    /// The opening of a freshly sealed event.
    public init(_ sealed: SealedEvent.Sealed) { self.init(disclosures: sealed.disclosures, decoys: sealed.decoys) }

    /// Reads the members `disclosures` (encoded disclosures), `decoys` (unpadded base64url seeds) and, when
    /// stored, `erased` (`{"digest": …, "by": seq}`) of `json`.
    init(members json: JSONValue, stored: Bool) throws {
        guard let disclosures = json["disclosures"]?.elements, let decoys = json["decoys"]?.elements else {
            throw StatementError(
                .sealedDisclosure, "a sealed event statement comes with 'disclosures' and 'decoys' (lists)")
        }
        var bytes = 0
        self.disclosures = try disclosures.map { value in
            guard let text = value.stringValue else {
                throw StatementError(.sealedDisclosure, "a disclosure is a string")
            }
            bytes += text.utf8.count
            guard bytes <= Opening.maxDisclosureBytes else {
                throw StatementError(
                    .sealedDisclosure, "a statement's disclosures are at most \(Opening.maxDisclosureBytes) bytes")
            }
            return try Disclosure(parsing: text)
        }
        self.decoys = try decoys.map { value in
            guard let seed = value.stringValue.flatMap(Base64URL.decode), seed.count == 16 else {
                throw StatementError(.sealedDisclosure, "a decoy seed is 16 bytes, in unpadded base64url")
            }
            return seed
        }
        guard stored, let erased = json["erased"]?.elements else {
            self.erased = []
            return
        }
        self.erased = try erased.map { value in
            guard let digest = value["digest"]?.stringValue, case .number(let number)? = value["by"],
                let by = Int64(number), by >= 0
            else {
                throw StatementError(.sealedDisclosure, "an erasure is {\"digest\": text, \"by\": record}")
            }
            return Erased(digest: digest, by: by)
        }
    }

    /// Reads an opening as the store keeps it (`stored`).
    public init(stored bytes: some Collection<UInt8>) throws {
        let json: JSONValue
        do { json = try JSONValue(parsing: bytes) } catch {
            throw StatementError(.sealedDisclosure, "a stored opening is not JSON: \(error)")
        }
        try self.init(members: json, stored: true)
    }

    /// The members a submission adds to its envelope: `disclosures` and `decoys`.
    public var submissionMembers: [JSONValue.Member] {
        [
            .init("disclosures", .array(disclosures.map { .string($0.encoded) })),
            .init("decoys", .array(decoys.map { .string(Base64URL.encode($0)) })),
        ]
    }

    /// The form the store keeps: `{"disclosures": […], "decoys": […], "erased": […]}`, compact (`JSONValue`'s
    /// serialization of those members). Written straight into bytes: an import makes one for each sealed event.
    public var stored: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(
            disclosures.reduce(64 + decoys.count * 25 + erased.count * 80) { $0 + $1.encoded.utf8.count + 3 })
        func string(_ text: String) {
            // Disclosures, seeds and digests are base64url: nothing to escape. Anything else is written as JSON does.
            if text.utf8.allSatisfy({ Base64URL.isAlphabet($0) }) {
                out.append(0x22)
                out += text.utf8
                out.append(0x22)
            } else {
                out += JSONValue.string(text).serialized.utf8
            }
        }
        out += #"{"disclosures":["#.utf8
        for (i, disclosure) in disclosures.enumerated() {
            if i > 0 { out.append(0x2C) }
            string(disclosure.encoded)
        }
        out += #"],"decoys":["#.utf8
        for (i, seed) in decoys.enumerated() {
            if i > 0 { out.append(0x2C) }
            string(Base64URL.encode(seed))
        }
        out += #"],"erased":["#.utf8
        for (i, erasure) in erased.enumerated() {
            if i > 0 { out.append(0x2C) }
            out += #"{"digest":"#.utf8
            string(erasure.digest)
            out += #","by":"#.utf8
            out += String(erasure.by).utf8
            out.append(0x7D)
        }
        out += "]}".utf8
        return out
    }
}

/// A statement as a participant submits it (`Specs/23-sealed-events.md` §5): a DSSE envelope and, when it holds
/// a sealed event, its opening — the envelope's JSON with two more members, `disclosures` and `decoys`, which a
/// DSSE reader ignores and the ledger keeps beside the log.
public struct Submission: Sendable {
    public let envelope: Envelope
    public let opening: Opening?

    public init(envelope: Envelope, opening: Opening? = nil) {
        (self.envelope, self.opening) = (envelope, opening)
    }

    /// Reads a submission: any DSSE envelope JSON (`Envelope(json:)`), with `disclosures` and `decoys` exactly when
    /// its payload type is a sealed event's.
    public init(json: some Collection<UInt8>) throws {
        let value = try Envelope.parseJSON(json)
        let envelope = try Envelope(value: value)
        let sealed = envelope.payloadType == SealedEvent.payloadType
        if sealed {
            opening = try Opening(members: value, stored: false)
        } else {
            guard value["disclosures"] == nil, value["decoys"] == nil else {
                throw StatementError(
                    .sealedDisclosure, "disclosures come only with a sealed event (\(SealedEvent.payloadType))")
            }
            opening = nil
        }
        self.envelope = envelope
    }

    /// The submission's JSON: the envelope's canonical JSON, with the opening's members after its own.
    public var json: [UInt8] {
        guard let opening else { return envelope.canonicalJSON }
        var out = envelope.canonicalJSON
        out.removeLast()  // the closing brace
        for member in opening.submissionMembers {
            out += ",".utf8
            out += JSONValue.string(member.key).serialized.utf8
            out += ":".utf8
            out += member.value.serialized.utf8
        }
        out += "}".utf8
        return out
    }
}
