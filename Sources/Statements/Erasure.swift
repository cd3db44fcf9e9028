import EPCIS
import TransparencyLog

/// An erasure statement (`Specs/23-sealed-events.md` §7): the operator's record that the disclosures of some of a
/// sealed record's digests were deleted, and why. It names the record and the digests — never the values — and is
/// recorded by `threadline erase` together with the rewritten opening, in one transaction.
public struct Erasure: Sendable, Equatable {
    public static let payloadType = "application/vnd.threadline.erasure+json"
    /// The most bytes a reason may take.
    public static let maxReasonBytes = 1024

    /// The sealed record whose disclosures were erased.
    public let record: Int64
    /// The digests erased, sorted, each once.
    public let digests: [String]
    /// Why (the operator's words: a data subject's request, a court order …).
    public let reason: String

    /// An erasure of `digests` of `record`; refused (`erasure.json`) without a digest or a reason, or with a reason
    /// longer than `maxReasonBytes` or holding control characters.
    public init(record: Int64, digests: [String], reason: String) throws {
        guard record >= 0 else { throw StatementError(.erasureJSON, "an erasure names a record (0 or more)") }
        guard !digests.isEmpty, digests.allSatisfy({ Base64URL.decode($0)?.count == 32 }) else {
            throw StatementError(.erasureJSON, "an erasure names one or more digests (SHA-256, base64url)")
        }
        guard !reason.isEmpty, reason.utf8.count <= Erasure.maxReasonBytes,
            !reason.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else {
            throw StatementError(
                .erasureJSON,
                "an erasure's reason is 1 to \(Erasure.maxReasonBytes) bytes of text, without control characters")
        }
        (self.record, self.digests, self.reason) = (record, Array(Set(digests)).sorted(), reason)
    }

    /// Reads an erasure statement's payload: `{"record": N, "digests": [...], "reason": "..."}`, exactly as
    /// `payload` writes it.
    public init(payload: [UInt8]) throws {
        let json: JSONValue
        do { json = try JSONValue(parsing: payload) } catch let error as EPCISError {
            throw StatementError(.erasureJSON, "the erasure is not JSON: \(error.reason)")
        }
        guard case .number(let number)? = json["record"], let record = Int64(number),
            let digests = json["digests"]?.elements?.compactMap(\.stringValue),
            digests.count == json["digests"]?.elements?.count, let reason = json["reason"]?.stringValue
        else {
            throw StatementError(
                .erasureJSON, "an erasure is {\"record\": number, \"digests\": [text], \"reason\": text}")
        }
        try self.init(record: record, digests: digests, reason: reason)
        guard self.payload == payload else {
            throw StatementError(.erasureJSON, "an erasure's payload is in its canonical form (23 §7)")
        }
    }

    /// The payload: compact JSON, members in this order, digests sorted.
    public var payload: [UInt8] {
        Array(
            JSONValue.object([
                .init("record", .number(String(record))), .init("digests", .array(digests.map(JSONValue.string))),
                .init("reason", .string(reason)),
            ]).serialized.utf8)
    }
}

extension SealedEvent {
    /// The digests a field of a sealed event stands for, for its erasure (`Specs/23-sealed-events.md` §7): the
    /// field's own disclosure's and every disclosure within its value, so that nothing of it is left. `path`
    /// names the field in the event as it now opens: member names separated by dots, a list element by its
    /// place among the list's remaining elements (`epcList[3]`, `sensorElementList[0].sensorReport[1].value`,
    /// `ilmd.example:grower`); nil names the whole event (every disclosure). Refused (`erasure.field`) when the
    /// path is malformed or names nothing.
    public static func digests(of path: String?, payload: JSONValue, disclosures: [Disclosure]) throws -> [String] {
        let byDigest = Dictionary(disclosures.map { ($0.digest, $0) }, uniquingKeysWith: { first, _ in first })
        guard let path else { return disclosures.map(\.digest).sorted() }
        func refuse(_ why: String) -> StatementError { StatementError(.erasureField, "the field '\(path)' \(why)") }
        enum Step {
            case member(String)
            case element(Int)
        }
        var steps: [Step] = []
        for segment in path.split(separator: ".", omittingEmptySubsequences: false) {
            var rest = Substring(segment)
            var name: String?
            if let bracket = rest.firstIndex(of: "[") {
                name = rest[..<bracket].isEmpty ? nil : String(rest[..<bracket])
                rest = rest[bracket...]
            } else {
                name = String(rest)
                rest = ""
            }
            if let name { steps.append(.member(name)) }
            while !rest.isEmpty {
                guard rest.first == "[", let close = rest.firstIndex(of: "]"),
                    let index = Int(rest[rest.index(after: rest.startIndex)..<close]), index >= 0
                else { throw refuse("is not a path of member names and [index]es") }
                steps.append(.element(index))
                rest = rest[rest.index(after: close)...]
            }
            guard name != nil || !steps.isEmpty, name?.isEmpty != true else {
                throw refuse("is not a path of member names and [index]es")
            }
        }
        var current = payload
        var found: Disclosure?
        for step in steps {
            let next: Disclosure
            switch step {
            case .member(let name):
                let digests = current["_sd"]?.elements?.compactMap(\.stringValue) ?? []
                guard let member = digests.lazy.compactMap({ byDigest[$0] }).first(where: { $0.name == name }) else {
                    throw refuse("names no member '\(name)' that is still disclosed")
                }
                next = member
            case .element(let index):
                let elements = (current.elements ?? []).compactMap { $0["..."]?.stringValue }.compactMap {
                    byDigest[$0]
                }
                guard index < elements.count else {
                    throw refuse("names element \(index) of a list of \(elements.count) still disclosed")
                }
                next = elements[index]
            }
            found = next
            current = next.value
        }
        guard let found else { throw refuse("names nothing") }
        var digests: [String] = []
        func collect(_ disclosure: Disclosure) {
            digests.append(disclosure.digest)
            var nested: [String] = []
            collectDigests(disclosure.value, into: &nested)
            for digest in nested { if let inner = byDigest[digest] { collect(inner) } }
        }
        collect(found)
        return digests.sorted()
    }
}
