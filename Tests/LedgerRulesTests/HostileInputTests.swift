@testable import EPCIS
import Foundation
@testable import LedgerRules
@testable import Participants
@testable import Statements
import Testing
import TransparencyLog

/// Inputs an attacker chooses, each of which once crashed or misled a parser (`Specs/08-epcis.md` §Times,
/// `Specs/09-participants.md` §2, `Specs/03-statements.md` §1).
struct HostileInputTests {
    @Test(
        "times whose UTC value falls outside years 0000-9999 are not times",
        arguments: [
            "0000-01-01T00:00:00+00:01", "0000-01-01T00:00:00.000+14:00", "9999-12-31T23:59:59.9995Z",
            "9999-12-31T23:59:00-00:01", "9999-12-31T10:00:00-14:00",
        ])
    func outOfRange(_ text: String) {
        #expect(Timestamp.parseDateTime(text) == nil)
        #expect(Timestamp.parseDateTime(text, requireZone: false) == nil)
    }

    @Test(
        "the first and last representable times are read and written back",
        arguments: [
            ("0000-01-01T00:00:00Z", "0000-01-01T00:00:00.000Z"),
            ("0000-01-01T00:00:00-00:01", "0000-01-01T00:01:00.000Z"),
            ("9999-12-31T23:59:59.9994Z", "9999-12-31T23:59:59.999Z"),
            ("9999-12-31T23:59:59+14:00", "9999-12-31T09:59:59.000Z"),
        ])
    func inRange(_ text: String, _ utc: String) throws {
        let time = try #require(Timestamp.parseDateTime(text))
        #expect(Timestamp.format(millis: time.millis) == utc)
    }

    @Test func anEventBeforeYearZeroIsInvalidNotACrash() throws {
        let payload = Array(
            #"{"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],"type":"ObjectEvent","eventTime":"0000-01-01T00:00:00+00:01","eventTimeZoneOffset":"+00:01","action":"OBSERVE","epcList":["urn:epc:id:sgtin:0614141.112345.1"]}"#
                .utf8)
        #expect(throws: StatementError.self) {
            try Statement(payloadType: Statement.eventPayloadType, payload: payload)
        }
        #expect(throws: (any Error).self) { try EventFacts(payload: payload, indexKeys: true) }
    }

    @Test func anEnvelopeWithAMemberNamedTwiceIsRefused() throws {
        let key = try SigningKey(name: "k", seed: [UInt8](repeating: 5, count: 32))
        let envelope = try Envelope(signing: Array("a".utf8), type: "text/plain", with: key)
        let canonical = String(decoding: envelope.canonicalJSON, as: UTF8.self)
        #expect(try Envelope(json: Array(canonical.utf8)) == envelope)
        // Another payload under the same name: one reader would take the first, another the last.
        let twice = canonical.replacingOccurrences(of: #""payload":"#, with: #""payload":"Yg==","payload":"#)
        let error = try #require(throws: StatementError.self) { try Envelope(json: Array(twice.utf8)) }
        #expect(error.code == .envelopeJSON)
        #expect(error.reason.contains("payload"))
        let signatureTwice = canonical.replacingOccurrences(of: #""keyid":"#, with: #""keyid":"x","keyid":"#)
        #expect(throws: StatementError.self) { try Envelope(json: Array(signatureTwice.utf8)) }
    }

    @Test(
        "names and reasons a terminal would act on are refused",
        arguments: [
            "Farm\nrefused  record 3: forged", "Farm\u{1B}[2J", "Farm\r", "\u{202E}mraF", "",
            String(repeating: "a", count: 201),
            "Farm\u{9B}31m",
        ])
    func displayText(_ name: String) throws {
        let operatorKey = try SigningKey(name: "op", seed: [UInt8](repeating: 1, count: 32))
        let farm = try SigningKey(name: "farm", seed: [UInt8](repeating: 2, count: 32))
        let registry = Registry(operatorKey: operatorKey.keyID)
        let registration = RegistryStatement.registration(
            .init(id: "farm", name: name, roles: [.origin], companyPrefixes: [], keys: [farm.keyID]), basis: 0)
        #expect(registry.refusal(of: registration, signers: [operatorKey.keyID], at: 0)?.code == RegistryCode.name)
        let fine = RegistryStatement.registration(
            .init(
                id: "farm", name: "Ferme du Soleil — 阳光农场", roles: [.origin], companyPrefixes: [], keys: [farm.keyID]),
            basis: 0)
        #expect(registry.refusal(of: fine, signers: [operatorKey.keyID], at: 0) == nil)
    }

    @Test func aCompanyPrefixIsASCIIDigits() throws {
        let operatorKey = try SigningKey(name: "op", seed: [UInt8](repeating: 1, count: 32))
        let farm = try SigningKey(name: "farm", seed: [UInt8](repeating: 2, count: 32))
        let registry = Registry(operatorKey: operatorKey.keyID)
        let registration = RegistryStatement.registration(
            .init(id: "farm", name: "Farm", roles: [.origin], companyPrefixes: ["٠٦١٤١٤١"], keys: [farm.keyID]),
            basis: 0)
        #expect(
            registry.refusal(of: registration, signers: [operatorKey.keyID], at: 0)?.code == RegistryCode.companyPrefix)
    }
}
