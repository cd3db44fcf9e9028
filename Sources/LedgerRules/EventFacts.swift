import EPCIS
import Foundation
import Statements
import TransparencyLog

/// What checking a recorded event needs of it: the digest of its CBV 2.0 hash, what it asks of its signers, and
/// (when wanted) its index keys. The same as reading the payload with `Statement.event(payload:)` and asking the
/// event for each, and the same errors; but most events — ObjectEvents of the common shape (`CommonObjectEvent`)
/// — are read straight from their bytes, without the JSON tree.
public struct EventFacts: Sendable {
    /// The SHA-256 digest the event's CBV 2.0 hash names.
    public let digest: Hash
    /// What the event asks of its signers.
    public let demands: RecordingPolicy.Demands
    /// The event statement's packed index keys, if asked for.
    public let indexKeys: PackedKeys?

    /// Reads an event statement's payload; throws as `Statement.event(payload:)` does for one that is not a valid
    /// EPCIS event.
    public init(payload: [UInt8], indexKeys: Bool) throws {
        var workspace = Workspace()
        try self.init(payload: payload, indexKeys: indexKeys, using: &workspace)
    }

    /// `init(payload:indexKeys:)`, read with the working memory `workspace`.
    public init(payload: [UInt8], indexKeys: Bool, using workspace: inout Workspace) throws {
        var preHash: [UInt8] = []
        if let event = CommonObjectEvent.read(payload, preHash: &preHash, using: &workspace) {
            self.init(event, digest: EventHash.digest(ofPreHash: preHash), indexKeys: indexKeys)
        } else {
            let event = try Statement.event(payload: payload)
            self.init(event, digest: event.hashDigest(), indexKeys: indexKeys)
        }
    }

    private init(_ event: borrowing EPCISEvent, digest: Hash, indexKeys: Bool) {
        self.digest = digest
        demands = .init(event)
        self.indexKeys = indexKeys ? Statement.packedIndexKeys(of: event, digest: digest) : nil
    }
}

extension EventFacts {
    /// A statement being appended, read as `Statement(payloadType:payload:opening:)` reads it, when it is an event
    /// of the common shape (`CommonObjectEvent`): a plain event's payload, or a sealed one's opened from its opening
    /// as the store keeps it (`stored`, `SealedEvent.openedBytes`). Nil for anything else, which is the general
    /// reader's (and so are its errors). The event has every typed field, its canonical forms and its hash, but no
    /// JSON tree (`json` is `null`): it is for the engine's checks of a statement being appended — the rules, the
    /// index keys, subscriptions — which read the typed fields, and goes no further (the log keeps the signed
    /// bytes).
    public static func statement(payloadType: String, payload: [UInt8], stored: [UInt8]?) -> Statement? {
        var workspace = Workspace()
        return statement(payloadType: payloadType, payload: payload, stored: stored, using: &workspace)
    }

    /// What a thread that reads many statements keeps from one to the next: the working memory a sealed event is
    /// opened in, the forms of the places and parties met, and the last `@context` read (a batch's events repeat
    /// theirs).
    public struct Workspace: Sendable {
        public var opening = SealedEvent.ByteOpening()
        var places = PlaceForms()
        var context = ContextMemo()
        public init() {}
    }

    /// An event's `@context` as written, and what it declares.
    struct ContextMemo: Sendable {
        var bytes: [UInt8] = []
        var context = JSONLDContext()

        /// Whether `bytes` at `offset` begin with the `@context` kept: a JSON value ends where its own text says,
        /// so the value there is that one.
        func matches(_ text: UnsafeBufferPointer<UInt8>, at offset: Int) -> Bool {
            !bytes.isEmpty && text.count - offset >= bytes.count
                && bytes.withUnsafeBufferPointer { memcmp(text.baseAddress! + offset, $0.baseAddress!, $0.count) == 0 }
        }
    }

    /// `statement(payloadType:payload:stored:)`, read with the working memory `workspace`.
    public static func statement(
        payloadType: String, payload: [UInt8], stored: [UInt8]?, using workspace: inout Workspace
    ) -> Statement? {
        let event: [UInt8]
        switch payloadType {
        case Statement.eventPayloadType: event = payload
        case SealedEvent.payloadType:
            guard let stored,
                let opened = SealedEvent.openedBytes(payload: payload, stored: stored, using: &workspace.opening)
            else { return nil }
            event = opened.event
        default: return nil
        }
        return CommonObjectEvent.statement(event, using: &workspace)
    }
}

/// Reads an ObjectEvent of the common shape straight from its JSON bytes: one object whose members are only
/// `@context` (URLs, and prefixes declared as strings), `type`, `eventTime`, `eventTimeZoneOffset`, `recordTime`,
/// `eventID`, `certificationInfo`, `epcList`, `action`, `bizStep`, `disposition`, `readPoint` and `bizLocation`
/// (`{"id": …}`), and `bizTransactionList`, `sourceList` and `destinationList` (entries of a value and at most a
/// `type`), each once, every value a string or an array of strings written without escapes and in ASCII. Such an
/// event is checked by the rules `EPCISValidator` applies to these fields and its pre-hash written by the writers
/// `EventHash` uses, so it reads as the general reader would read it; `EventFactsTests` checks that the two agree.
/// Anything else — another shape, an escape, a number, a problem of any kind — is left to the general reader,
/// which also says what is wrong.
enum CommonObjectEvent {
    /// The event and its pre-hash, or nil for a payload this reader leaves to the general one. The event has its
    /// typed fields and canonical forms but not its `json` (left `null`): it must not go beyond its reader.
    static func read(_ payload: [UInt8]) -> (event: EPCISEvent, preHash: [UInt8])? {
        var (preHash, workspace) = ([UInt8](), EventFacts.Workspace())
        return read(payload, preHash: &preHash, using: &workspace).map { ($0, preHash) }
    }

    /// `read`, the pre-hash written to `preHash`, with the working memory `workspace`.
    static func read(
        _ payload: [UInt8], preHash: inout [UInt8], using workspace: inout EventFacts.Workspace
    ) -> EPCISEvent? {
        guard let members = payload.withUnsafeBufferPointer({ Members(reading: $0, contexts: &workspace.context) })
        else { return nil }
        return members.event(preHash: &preHash, places: &workspace.places)
    }

    /// The event statement of a payload `read` takes, with its hash; the event goes straight into the statement,
    /// not copied there from a pair.
    static func statement(_ payload: [UInt8], using workspace: inout EventFacts.Workspace) -> Statement? {
        var preHash: [UInt8] = []
        guard let event = read(payload, preHash: &preHash, using: &workspace) else { return nil }
        return .event(event, hash: EventHash.uri(of: EventHash.digest(ofPreHash: preHash)))
    }

    /// The texts of an event's members, read from its bytes.
    private struct Members {
        var type: String?
        var eventTime: String?
        var eventTimeZoneOffset: String?
        var recordTime: String?
        var eventID: String?
        /// Nil when absent; a lone string is a list of one, as EPCIS allows.
        var certificationInfo: [String]?
        var epcList: [String]?
        var action: String?
        var bizStep: String?
        var disposition: String?
        var readPoint: String?
        var bizLocation: String?
        /// The lists of typed references, by `EventHash.ReferenceList`.
        var references: [[EventHash.Reference]?] = [nil, nil, nil]
        /// The CURIE prefixes the event's `@context` declares.
        var context = JSONLDContext()

        /// Reads one JSON object of the common shape; nil for anything else.
        init?(reading bytes: UnsafeBufferPointer<UInt8>, contexts: inout EventFacts.ContextMemo) {
            var scanner = Scanner(bytes: bytes)
            var seen: UInt64 = 0
            guard scanner.take(UInt8(ascii: "{")) else { return nil }
            repeat {
                guard let name = scanner.plainString(), let field = EPCISValidator.Field(name: name),
                    scanner.take(UInt8(ascii: ":")), seen & 1 << field.rawValue == 0,
                    read(field, from: &scanner, contexts: &contexts)
                else { return nil }
                seen |= 1 << field.rawValue
            } while scanner.take(UInt8(ascii: ","))
            guard scanner.take(UInt8(ascii: "}")), scanner.atEnd else { return nil }
        }

        /// Reads the value of `field`; false when it is not of the common shape.
        private mutating func read(
            _ field: EPCISValidator.Field, from scanner: inout Scanner, contexts: inout EventFacts.ContextMemo
        ) -> Bool {
            func text(_ field: inout String?) -> Bool {
                field = scanner.text()
                return field != nil
            }
            switch field {
            case .context:
                scanner.skipSpace()
                let start = scanner.i
                if contexts.matches(scanner.bytes, at: start) {
                    scanner.i += contexts.bytes.count
                    context = contexts.context
                    return true
                }
                guard let declarations = scanner.context() else { return false }
                if !declarations.isEmpty { context = JSONLDContext(.array(declarations)) }
                contexts = .init(bytes: Array(scanner.bytes[start..<scanner.i]), context: context)
                return true
            case .type: return text(&type)
            case .eventTime: return text(&eventTime)
            case .eventTimeZoneOffset: return text(&eventTimeZoneOffset)
            case .recordTime: return text(&recordTime)
            case .eventID: return text(&eventID)
            case .certificationInfo:
                certificationInfo = scanner.text().map { [$0] } ?? scanner.texts()
                return certificationInfo != nil
            case .epcList:
                epcList = scanner.texts()
                return epcList != nil
            case .action: return text(&action)
            case .bizStep: return text(&bizStep)
            case .disposition: return text(&disposition)
            case .readPoint:
                readPoint = scanner.place()
                return readPoint != nil
            case .bizLocation:
                bizLocation = scanner.place()
                return bizLocation != nil
            case .bizTransactionList: return readReferences(.bizTransactionList, from: &scanner)
            case .sourceList: return readReferences(.sourceList, from: &scanner)
            case .destinationList: return readReferences(.destinationList, from: &scanner)
            default: return false
            }
        }

        private mutating func readReferences(_ list: EventHash.ReferenceList, from scanner: inout Scanner) -> Bool {
            references[list.rawValue] = scanner.references(entry: list.entry)
            return references[list.rawValue] != nil
        }

        /// The event, if these members make a valid ObjectEvent (as `EPCISValidator` judges one), its pre-hash
        /// written to `preHash`.
        func event(preHash: inout [UInt8], places: inout PlaceForms) -> EPCISEvent? {
            guard type == EPCISEvent.Kind.object.rawValue,
                let eventTimeText = eventTime, let time = Timestamp.parseDateTime(eventTimeText),
                let eventTimeZoneOffset, Timestamp.parseOffset(eventTimeZoneOffset) != nil,
                let actionText = action, let action = EPCISEvent.Action(rawValue: actionText),
                let epcList, !epcList.isEmpty, epcList.allSatisfy(EPCISValidator.isURI)
            else { return nil }
            var event = EPCISEvent(kind: .object, json: .null, context: context)
            (event.eventTime, event.eventTimeZoneOffset, event.action) = (time, eventTimeZoneOffset, action)
            if let recordTime {
                guard let time = Timestamp.parseDateTime(recordTime) else { return nil }
                event.recordTime = time
            }
            if let eventID {
                guard EPCISValidator.isURI(eventID) else { return nil }
                event.eventID = eventID
            }
            if let certificationInfo {
                guard certificationInfo.allSatisfy(EPCISValidator.isURI) else { return nil }
                event.certificationInfo = certificationInfo
            }
            if let bizStep {
                guard let uri = CBV.bizStep.canonical(bizStep) else { return nil }
                event.bizStep = uri
            }
            if let disposition {
                guard let uri = CBV.disposition.canonical(disposition) else { return nil }
                event.disposition = uri
            }
            if let readPoint, !EPCISValidator.isURI(readPoint) { return nil }
            if let bizLocation, !EPCISValidator.isURI(bizLocation) { return nil }
            guard let bizTransactions = typed(.bizTransactionList, CBV.bizTransactionType, typeRequired: false),
                let sources = typed(.sourceList, CBV.sourceDestinationType, typeRequired: true),
                let destinations = typed(.destinationList, CBV.sourceDestinationType, typeRequired: true)
            else { return nil }
            (event.bizTransactionList, event.sourceList, event.destinationList) = (
                bizTransactions, sources, destinations
            )
            (event.readPoint, event.bizLocation, event.epcList) = (readPoint, bizLocation, epcList)
            event.findCanonicalForms(places: &places)
            preHash = self.preHash(time: time, forms: event.canonicalForms)
            return event
        }

        /// The typed references of `list` as the validator reads them (a type a term of `vocabulary` or a URI,
        /// and required if `typeRequired`; a URI value); nil if one is not valid.
        private func typed(
            _ list: EventHash.ReferenceList, _ vocabulary: CBV.Vocabulary, typeRequired: Bool
        ) -> [EPCISEvent.TypedReference]? {
            var typed: [EPCISEvent.TypedReference] = []
            for reference in references[list.rawValue] ?? [] {
                var type: String?
                if let written = reference.type {
                    guard let uri = vocabulary.canonical(written) else { return nil }
                    type = uri
                } else if typeRequired {
                    return nil
                }
                guard EPCISValidator.isURI(reference.value) else { return nil }
                typed.append(EPCISEvent.TypedReference(type: type, value: reference.value))
            }
            return typed
        }

        /// The pre-hash, as `EventHash.writeCommonShape` writes it from the event's JSON.
        private func preHash(time: Timestamp.DateTime, forms: CanonicalForms) -> [UInt8] {
            var out: [UInt8] = []
            out.reserveCapacity(512)
            out += "eventType=ObjectEvent".utf8
            // What validation found is written as it is only where no declared prefix could expand a value.
            let validated = context.prefixes.isEmpty ? EventHash.Validated(eventTime: time) : nil
            func write(_ field: EventHash.CommonField, _ text: String?) {
                guard let text else { return }
                if let validated, validated.write(field, .string(text), into: &out) { return }
                EventHash.write(field, text, context, forms, into: &out)
            }
            // In the order of `EventHash.CommonField`; an ObjectEvent has none of the others.
            write(.eventTime, eventTime)
            write(.eventTimeZoneOffset, eventTimeZoneOffset)
            if let certificationInfo {
                EventHash.writeSorted(
                    EventHash.CommonField.certificationInfo.name, certificationInfo, context, forms, into: &out)
            }
            if let epcList { EventHash.writeEPCs(.epcList, epcList, context, forms, into: &out) }
            write(.action, action)
            write(.bizStep, bizStep)
            write(.disposition, disposition)
            if let readPoint { EventHash.writePlace(.readPoint, id: readPoint, context, forms, into: &out) }
            if let bizLocation { EventHash.writePlace(.bizLocation, id: bizLocation, context, forms, into: &out) }
            let lists = EventHash.ReferenceList.allCases.compactMap { list in
                references[list.rawValue].map { (list, $0) }
            }
            if !lists.isEmpty { EventHash.writeReferenceLists(lists, context, forms, into: &out) }
            return out
        }
    }

    /// Reads the JSON tokens of the common shape. Every read skips the whitespace before it, and fails (nil or
    /// false) on anything outside the shape.
    private struct Scanner {
        let bytes: UnsafeBufferPointer<UInt8>
        var i = 0

        mutating func skipSpace() {
            while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 {
                i += 1
            }
        }

        /// Whether the next token is `byte`; if so, it is read.
        mutating func take(_ byte: UInt8) -> Bool {
            skipSpace()
            guard i < bytes.count, bytes[i] == byte else { return false }
            i += 1
            return true
        }

        var atEnd: Bool {
            mutating get {
                skipSpace()
                return i == bytes.count
            }
        }

        /// A string of printable ASCII without escapes, as the bytes between its quotes.
        mutating func plainString() -> UnsafeBufferPointer<UInt8>? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            let start = i
            while i < bytes.count {
                let byte = bytes[i]
                if byte == UInt8(ascii: "\"") {
                    i += 1
                    return UnsafeBufferPointer(rebasing: bytes[start..<i - 1])
                }
                guard byte >= 0x20, byte < 0x7F, byte != UInt8(ascii: "\\") else { return nil }
                i += 1
            }
            return nil
        }

        /// A plain string (`plainString`).
        mutating func text() -> String? {
            plainString().map { String(decoding: $0, as: UTF8.self) }
        }

        /// An array of plain strings, each given to `body`; false for anything else.
        mutating func list(_ body: (UnsafeBufferPointer<UInt8>) -> Void) -> Bool {
            guard take(UInt8(ascii: "[")) else { return false }
            if take(UInt8(ascii: "]")) { return true }
            repeat {
                guard let text = plainString() else { return false }
                body(text)
            } while take(UInt8(ascii: ","))
            return take(UInt8(ascii: "]"))
        }

        /// An array of plain strings.
        mutating func texts() -> [String]? {
            var texts: [String] = []
            return list { texts.append(String(decoding: $0, as: UTF8.self)) } ? texts : nil
        }

        /// A `@context`: a plain string, or an array of plain strings and of objects whose members are plain strings.
        /// Returns the objects (prefix declarations; the strings, URLs of contexts, declare none) as JSON for
        /// `JSONLDContext` to read.
        mutating func context() -> [JSONValue]? {
            if plainString() != nil { return [] }
            guard take(UInt8(ascii: "[")) else { return nil }
            var declarations: [JSONValue] = []
            if take(UInt8(ascii: "]")) { return declarations }
            repeat {
                if plainString() != nil { continue }
                guard take(UInt8(ascii: "{")) else { return nil }
                var members: [JSONValue.Member] = []
                if !take(UInt8(ascii: "}")) {
                    repeat {
                        guard let name = text(), take(UInt8(ascii: ":")), let value = text(),
                            !members.contains(where: { $0.key == name })
                        else { return nil }
                        members.append(JSONValue.Member(name, .string(value)))
                    } while take(UInt8(ascii: ","))
                    guard take(UInt8(ascii: "}")) else { return nil }
                }
                declarations.append(.object(members))
            } while take(UInt8(ascii: ","))
            return take(UInt8(ascii: "]")) ? declarations : nil
        }

        /// An array of objects, each with a plain string `entry` and at most a plain string `type`.
        mutating func references(entry: String) -> [EventHash.Reference]? {
            guard take(UInt8(ascii: "[")) else { return nil }
            var references: [EventHash.Reference] = []
            if take(UInt8(ascii: "]")) { return references }
            repeat {
                guard take(UInt8(ascii: "{")) else { return nil }
                var (type, value): (String?, String?) = (nil, nil)
                repeat {
                    guard let name = plainString(), take(UInt8(ascii: ":")), let text = text() else { return nil }
                    if type == nil, name.elementsEqual("type".utf8) {
                        type = text
                    } else if value == nil, name.elementsEqual(entry.utf8) {
                        value = text
                    } else {
                        return nil
                    }
                } while take(UInt8(ascii: ","))
                guard take(UInt8(ascii: "}")), let value else { return nil }
                references.append((type, value))
            } while take(UInt8(ascii: ","))
            return take(UInt8(ascii: "]")) ? references : nil
        }

        /// `{"id": <plain string>}`: the id.
        mutating func place() -> String? {
            guard take(UInt8(ascii: "{")), let name = plainString(), name.elementsEqual("id".utf8),
                take(UInt8(ascii: ":")), let id = text(), take(UInt8(ascii: "}"))
            else { return nil }
            return id
        }
    }
}
