import GS1Identifiers
import TransparencyLog

/// An EPCIS 2.0 event (GS1 EPCIS 2.0 §7.4, JSON-LD binding §12): what happened to which things, when,
/// where and why. The typed fields are what Threadline reasons with; `json` is the event exactly as it was
/// written, extension fields included, and is what gets signed, stored and hashed.
public struct EPCISEvent: Sendable, Hashable {
    /// The five event types.
    public enum Kind: String, Sendable, CaseIterable {
        case object = "ObjectEvent"
        case aggregation = "AggregationEvent"
        case transaction = "TransactionEvent"
        case transformation = "TransformationEvent"
        case association = "AssociationEvent"
    }

    /// How the event relates to the objects' lifecycle (EPCIS 2.0 §7.3.2).
    public enum Action: String, Sendable {
        case add = "ADD"
        case observe = "OBSERVE"
        case delete = "DELETE"
    }

    /// A quantity of a class of objects (EPCIS 2.0 §7.3.3.3): a class (a GTIN, a GTIN and lot, …) and an
    /// optional quantity with an optional UN/CEFACT unit (none means a count of instances).
    public struct QuantityElement: Sendable, Hashable {
        public let epcClass: String
        public let quantity: Double?
        public let uom: String?

        public init(epcClass: String, quantity: Double?, uom: String?) {
            self.epcClass = epcClass
            self.quantity = quantity
            self.uom = uom
        }
    }

    /// A typed reference: a business transaction, a source or a destination (EPCIS 2.0 §7.3.5.3–4).
    public struct TypedReference: Sendable, Hashable {
        /// The CBV 2.0 URI of the type, or a user-defined URI; nil for an untyped business transaction.
        public let type: String?
        public let value: String

        public init(type: String?, value: String) {
            self.type = type
            self.value = value
        }
    }

    /// An error declaration (EPCIS 2.0 §7.4.1.2): this event is declared wrong.
    public struct ErrorDeclaration: Sendable, Hashable {
        public let declarationTime: Timestamp.DateTime
        public let reason: String?
        public let correctiveEventIDs: [String]
    }

    public package(set) var kind: Kind
    public package(set) var eventTime: Timestamp.DateTime = Timestamp.DateTime(micros: 0, offsetMinutes: 0)
    /// As written, `±hh:mm`.
    public package(set) var eventTimeZoneOffset: String = ""
    public package(set) var recordTime: Timestamp.DateTime?
    public package(set) var eventID: String?
    public package(set) var errorDeclaration: ErrorDeclaration?
    public package(set) var certificationInfo: [String] = []
    /// Nil only for a TransformationEvent, which has none.
    public package(set) var action: Action?
    /// The CBV 2.0 URI of the business step, or a user-defined URI.
    public package(set) var bizStep: String?
    /// The CBV 2.0 URI of the disposition, or a user-defined URI.
    public package(set) var disposition: String?
    public package(set) var persistentDispositionSet: [String] = []
    public package(set) var persistentDispositionUnset: [String] = []
    public package(set) var readPoint: String?
    public package(set) var bizLocation: String?
    public package(set) var parentID: String?
    public package(set) var epcList: [String] = []
    public package(set) var childEPCs: [String] = []
    public package(set) var inputEPCList: [String] = []
    public package(set) var outputEPCList: [String] = []
    public package(set) var quantityList: [QuantityElement] = []
    public package(set) var childQuantityList: [QuantityElement] = []
    public package(set) var inputQuantityList: [QuantityElement] = []
    public package(set) var outputQuantityList: [QuantityElement] = []
    public package(set) var transformationID: String?
    public package(set) var bizTransactionList: [TypedReference] = []
    public package(set) var sourceList: [TypedReference] = []
    public package(set) var destinationList: [TypedReference] = []
    /// Instance/lot master data, members as written.
    public package(set) var ilmd: [JSONValue.Member] = []
    /// Sensor elements as written (EPCIS 2.0 §7.3.8).
    public package(set) var sensorElementList: [JSONValue] = []
    /// Top-level user extension fields (`prefix:name`), as written.
    public package(set) var extensions: [JSONValue.Member] = []
    /// The event object exactly as written.
    public package(set) var json: JSONValue
    /// The CURIE prefixes in force for this event (its document's and its own `@context`).
    public package(set) var context: JSONLDContext
    /// The canonical Digital Link of each identifier the event names that has one (objects, classes, parent,
    /// places, sources and destinations), worked out once when the event is read: the event hash, the index
    /// keys and the recording rules all look identifiers up here.
    package var canonicalForms = CanonicalForms()

    /// The bare CBV business step (`shipping`), or nil for none or a user-defined URI.
    public var bizStepTerm: String? { bizStep.flatMap(CBV.bizStep.term(of:)) }

    /// The bare CBV disposition (`in_transit`), or nil for none or a user-defined URI.
    public var dispositionTerm: String? { disposition.flatMap(CBV.disposition.term(of:)) }

    /// The CBV 2.0 event hash (`ni:///sha-256;…?ver=CBV2.0`).
    public func hash(ignoring ignored: Set<String> = []) -> String {
        EventHash.uri(of: hashDigest(ignoring: ignored))
    }

    /// The SHA-256 digest the CBV 2.0 event hash names (what `hash()` writes in hex).
    public func hashDigest(ignoring ignored: Set<String> = []) -> Hash {
        EventHash.digest(ofPreHash: preHashBytes(ignoring: ignored))
    }

    /// The event hash's pre-hash string, written with what validating the event found (its canonical forms and
    /// its time), as `EventHash.preHashBytes` would write it from the JSON alone.
    func preHashBytes(ignoring ignored: Set<String> = []) -> [UInt8] {
        EventHash.preHashBytes(
            of: json, context: context, ignoring: ignored, canonicalForms: canonicalForms,
            validated: .init(eventTime: eventTime))
    }

    /// Records the canonical forms of every identifier the event names.
    package mutating func findCanonicalForms() {
        findCanonicalForms { DigitalLink.canonicalURI(for: $0) }
    }

    /// `findCanonicalForms()`, the forms of its places and parties taken from `places` (kept by a thread that
    /// reads many events naming the same few).
    package mutating func findCanonicalForms(places: inout PlaceForms) {
        findCanonicalForms { places.form(of: $0) }
    }

    /// Records the canonical forms of the objects, and of the places and parties by `placeForm`.
    private mutating func findCanonicalForms(placeForm: (String) -> String?) {
        // Gathered apart from `self`: a closure that changed `self` while `forEachObject` reads it would make
        // Swift copy the whole event.
        var forms = CanonicalForms()
        forEachObject { identifier in
            if forms[identifier] == nil, let form = DigitalLink.canonicalURI(for: identifier) {
                forms.add(identifier, form)
            }
        }
        forEachPlaceOrParty { identifier in
            if forms[identifier] == nil, let form = placeForm(identifier) { forms.add(identifier, form) }
        }
        canonicalForms = forms
    }

    /// Calls `body` with every object, class or lot the event names (what `epc:` index keys name): its EPC
    /// lists, its parent, and the classes of its quantity lists.
    package func forEachObject(_ body: (String) -> Void) {
        epcList.forEach(body)
        childEPCs.forEach(body)
        inputEPCList.forEach(body)
        outputEPCList.forEach(body)
        if let parentID { body(parentID) }
        for element in quantityList { body(element.epcClass) }
        for element in childQuantityList { body(element.epcClass) }
        for element in inputQuantityList { body(element.epcClass) }
        for element in outputQuantityList { body(element.epcClass) }
    }

    /// Calls `body` with every identifier the event names: objects, parent, classes, places, sources and
    /// destinations (without gathering them into a new array).
    func forEachIdentifier(_ body: (String) -> Void) {
        forEachObject(body)
        forEachPlaceOrParty(body)
    }

    /// Calls `body` with the event's places, sources and destinations.
    private func forEachPlaceOrParty(_ body: (String) -> Void) {
        if let readPoint { body(readPoint) }
        if let bizLocation { body(bizLocation) }
        for reference in sourceList { body(reference.value) }
        for reference in destinationList { body(reference.value) }
    }

    /// Parses and validates one event object. `context` holds the enclosing document's prefixes; `path`
    /// names the event in error messages.
    public init(json: JSONValue, context: JSONLDContext = JSONLDContext(), path: String = "event") throws {
        self.init(kind: .object, json: json, context: context)
        var validator = EPCISValidator()
        guard validator.read(json, context: context, path: path, into: &self) else {
            throw EPCISValidationError(problems: validator.problems)
        }
    }

    /// Parses and validates the disclosed part of an event (a sealed event opened with some of its disclosures,
    /// `Specs/23-sealed-events.md` §4): every member present is checked as `init(json:)` checks it, and the
    /// required ones (times, zone, action) must be there, but what each type must name (§7.4.2–7.4.6) is not
    /// asked for. Its hash is not the event's: the withheld members are not in it.
    public init(disclosed json: JSONValue, context: JSONLDContext = JSONLDContext(), path: String = "event") throws {
        self.init(kind: .object, json: json, context: context)
        var validator = EPCISValidator()
        validator.partial = true
        guard validator.read(json, context: context, path: path, into: &self) else {
            throw EPCISValidationError(problems: validator.problems)
        }
    }

    /// An event of `kind` with nothing else yet, for the validator to fill in.
    package init(kind: Kind, json: JSONValue, context: JSONLDContext) {
        self.kind = kind
        self.json = json
        self.context = context
    }
}

/// One reason an EPCIS document or event was refused: the field (a path such as
/// `epcisBody.eventList[1].bizStep`), a stable code, and what is wrong.
public struct EPCISProblem: Sendable, Hashable, CustomStringConvertible {
    public let path: String
    public let code: String
    public let message: String

    public init(path: String, code: String, message: String) {
        self.path = path
        self.code = code
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}

/// An EPCIS document or event that does not validate, with every problem found.
public struct EPCISValidationError: Error, Sendable, CustomStringConvertible {
    public let problems: [EPCISProblem]

    public init(problems: [EPCISProblem]) {
        self.problems = problems
    }

    public var description: String {
        problems.count == 1
            ? problems[0].description
            : "\(problems.count) problems:\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
    }
}
