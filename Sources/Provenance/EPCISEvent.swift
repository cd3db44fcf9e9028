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

    public let kind: Kind
    public let eventTime: Timestamp.DateTime
    /// As written, `±hh:mm`.
    public let eventTimeZoneOffset: String
    public let recordTime: Timestamp.DateTime?
    public let eventID: String?
    public let errorDeclaration: ErrorDeclaration?
    public let certificationInfo: [String]
    /// Nil only for a TransformationEvent, which has none.
    public let action: Action?
    /// The CBV 2.0 URI of the business step, or a user-defined URI.
    public let bizStep: String?
    /// The CBV 2.0 URI of the disposition, or a user-defined URI.
    public let disposition: String?
    public let persistentDispositionSet: [String]
    public let persistentDispositionUnset: [String]
    public let readPoint: String?
    public let bizLocation: String?
    public let parentID: String?
    public let epcList: [String]
    public let childEPCs: [String]
    public let inputEPCList: [String]
    public let outputEPCList: [String]
    public let quantityList: [QuantityElement]
    public let childQuantityList: [QuantityElement]
    public let inputQuantityList: [QuantityElement]
    public let outputQuantityList: [QuantityElement]
    public let transformationID: String?
    public let bizTransactionList: [TypedReference]
    public let sourceList: [TypedReference]
    public let destinationList: [TypedReference]
    /// Instance/lot master data, members as written.
    public let ilmd: [JSONValue.Member]
    /// Sensor elements as written (EPCIS 2.0 §7.3.8).
    public let sensorElementList: [JSONValue]
    /// Top-level user extension fields (`prefix:name`), as written.
    public let extensions: [JSONValue.Member]
    /// The event object exactly as written.
    public let json: JSONValue
    /// The CURIE prefixes in force for this event (its document's and its own `@context`).
    public let context: JSONLDContext

    /// The bare CBV business step (`shipping`), or nil for none or a user-defined URI.
    public var bizStepTerm: String? { bizStep.flatMap(CBV.bizStep.term(of:)) }

    /// The bare CBV disposition (`in_transit`), or nil for none or a user-defined URI.
    public var dispositionTerm: String? { disposition.flatMap(CBV.disposition.term(of:)) }

    /// The CBV 2.0 event hash (`ni:///sha-256;…?ver=CBV2.0`).
    public func hash(ignoring ignored: Set<String> = []) -> String {
        EventHash.of(json, context: context, ignoring: ignored)
    }

    /// Parses and validates one event object. `context` holds the enclosing document's prefixes; `path`
    /// names the event in error messages.
    public init(json: JSONValue, context: JSONLDContext = JSONLDContext(), path: String = "event") throws {
        var validator = EPCISValidator()
        guard let event = validator.event(json, context: context, path: path) else {
            throw EPCISValidationError(problems: validator.problems)
        }
        self = event
    }

    init(fields: EPCISEventFields) {
        kind = fields.kind
        eventTime = fields.eventTime
        eventTimeZoneOffset = fields.eventTimeZoneOffset
        recordTime = fields.recordTime
        eventID = fields.eventID
        errorDeclaration = fields.errorDeclaration
        certificationInfo = fields.certificationInfo
        action = fields.action
        bizStep = fields.bizStep
        disposition = fields.disposition
        persistentDispositionSet = fields.persistentDispositionSet
        persistentDispositionUnset = fields.persistentDispositionUnset
        readPoint = fields.readPoint
        bizLocation = fields.bizLocation
        parentID = fields.parentID
        epcList = fields.epcList
        childEPCs = fields.childEPCs
        inputEPCList = fields.inputEPCList
        outputEPCList = fields.outputEPCList
        quantityList = fields.quantityList
        childQuantityList = fields.childQuantityList
        inputQuantityList = fields.inputQuantityList
        outputQuantityList = fields.outputQuantityList
        transformationID = fields.transformationID
        bizTransactionList = fields.bizTransactionList
        sourceList = fields.sourceList
        destinationList = fields.destinationList
        ilmd = fields.ilmd
        sensorElementList = fields.sensorElementList
        extensions = fields.extensions
        json = fields.json
        context = fields.context
    }
}

/// The fields of an event while it is being read.
struct EPCISEventFields {
    var kind: EPCISEvent.Kind
    var eventTime = Timestamp.DateTime(micros: 0, offsetMinutes: 0)
    var eventTimeZoneOffset = ""
    var recordTime: Timestamp.DateTime?
    var eventID: String?
    var errorDeclaration: EPCISEvent.ErrorDeclaration?
    var certificationInfo: [String] = []
    var action: EPCISEvent.Action?
    var bizStep: String?
    var disposition: String?
    var persistentDispositionSet: [String] = []
    var persistentDispositionUnset: [String] = []
    var readPoint: String?
    var bizLocation: String?
    var parentID: String?
    var epcList: [String] = []
    var childEPCs: [String] = []
    var inputEPCList: [String] = []
    var outputEPCList: [String] = []
    var quantityList: [EPCISEvent.QuantityElement] = []
    var childQuantityList: [EPCISEvent.QuantityElement] = []
    var inputQuantityList: [EPCISEvent.QuantityElement] = []
    var outputQuantityList: [EPCISEvent.QuantityElement] = []
    var transformationID: String?
    var bizTransactionList: [EPCISEvent.TypedReference] = []
    var sourceList: [EPCISEvent.TypedReference] = []
    var destinationList: [EPCISEvent.TypedReference] = []
    var ilmd: [JSONValue.Member] = []
    var sensorElementList: [JSONValue] = []
    var extensions: [JSONValue.Member] = []
    var json: JSONValue
    var context: JSONLDContext
}

/// One reason an EPCIS document or event was refused: the field (a path such as
/// `epcisBody.eventList[1].bizStep`), a stable code, and what is wrong.
public struct EPCISProblem: Sendable, Hashable, CustomStringConvertible {
    public let path: String
    public let code: String
    public let message: String

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
