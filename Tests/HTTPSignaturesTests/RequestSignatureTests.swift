import Crypto
import Foundation
@testable import HTTPSignatures
import Testing
import ThreadlineTestSupport
import TransparencyLog

/// Threadline's RFC 9421 profile (Specs/20-request-signatures.md): what verifies, what is refused and why, and
/// agreement both ways with an independent implementation (Python's http-message-signatures).
struct RequestSignatureTests {
    static let seed = [UInt8](repeating: 1, count: 32)
    static let key = try! Curve25519.Signing.PrivateKey(rawRepresentation: seed)
    static let keyid = try! Ed25519NoteSigner(name: "farm", privateKey: key).verifier.verifierKey
    static let created: Int64 = 1_764_412_800
    static let post = RequestSignature.Request(
        method: "POST", targetURI: "https://ledger.example/statements?x=1", body: Array(#"{"a":1}"#.utf8))
    static let get = RequestSignature.Request(method: "GET", targetURI: "https://ledger.example/trace?code=a%20b")

    static func signed(_ request: RequestSignature.Request, nonce: String = "n0nce") throws -> [String: String] {
        let fields = try RequestSignature.sign(request, key: key, keyid: keyid, created: created, nonce: nonce)
        return Dictionary(uniqueKeysWithValues: fields.map { ($0.name.lowercased(), $0.value) })
    }

    static func verify(
        _ request: RequestSignature.Request, _ fields: [String: String], now: Int64 = created + 10
    ) throws(SignatureError) -> RequestSignature.Verified {
        try RequestSignature.verify(request, field: { fields[$0] }, now: now)
    }

    @Test func aSignedRequestVerifiesWithAndWithoutABody() throws {
        for request in [Self.post, Self.get] {
            let fields = try Self.signed(request)
            let verified = try Self.verify(request, fields)
            #expect(
                [verified.keyid, String(verified.created), verified.nonce] == [
                    Self.keyid, String(Self.created), "n0nce",
                ])
            #expect((fields["content-digest"] != nil) == (request.body != nil))
        }
    }

    @Test func eachChangeIsRefusedWithItsCode() throws {
        let fields = try Self.signed(Self.post)
        func refusal(
            _ request: RequestSignature.Request, _ fields: [String: String], now: Int64 = Self.created + 10
        )
            -> SignatureCode?
        {
            do { _ = try Self.verify(request, fields, now: now) } catch { return error.code }
            return nil
        }
        var other = Self.post
        other.method = "PUT"
        #expect(refusal(other, fields) == .invalid)
        other = Self.post
        other.targetURI = "https://ledger.example/statements?x=2"
        #expect(refusal(other, fields) == .invalid)
        other = Self.post
        other.body = Array(#"{"a":2}"#.utf8)
        #expect(refusal(other, fields) == .digest)
        #expect(refusal(Self.post, fields, now: Self.created + 301) == .expired)
        #expect(refusal(Self.post, fields, now: Self.created - 31) == .expired)
        #expect(refusal(Self.post, [:]) == .missing)
        // A body the signature does not cover: signed as a GET, sent with a body.
        let bodiless = try Self.signed(Self.get)
        var withBody = Self.get
        withBody.body = []
        #expect(refusal(withBody, bodiless) == .components)
        // Two signatures; a wrong algorithm; a keyid that is not a verifier key; a bad field.
        var twice = fields
        twice["signature-input"]! += ", sig2=(\"@method\");created=1;keyid=\"k\";alg=\"ed25519\";nonce=\"n\""
        #expect(refusal(Self.post, twice) == .count)
        var rsa = fields
        rsa["signature-input"] = fields["signature-input"]!.replacingOccurrences(of: "ed25519", with: "rsa-pss-sha512")
        #expect(refusal(Self.post, rsa) == .parameters)
        var noNonce = fields
        noNonce["signature-input"] = fields["signature-input"]!.replacingOccurrences(of: ";nonce=\"n0nce\"", with: "")
        #expect(refusal(Self.post, noNonce) == .parameters)
        var stranger = fields
        stranger["signature-input"] = fields["signature-input"]!.replacingOccurrences(of: Self.keyid, with: "stranger")
        #expect(refusal(Self.post, stranger) == .key)
        var broken = fields
        broken["signature"] = "sig1=:not base64!:"
        #expect(refusal(Self.post, broken) == .fieldSyntax)
    }

    @Test(arguments: [
        "sig1=", "sig1=(", "sig1=(\"a\"", "sig1=(\"a\" 1.5)", "Sig1=1", "sig1=1,", "sig1=1, sig1=2",
        "sig1=\"\u{7}\"", "sig1=\"a\\b\"", "sig1=:AA", "sig1=?2", "sig1=1234567890123456", "sig1=(a b);", "sig1=@",
    ])
    func malformedFieldsAreRefused(_ text: String) {
        let error = #expect(throws: SignatureError.self, "\(text)") { try StructuredField.dictionary(text) }
        #expect(error?.code == .fieldSyntax)
    }

    @Test func fieldsParseAndSerialiseAsRFC8941Says() throws {
        let text =
            #"sig1=("@method" "@target-uri");created=1618884473;keyid="test-key";alg="ed25519", b=?0, c;x, d=:AQID:, e=tok/1"#
        let members = try StructuredField.dictionary(text)
        #expect(members.map(\.key) == ["sig1", "b", "c", "d", "e"])
        #expect(
            members.map { StructuredField.serialize($0.member) } == [
                #"("@method" "@target-uri");created=1618884473;keyid="test-key";alg="ed25519""#, "?0", "?1;x", ":AQID:",
                "tok/1",
            ])
    }

    @Test func theSpecsVectorIsWhatWeSign() throws {
        let spec = try String(
            contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("Specs/20-request-signatures.md"),
            encoding: .utf8)
        let fields = try RequestSignature.sign(
            Self.post, key: Self.key, keyid: Self.keyid, created: Self.created, nonce: "n0nce")
        #expect(spec.contains(Self.keyid))
        for field in fields { #expect(spec.contains("\(field.name): \(field.value)\n"), "\(field.name)") }
        let base = try #require(
            spec.components(separatedBy: "Its signature base:\n\n```\n").last?.components(separatedBy: "\n```").first)
        let params = try #require(fields.last { $0.name == "Signature-Input" }?.value.dropFirst("sig1=".count))
        #expect(
            RequestSignature.base(
                ["@method", "@target-uri", "content-digest"],
                [Self.post.method, Self.post.targetURI, fields[0].value], params: String(params)) == base)
    }

    // MARK: The independent peer

    static func python(_ arguments: [String], stdin: String = "") throws -> (status: Int32, output: String) {
        try PythonPeer.run(arguments, stdin: stdin)
    }

    static func hex(_ bytes: [UInt8]) -> String { PythonPeer.hex(bytes) }

    @Test(.enabled(if: PythonPeer.runs, "needs: pip install http-message-signatures requests (always run in CI)"))
    func thePythonPeerSignsWhatWeVerifyByteForByte() throws {
        for request in [Self.post, Self.get] {
            let peer = try Self.python(
                [
                    "sign", Self.hex(Self.seed), Self.keyid, String(Self.created), "n0nce", request.method,
                    request.targetURI, request.body.map(Self.hex) ?? "-",
                ])
            #expect(peer.status == 0, "install it with: pip install http-message-signatures")
            let fields = Dictionary(
                uniqueKeysWithValues: peer.output.split(separator: "\n").map {
                    let parts = $0.split(separator: ":", maxSplits: 1)
                    return (parts[0].lowercased(), parts[1].trimmingCharacters(in: .whitespaces))
                })
            #expect(try Self.verify(request, fields).keyid == Self.keyid)
            // Ed25519 is deterministic: the same request, key, time and nonce give the same fields.
            #expect(fields == (try Self.signed(request)))
        }
    }

    @Test(.enabled(if: PythonPeer.runs, "needs: pip install http-message-signatures requests (always run in CI)"))
    func thePythonPeerVerifiesWhatWeSign() throws {
        let publicKey = Self.hex(Array(Self.key.publicKey.rawRepresentation))
        for request in [Self.post, Self.get] {
            let fields = try RequestSignature.sign(
                request, key: Self.key, keyid: Self.keyid, created: Int64(Date().timeIntervalSince1970), nonce: "abc")
            let peer = try Self.python(
                ["verify", publicKey, request.method, request.targetURI, request.body.map(Self.hex) ?? "-"],
                stdin: fields.map { "\($0.name): \($0.value)" }.joined(separator: "\n"))
            #expect(peer.status == 0)
            #expect(peer.output == "ok \(Self.keyid)\n")
        }
        // And refuses what was changed after signing.
        let fields = try RequestSignature.sign(
            Self.post, key: Self.key, keyid: Self.keyid, created: Int64(Date().timeIntervalSince1970), nonce: "abc")
        let peer = try Self.python(
            ["verify", publicKey, "POST", Self.post.targetURI, Self.hex(Array("{}".utf8))],
            stdin: fields.map { "\($0.name): \($0.value)" }.joined(separator: "\n"))
        #expect(peer.status != 0)
    }
}
