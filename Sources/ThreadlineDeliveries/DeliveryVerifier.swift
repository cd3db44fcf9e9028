import EPCIS
import Foundation
import HTTPSignatures
import Statements
import Threadline
import TransparencyLog

/// What a checked delivery proved.
public struct VerifiedDelivery: Sendable, Equatable {
    /// The subscription it was for.
    public let subscription: String
    /// `event`, or the alert's kind.
    public let kind: String
    /// The records it carries (each proved in the log).
    public let records: [Int64]
    /// The checkpoint the proofs are against: its tree size.
    public let checkpointSize: Int64

    public init(subscription: String, kind: String, records: [Int64], checkpointSize: Int64) {
        self.subscription = subscription
        self.kind = kind
        self.records = records
        self.checkpointSize = checkpointSize
    }
}

/// Checks a delivery offline (`Specs/26-subscriptions.md` §6, `threadline verify-delivery`): the request is signed
/// by the operator's key over its method, URL and `Content-Digest`, the digest is the body's, every record is in
/// the log under a checkpoint the operator signed (and enough witnesses cosigned), and every event listed is the
/// one its signed record holds.
public enum DeliveryVerifier {
    /// The most bytes of body checked.
    public static let maxBody = 64 << 20

    public static func verify(
        method: String, url: String, field: (String) -> String?, body: [UInt8], operatorKey: String,
        witnesses: [CosignatureVerifier] = [], quorum: Int = 0
    ) throws -> VerifiedDelivery {
        guard body.count <= maxBody else { throw EngineError(.deliveryBody, "the body is over \(maxBody) bytes") }
        let log: Ed25519NoteVerifier
        do { log = try Ed25519NoteVerifier(verifierKey: operatorKey) } catch {
            throw EngineError(.deliverySignature, "'\(operatorKey)' is not an operator verifier key")
        }
        // Authenticity, not freshness: a delivery stays checkable after the fact (its idempotency key is what
        // makes a repeat harmless).
        let signed: RequestSignature.Verified
        do {
            signed = try RequestSignature.verify(
                .init(method: method, targetURI: url, body: body), field: field,
                now: Int64(Date().timeIntervalSince1970), maxAge: Int64.max)
        } catch let error where error.code == .digest {
            throw EngineError(.deliveryDigest, error.reason)
        } catch {
            throw EngineError(.deliverySignature, error.reason)
        }
        guard signed.keyid == operatorKey else {
            throw EngineError(.deliverySignature, "signed by \(signed.keyid), not by the operator's key")
        }
        return try verifyBody(body, log: log, witnesses: witnesses, quorum: quorum)
    }

    /// Steps 3–5 of `verify`: the body's form, its proofs against checkpoints `log` signed, its records and events.
    public static func verifyBody(
        _ body: [UInt8], log: Ed25519NoteVerifier, witnesses: [CosignatureVerifier] = [], quorum: Int = 0
    ) throws -> VerifiedDelivery {
        let json: JSONValue
        do { json = try JSONValue(parsing: body) } catch {
            throw EngineError(.deliveryBody, "the body is not JSON: \(error)")
        }
        func proved(_ entry: [UInt8]?, leaf: Hash?, _ proofText: String) throws -> (Int64, Int64) {
            let proof: TlogProof
            do { proof = try TlogProof(parsing: proofText) } catch {
                throw EngineError(.deliveryProof, "a proof does not read: \(error)")
            }
            let outcome: ProofVerification
            if let entry {
                outcome = proof.verify(entry: entry, log: log, witnesses: witnesses, quorum: quorum)
            } else if let leaf {
                outcome = proof.verify(leafHash: leaf, log: log, witnesses: witnesses, quorum: quorum)
            } else {
                throw EngineError(.deliveryBody, "an alert carries its record or its leaf hash")
            }
            guard case .valid(let checkpoint) = outcome else {
                throw EngineError(.deliveryProof, "record \(proof.index): \(outcome)")
            }
            if let entry {
                guard let record = try? LedgerRecord(bytes: entry), record.seq == proof.index else {
                    throw EngineError(
                        .deliveryRecord, "the record proved as \(proof.index) is not record \(proof.index)")
                }
            }
            return (proof.index, checkpoint.size)
        }
        if json["type"] == .string("ThreadlineAlert") {
            guard case .string(let subscription)? = json["subscriptionID"], case .string(let kind)? = json["alert"],
                case .number(let seqText)? = json["seq"], let seq = Int64(seqText),
                case .string(let proof)? = json["proof"]
            else { throw EngineError(.deliveryBody, "an alert has subscriptionID, alert, seq and proof") }
            var entry: [UInt8]?
            var leaf: Hash?
            if case .string(let text)? = json["record"] {
                guard let bytes = Data(base64Encoded: text) else {
                    throw EngineError(.deliveryBody, "the alert's record is not base64")
                }
                entry = Array(bytes)
            } else if case .string(let text)? = json["leaf"] {
                leaf = Hash(base64: text)
            }
            let (index, size) = try proved(entry, leaf: leaf, proof)
            guard index == seq else {
                throw EngineError(.deliveryRecord, "the alert is about \(seq), its proof \(index)")
            }
            return VerifiedDelivery(subscription: subscription, kind: kind, records: [seq], checkpointSize: size)
        }
        guard json["type"] == .string("EPCISQueryDocument"), case .object? = json["epcisBody"],
            let results = json["epcisBody"]?["queryResults"],
            case .string(let subscription)? = results["subscriptionID"],
            case .array(let events)? = results["resultsBody"]?["eventList"],
            case .array(let seqs)? = results["threadline:records"],
            case .array(let entries)? = results["threadline:entries"],
            case .array(let proofs)? = results["threadline:proofs"],
            events.count == seqs.count, seqs.count == entries.count, entries.count == proofs.count
        else {
            throw EngineError(
                .deliveryBody,
                "an event delivery is an EPCISQueryDocument whose queryResults has subscriptionID, and eventList, "
                    + "threadline:records, threadline:entries and threadline:proofs of one length")
        }
        let openings: [JSONValue]? = {
            if case .array(let list)? = results["threadline:openings"], list.count == events.count { return list }
            return nil
        }()
        var records: [Int64] = []
        var size: Int64 = 0
        for i in events.indices {
            guard case .number(let seqText) = seqs[i], let seq = Int64(seqText), case .string(let text) = entries[i],
                let bytes = Data(base64Encoded: text), case .string(let proof) = proofs[i]
            else { throw EngineError(.deliveryBody, "event \(i + 1)'s record number, record or proof is malformed") }
            let entry = Array(bytes)
            let (index, checkpoint) = try proved(entry, leaf: nil, proof)
            guard index == seq, let record = try? LedgerRecord(bytes: entry) else {
                throw EngineError(.deliveryRecord, "event \(i + 1) names record \(seq), its proof \(index)")
            }
            guard try signedEvent(record.envelope, opening: openings?[i]) == events[i] else {
                throw EngineError(.deliveryRecord, "event \(i + 1) is not the event record \(seq) holds")
            }
            records.append(seq)
            size = checkpoint
        }
        return VerifiedDelivery(subscription: subscription, kind: "event", records: records, checkpointSize: size)
    }

    /// The event a record's statement holds, as JSON: a plain one's payload, a sealed one's opened with `opening`.
    static func signedEvent(_ envelope: Envelope, opening: JSONValue?) throws -> JSONValue? {
        switch envelope.payloadType {
        case Statement.eventPayloadType: return try? JSONValue(parsing: envelope.payload)
        case SealedEvent.payloadType:
            guard let opening, let stored = try? Opening(stored: Array(opening.serialized.utf8)) else { return nil }
            return try? Statement.openedSealedEvent(payload: envelope.payload, opening: stored)
        default: return nil
        }
    }
}

/// A delivery as a receiver saved it (`Specs/26-subscriptions.md` §6): the HTTP/1.1 request message — request line,
/// header lines, an empty line, the body — with CRLF or LF line ends. The body is the bytes after the empty line, or
/// the first `Content-Length` of them when the header gives one.
public struct SavedRequest: Sendable, Equatable {
    public let method: String
    /// The request target as written: a path (origin form) or an absolute URL.
    public let target: String
    /// Header fields by lowercase name (a repeated field's values joined with `, `, RFC 9110 §5.3).
    public let fields: [String: String]
    public let body: [UInt8]

    /// The most bytes of header section read.
    public static let maxHead = 64 * 1024

    public init(message bytes: [UInt8]) throws {
        func refuse(_ why: String) -> EngineError { EngineError(.deliveryRequest, why) }
        // The header section ends at the first empty line: `head` is the newline ending the last header line,
        // `end` the empty line's.
        var bounds: (head: Int, end: Int)?
        var i = 0
        while i < min(bytes.count, SavedRequest.maxHead) {
            if bytes[i] == 0x0A {
                if i + 1 < bytes.count, bytes[i + 1] == 0x0A {
                    bounds = (i, i + 1)
                    break
                }
                if i + 2 < bytes.count, bytes[i + 1] == 0x0D, bytes[i + 2] == 0x0A {
                    bounds = (i, i + 2)
                    break
                }
            }
            i += 1
        }
        guard let bounds else { throw refuse("no empty line ends the header section in its first 64 KiB") }
        guard let head = String(validating: bytes[..<bounds.head], as: UTF8.self) else {
            throw refuse("the header section is not UTF-8")
        }
        // "\r\n" is one Character in Swift: both line ends are separators.
        var lines = head.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }.map {
            $0.hasSuffix("\r") ? $0.dropLast() : $0
        }
        while lines.last?.isEmpty == true { lines.removeLast() }
        guard let requestLine = lines.first else { throw refuse("there is no request line") }
        let parts = requestLine.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[2].hasPrefix("HTTP/1."), !parts[0].isEmpty, !parts[1].isEmpty,
            parts[0].allSatisfy({ $0.isASCII && $0.isUppercase })
        else { throw refuse("'\(requestLine.prefix(80))' is not a request line (METHOD TARGET HTTP/1.1)") }
        var fields: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":"), colon != line.startIndex,
                line[..<colon].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") })
            else { throw refuse("'\(line.prefix(80))' is not a header field") }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            fields[name] = fields[name].map { $0 + ", " + value } ?? value
        }
        var body = Array(bytes[(bounds.end + 1)...])
        if let length = fields["content-length"] {
            guard let n = Int(length), n >= 0, n <= body.count else {
                throw refuse("Content-Length \(length.prefix(20)) is not the body's length or less")
            }
            body = Array(body.prefix(n))
        }
        (method, target, self.fields, self.body) = (String(parts[0]), String(parts[1]), fields, body)
    }

    /// The URL the request was signed for: the target when absolute, else `http://` and the Host field before it.
    public var url: String? {
        if target.hasPrefix("http://") || target.hasPrefix("https://") { return target }
        guard target.hasPrefix("/"), let host = fields["host"], !host.isEmpty else { return nil }
        return "http://" + host + target
    }
}
