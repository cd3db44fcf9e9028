import EPCIS
import Foundation
import Statements
import Testing
import ThreadlineTestSupport

/// Hidden codes against copied labels (Specs/24-products.md §7): their form, the commitment's hash — checked
/// against Python's hashlib.scrypt — and the statements' one form.
struct HiddenCodeTests {
    static let product = "https://id.gs1.org/01/00614141123452/21/TS-0001"

    @Test func codesAreCrockfordBase32OfAtLeastFortyBits() {
        #expect(HiddenCode.normalized("8w15q-neqp6") == "8W15QNEQP6")
        #expect(HiddenCode.normalized(" 8W15Q NEQP6 ") == "8W15QNEQP6")
        #expect(HiddenCode.normalized("ILO12345") == "11012345")  // read as Crockford does
        for bad in [
            "", "ABC", "1234567", "ABCDE-FGHIU", "ABCDE_FGHIJ", "ÄBCDEFGHIJ", String(repeating: "A", count: 33),
        ] {
            #expect(HiddenCode.normalized(bad) == nil, "\(bad)")
        }
        var seen: Set<String> = []
        for _ in 0..<200 {
            let code = HiddenCode.draw()
            #expect(code.count == 11 && code.dropFirst(5).first == "-")
            #expect(HiddenCode.normalized(code)?.count == 10)
            seen.insert(code)
        }
        #expect(seen.count == 200)
    }

    @Test func aCommitmentMatchesItsCodeOnlyAndReadsBackTheSame() throws {
        let commitment = try CodeCommitment(code: "8W15QNEQP6", product: Self.product)
        #expect(commitment.matches("8w15q-neqp6") && commitment.matches("8W15QNEQP6"))
        #expect(!commitment.matches("8W15QNEQP7") && !commitment.matches("") && !commitment.matches("nonsense!"))
        // Bound to its product: the same code and salt say nothing of another serial.
        let other = try CodeCommitment(
            product: "https://id.gs1.org/01/00614141123452/21/TS-0002", salt: commitment.salt, hash: commitment.hash)
        #expect(!other.matches("8W15QNEQP6"))
        let payload = String(decoding: commitment.payload, as: UTF8.self)
        #expect(payload.hasPrefix(#"{"product":"https://id.gs1.org/01/00614141123452/21/TS-0001","salt":""#))
        #expect(payload.hasSuffix(#","kdf":{"name":"scrypt","N":16384,"r":8,"p":1}}"#))
        #expect(try CodeCommitment(payload: commitment.payload) == commitment)
        // One form only: weaker parameters, or spacing, are refused.
        for changed in [
            payload.replacingOccurrences(of: #""N":16384"#, with: #""N":2"#),
            payload.replacingOccurrences(of: ",", with: ", "),
            payload.replacingOccurrences(of: "/21/TS-0001", with: "/10/LOT"),
            payload.replacingOccurrences(
                of: "https://id.gs1.org/01/00614141123452", with: "https://id.gs1.org/01/614141123452"),
        ] {
            #expect(throws: StatementError.self) { try CodeCommitment(payload: Array(changed.utf8)) }
        }
    }

    @Test func theHashIsScryptAsPythonComputesIt() throws {
        let commitment = try CodeCommitment(code: "8W15QNEQP6", product: Self.product)
        let (status, output) = try PythonPeer.run(
            [Self.product, "8W15QNEQP6", Base64URL.encode(commitment.salt)], script: "StatementsTests/scrypt_peer.py")
        #expect(status == 0)
        #expect(output.trimmingCharacters(in: .newlines) == Base64URL.encode(commitment.hash))
    }

    @Test func aVerificationIsTheSerialAndTheTimeOnly() throws {
        let verification = try CodeVerification(product: Self.product, number: 1, millis: 1_796_000_000_123)
        #expect(
            String(decoding: verification.payload, as: UTF8.self)
                == #"{"product":"https://id.gs1.org/01/00614141123452/21/TS-0001","number":1,"verifiedAt":"2026-11-30T00:53:20.123Z"}"#
        )
        #expect(try CodeVerification(payload: verification.payload) == verification)
        #expect(throws: StatementError.self) {
            try CodeVerification(
                payload: Array(#"{"product":"x","number":1,"verifiedAt":"2026-11-30T01:33:20.123Z"}"#.utf8))
        }
        #expect(throws: StatementError.self) {
            try CodeVerification(
                payload: Array(
                    #"{"product":"https://id.gs1.org/01/00614141123452/21/TS-0001","number":1,"verifiedAt":"2026-11-30T01:33:20.123Z","ip":"1.2.3.4"}"#
                        .utf8))
        }
    }
}

extension HiddenCodeTests {
    /// Specs/24-products.md §7's vector, computed with Python's hashlib.scrypt.
    @Test func theSpecsCommitmentVectorMatchesItsCode() throws {
        let spec = try String(
            contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("Specs/24-products.md"), encoding: .utf8)
        let line = try #require(
            spec.split(separator: "\n").first { $0.hasPrefix(#"{"product":"#) && $0.contains("salt") })
        let commitment = try CodeCommitment(payload: Array(line.utf8))
        #expect(commitment.salt == [UInt8](repeating: 1, count: 16))
        #expect(commitment.matches("8W15Q-NEQP6") && !commitment.matches("8W15Q-NEQP7"))
        #expect(
            try HiddenCode.hash(code: "8W15QNEQP6", product: Self.product, salt: commitment.salt) == commitment.hash)
    }
}
