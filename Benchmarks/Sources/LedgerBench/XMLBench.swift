import EPCIS
import EPCISXML
import Foundation

/// The XML reader against the JSON-LD reader (`Specs/08-epcis.md` §6): the same N events as one EPCIS 2.0 JSON-LD
/// document and as the EPCIS 2.0 XML document `convert` writes of it, each read into validated events on one core,
/// the best of three runs; the time per event and the ratio (target: XML within 2× JSON-LD).
extension LedgerBench {
    func runXML(events count: Int) throws {
        let events = (0..<count).map { i -> String in
            let serials = (0..<12).map { "\"urn:epc:id:sgtin:0614141.112345.\(i)-\($0)\"" }.joined(separator: ",")
            let time = Timestamp.format(millis: Int64(1_790_000_000 + i) * 1000)
            return i % 2 == 0
                ? #"{"type":"ObjectEvent","eventTime":"\#(time)","eventTimeZoneOffset":"+06:00","action":"ADD","bizStep":"commissioning","disposition":"active","epcList":[\#(serials)],"readPoint":{"id":"urn:epc:id:sgln:8801234.00001.0"},"bizLocation":{"id":"urn:epc:id:sgln:8801234.00001.0"},"certificationInfo":["https://certifier.example/gots/TC-\#(i % 997)"]}"#
                : #"{"type":"ObjectEvent","eventTime":"\#(time)","eventTimeZoneOffset":"+06:00","action":"OBSERVE","bizStep":"shipping","disposition":"in_transit","quantityList":[{"epcClass":"urn:epc:class:lgtin:8801234.012345.L\#(i)","quantity":500,"uom":"MTR"}],"destinationList":[{"type":"owning_party","destination":"urn:epc:id:pgln:0614141.00000"}],"tl:loom":"L-\#(i % 40)"}"#
        }
        let json = Array(
            (#"{"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",{"tl":"https://threadline.example/ns/"}],"type":"EPCISDocument","schemaVersion":"2.0","creationDate":"2026-12-01T00:00:00Z","epcisBody":{"eventList":["#
                + events.joined(separator: ",") + "]}}").utf8)
        // The benchmark's own document: it reads and converts.
        let document = try EPCISDocument(parsing: json)
        let xml = Array(try EPCISXMLWriter.document(document).utf8)
        print(
            String(
                format: "xml     %d events (half 12 serials, half a quantity shipped): %.1f MiB JSON-LD, %.1f MiB XML",
                count, Double(json.count) / 1_048_576, Double(xml.count) / 1_048_576))
        func best(_ read: () throws -> Int) rethrows -> Double {
            var fastest = Double.infinity
            for _ in 0..<3 {
                let start = DispatchTime.now().uptimeNanoseconds
                let read = try read()
                precondition(read == count)
                fastest = min(fastest, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
            return fastest
        }
        let jsonSeconds = try best {
            try EPCISDocument(json: try JSONValue(parsing: json, duplicateKeys: .lastWins)).events.count
        }
        let xmlSeconds = try best { try EPCISDocument(json: try EPCISXMLReader.read(xml).json).events.count }
        let perEvent = { (seconds: Double) in seconds / Double(count) * 1e6 }
        let mapped = try EPCISXMLReader.read(xml).json
        let parsed = try JSONValue(parsing: json, duplicateKeys: .lastWins)
        let mapSeconds = try best { try EPCISXMLReader.read(xml).json["epcisBody"]?["eventList"]?.elements?.count ?? 0 }
        let parseSeconds = try best {
            try JSONValue(parsing: json, duplicateKeys: .lastWins)["epcisBody"]?["eventList"]?.elements?.count ?? 0
        }
        let validateXMLSeconds = try best { try EPCISDocument(json: mapped).events.count }
        let validateJSONSeconds = try best { try EPCISDocument(json: parsed).events.count }
        print(
            String(
                format:
                    "xml     parts, µs an event: XML to JSON-LD %.2f, JSON parse %.2f; validating either %.2f / %.2f",
                perEvent(mapSeconds), perEvent(parseSeconds), perEvent(validateXMLSeconds),
                perEvent(validateJSONSeconds)))
        print(String(format: "xml     JSON-LD read and validated:  %7.2f µs an event", perEvent(jsonSeconds)))
        print(String(format: "xml     XML read and validated:      %7.2f µs an event", perEvent(xmlSeconds)))
        print(String(format: "xml     XML / JSON-LD: %.2f× (target ≤ 2)", xmlSeconds / jsonSeconds))
    }
}
