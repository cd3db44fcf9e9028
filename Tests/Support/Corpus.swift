import Foundation

/// The peers' EPCIS corpora in `../shared/vectors`, read in place.
public enum Corpus {
    public static let vectors = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/vectors")

    /// Files under `folder` whose names end in one of `extensions`, sorted, as paths relative to the vectors.
    public static func files(under folder: String, extensions: Set<String>) -> [String] {
        let root = vectors.appendingPathComponent(folder)
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else { return [] }
        return walker.compactMap { $0 as? URL }.filter { extensions.contains($0.pathExtension) }
            .map { String($0.path.dropFirst(vectors.path.count + 1)) }.sorted()
    }

    public static func bytes(_ relative: String) throws -> Data {
        try Data(contentsOf: vectors.appendingPathComponent(relative))
    }

    public static let hashExamples = files(under: "epcis-event-hash/tests/examples", extensions: ["jsonld"])
        .filter { FileManager.default.fileExists(atPath: vectors.appendingPathComponent(hashesFile(of: $0)).path) }

    public static func hashesFile(of jsonld: String) -> String { String(jsonld.dropLast("jsonld".count)) + "hashes" }

    public static let validDocuments =
        files(under: "epcis-gs1/JSON", extensions: ["jsonld", "json"])
        + files(under: "epcis-openepcis/Capture/Documents", extensions: ["json"])
        + files(under: "epcis-openepcis/Capture/Events", extensions: ["json"])

    public static let invalidDocuments = files(under: "epcis-openepcis/Capture/Invalid", extensions: ["json"])
}

/// Events written for the tests.
public enum Fixtures {
    /// Events whose `@context` declares prefixes that their values use, written whole.
    public static let prefixedEvents: [String] = {
        let context =
            #""@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",{"tl":"https://threadline.example/ns/","cbvmda":"urn:epcglobal:cbv:mda:","urn":"https://not.example/","https":"https://evil.example/"}]"#
        return [
            #"{\#(context),"type":"ObjectEvent","eventTime":"2026-05-20T09:30:00Z","eventTimeZoneOffset":"+02:00","epcList":["tl:item-1","urn:epc:id:sgtin:4012345.011111.2"],"action":"OBSERVE","bizStep":"tl:dyeing","disposition":"in_transit","readPoint":{"id":"tl:mill"},"certificationInfo":"tl:cert/9"}"#,
            #"{\#(context),"type":"ObjectEvent","eventTime":"2026-05-20T09:30:00Z","eventTimeZoneOffset":"+02:00","epcList":["https://id.gs1.org/01/04012345111118/21/3"],"action":"ADD","bizStep":"commissioning","sourceList":[{"type":"tl:supplier","source":"tl:party/7"}],"destinationList":[{"type":"owning_party","destination":"https://id.gs1.org/417/4012345000009"}]}"#,
            #"{"@context":[{"tl":"https://threadline.example/ns/"},{"tl":"https://other.example/"}],"type":"ObjectEvent","eventTime":"2026-05-20T09:30:00Z","eventTimeZoneOffset":"+02:00","epcList":["tl:x"],"action":"OBSERVE"}"#,
        ]
    }()
}
