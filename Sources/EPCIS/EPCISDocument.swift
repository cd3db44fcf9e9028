import TransparencyLog

/// An EPCIS 2.0 document in the JSON-LD binding (EPCIS 2.0 §12): an `EPCISDocument` (capture), an
/// `EPCISQueryDocument` (query results), or one event on its own with its `@context`. Parsing validates
/// every event and reports every problem, each naming its field.
public struct EPCISDocument: Sendable {
    /// The document as written.
    public let json: JSONValue
    /// The prefixes its `@context` declares.
    public let context: JSONLDContext
    /// Expanded names of the top-level event fields the document asks hashes to leave out (a
    /// `<prefix>:ignoreFields` member listing CURIEs), e.g. a repository's own annotations.
    public let ignoredFields: Set<String>
    /// The events, in document order.
    public let events: [EPCISEvent]

    /// The event hash of every event, in document order (CBV 2.0 §8.9).
    public var eventHashes: [String] { events.map { $0.hash(ignoring: ignoredFields) } }

    /// Parses and validates a document from its bytes.
    public init(parsing bytes: some Collection<UInt8>) throws {
        let json: JSONValue
        do {
            json = try JSONValue(parsing: bytes, duplicateKeys: .lastWins)
        } catch let error as EPCISError {
            throw EPCISValidationError(problems: [EPCISProblem(path: "$", code: "epcis.json", message: error.reason)])
        }
        try self.init(json: json)
    }

    /// Validates a parsed document.
    public init(json: JSONValue) throws {
        var validator = EPCISValidator()
        guard json.members != nil else {
            throw EPCISValidationError(problems: [
                EPCISProblem(path: "$", code: "epcis.document", message: "an EPCIS document must be a JSON object")
            ])
        }
        self.json = json
        if json["@context"] == nil {
            validator.problem(
                "@context", "context",
                "the document has no '@context'; EPCIS 2.0 JSON-LD starts with"
                    + " \"@context\": [\"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld\"]")
        }
        let context = JSONLDContext(json["@context"])
        self.context = context
        var ignored = Set<String>()
        for holder in [json, json["epcisBody"], json["epcisBody"]?["queryResults"]] {
            for member in holder?.members ?? [] where member.key.hasSuffix(":ignoreFields") {
                ignored.formUnion((member.value.elements ?? []).compactMap { $0.stringValue.map(context.expandedName) })
            }
        }
        ignoredFields = ignored
        var events: [EPCISEvent] = []
        for (path, event) in EPCISDocument.eventObjects(json, validator: &validator) {
            if let parsed = validator.event(event, context: context, path: path) { events.append(parsed) }
        }
        guard validator.problems.isEmpty else { throw EPCISValidationError(problems: validator.problems) }
        self.events = events
    }

    /// The event objects and their paths, checking the document's own fields on the way.
    static func eventObjects(_ json: JSONValue, validator: inout EPCISValidator) -> [(String, JSONValue)] {
        let type = json["type"]?.stringValue ?? ""
        if EPCISEvent.Kind(rawValue: type) != nil { return [("$", json)] }
        guard type == "EPCISDocument" || type == "EPCISQueryDocument" else {
            validator.problem(
                "type", "document",
                "document type is '\(type)'; it must be EPCISDocument, EPCISQueryDocument or an event type")
            return []
        }
        if let version = validator.required(json, "schemaVersion", "$").flatMap({
            validator.string($0, "schemaVersion")
        }),
            !version.hasPrefix("2.")
        {
            validator.problem("schemaVersion", "schemaVersion", "schemaVersion is '\(version)'; this reads EPCIS 2.x")
        }
        if let date = validator.required(json, "creationDate", "$") { _ = validator.dateTime(date, "creationDate") }
        guard let body = validator.required(json, "epcisBody", "$") else { return [] }
        var path = "epcisBody"
        var container = body
        if type == "EPCISQueryDocument" {
            guard let results = body["queryResults"]?["resultsBody"] else {
                validator.problem(
                    "epcisBody.queryResults.resultsBody", "required", "a query document has no queryResults.resultsBody"
                )
                return []
            }
            path = "epcisBody.queryResults.resultsBody"
            container = results
        }
        if let single = container["event"], container["eventList"] == nil { return [("\(path).event", single)] }
        guard let list = validator.required(container, "eventList", path) else { return [] }
        guard let elements = list.elements else {
            validator.problem("\(path).eventList", "type", "eventList must be an array, not \(list.typeName)")
            return []
        }
        return elements.enumerated().map { ("\(path).eventList[\($0)]", $1) }
    }
}

extension EPCISDocument {
    /// One event as a statement payload: the event object as written, preceded by its document's `@context`
    /// unless it has its own, so it reads (and hashes) the same on its own. `Specs/10-recording.md` §1.
    public static func statementPayload(event: JSONValue, documentContext: JSONValue?) -> [UInt8] {
        guard var members = event.members else { return Array(event.serialized.utf8) }
        if event["@context"] == nil, let documentContext {
            members.insert(JSONValue.Member("@context", documentContext), at: 0)
        }
        return Array(JSONValue.object(members).serialized.utf8)
    }

    /// Reads every event of a document on its own, so one bad event does not hide the others: each event's
    /// statement payload or its problems, and the problems of the document itself.
    public static func readEach(
        _ json: JSONValue
    ) -> (
        events: [(path: String, result: Result<(event: EPCISEvent, payload: [UInt8]), EPCISValidationError>)],
        problems: [EPCISProblem]
    ) {
        var validator = EPCISValidator()
        if json["@context"] == nil {
            validator.problem("@context", "context", "the document has no '@context'")
        }
        let context = JSONLDContext(json["@context"])
        let objects = eventObjects(json, validator: &validator)
        let documentProblems = validator.problems
        let events = objects.map { path, object in
            var eventValidator = EPCISValidator()
            guard let event = eventValidator.event(object, context: context, path: path) else {
                return (
                    path,
                    Result<(event: EPCISEvent, payload: [UInt8]), EPCISValidationError>.failure(
                        EPCISValidationError(problems: eventValidator.problems))
                )
            }
            return (path, .success((event, statementPayload(event: object, documentContext: json["@context"]))))
        }
        return (events, documentProblems)
    }
}
