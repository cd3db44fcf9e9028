import FuzzSupport
import HTTPSignatures

/// A signed request's `Signature-Input` and `Signature` fields as a server receives them (the input's first line
/// and the rest), read by `StructuredField.dictionary` and checked by `RequestSignature.verify`
/// (`Specs/20-request-signatures.md`). Properties: what parses serialises to text that parses to the same
/// serialisation; verification refuses or accepts, never traps.
@main
enum FuzzRequestSignature: FuzzTarget {
    static let request = RequestSignature.Request(
        method: "POST", targetURI: "https://ledger.example/statements?x=1", body: Array(#"{"a":1}"#.utf8))

    static func fuzz(_ input: FuzzInput) {
        let text = input.text
        let lines = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        for line in lines {
            guard let members = try? StructuredField.dictionary(line) else { continue }
            let serialized = members.map { "\($0.key)=\(StructuredField.serialize($0.member))" }.joined(separator: ", ")
            let again = try? StructuredField.dictionary(serialized)
            require(again != nil, "the serialisation \(serialized) of a parsed field does not parse")
            let twice = again!.map { "\($0.key)=\(StructuredField.serialize($0.member))" }.joined(separator: ", ")
            require(twice == serialized, "serialising is not stable: \(serialized) then \(twice)")
        }
        let fields = ["signature-input": lines.first, "signature": lines.count > 1 ? lines[1] : nil]
        _ = try? RequestSignature.verify(request, field: { fields[$0] ?? nil }, now: 1_764_412_810)
        _ = try? ContentDigest.verify(text, body: request.body!)
    }
}
