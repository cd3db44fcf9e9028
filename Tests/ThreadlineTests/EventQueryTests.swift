import Testing
import TransparencyLog

@testable import Threadline

/// SimpleEventQuery parameters (Specs/11-trace.md §3): each bad value is refused with its parameter's code, and an
/// unknown name with one code, whatever the name.
struct EventQueryTests {
    @Test(arguments: [
        ("eventType", "Shipment", EngineCode.queryEventType), ("EQ_action", "MOVE", .queryEQAction),
        ("GE_eventTime", "yesterday", .queryGEEventTime), ("LT_eventTime", "2026-01-01T00:00:00", .queryLTEventTime),
        ("perPage", "0", .queryPerPage), ("perPage", "10001", .queryPerPage),
        ("nextPageToken", "-1", .queryNextPageToken),
        ("EQ_bizstep", "shipping", .queryParameter), ("<script>", "x", .queryParameter),
    ])
    func badParametersAreRefusedByCode(_ name: String, _ value: String, _ code: EngineCode) {
        let error = #expect(throws: EngineError.self) { try EventQuery(parameters: [(name, value)]) }
        #expect(error?.code == code, "\(name)=\(value): \(String(describing: error))")
    }

    @Test func goodParametersAreRead() throws {
        let query = try EventQuery(parameters: [
            ("EQ_bizStep", "shipping,receiving"), ("eventType", "ObjectEvent"),
            ("GE_eventTime", "2026-01-01T00:00:00Z"),
            ("perPage", "10"), ("nextPageToken", "41"),
        ])
        #expect(query.bizStep == ["shipping", "receiving"])
        #expect(query.eventTypes == [.object])
        #expect(query.fromTime == 1_767_225_600_000_000)
        #expect(query.limit == 10)
        #expect(query.afterSeq == 41)
    }
}
