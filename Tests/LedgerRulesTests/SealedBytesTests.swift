import EPCIS
import Foundation
import LedgerRules
import Statements
import Testing
import ThreadlineTestSupport

/// The audit's byte reader of sealed records (`SealedEvent.openedBytes`) against the general one
/// (`SealedEvent.openWhole`): the same opened event, byte for byte, wherever it reads a record; nil — the general
/// reader's turn — wherever the general reader refuses.
struct SealedBytesTests {
    /// Seals `event` with salts and decoys from a counter; the payload's bytes and the opening as stored.
    static func sealed(_ event: JSONValue) throws -> (payload: [UInt8], opening: Opening, general: JSONValue) {
        var counter: UInt8 = 0
        let sealed = try SealedEvent.seal(
            event,
            random: {
                counter &+= 1
                return [UInt8](repeating: counter, count: 16)
            })
        let opening = Opening(sealed)
        let general = try SealedEvent.openWhole(
            sealed.payload, disclosures: opening.disclosures, decoys: opening.decoys)
        return (Array(sealed.payload.serialized.utf8), opening, general)
    }

    @Test("every event of the corpora and the samples, sealed, opens the same either way")
    func corpora() throws {
        let files =
            (Corpus.hashExamples + Corpus.validDocuments).map { Corpus.vectors.appendingPathComponent($0) }
            + EventFactsTests.samples
        var (events, taken) = (0, 0)
        for file in files {
            for payload in try EventFactsTests.payloads(file) {
                guard let event = try? JSONValue(parsing: payload), event.members != nil else { continue }
                events += 1
                let (bytes, opening, general) = try Self.sealed(event)
                guard let fast = SealedEvent.openedBytes(payload: bytes, stored: opening.stored) else { continue }
                taken += 1
                #expect(fast.event == Array(general.serialized.utf8), "an event of \(file.lastPathComponent)")
                #expect(fast.disclosures == opening.disclosures.count && fast.erased.isEmpty)
            }
        }
        #expect(events > 150)
        #expect(taken * 2 > events, "the byte reader took \(taken) of \(events)")
    }

    @Test func whatTheGeneralReaderRefusesTheByteReaderDoesNotTake() throws {
        let event = try JSONValue(
            parsing: Array(
                #"{"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],"type":"ObjectEvent","eventTime":"2026-09-01T08:00:00Z","eventTimeZoneOffset":"+00:00","action":"ADD","epcList":["urn:epc:id:sgtin:0614141.112345.1","urn:epc:id:sgtin:0614141.112345.2"],"readPoint":{"id":"urn:epc:id:sgln:0614141.00001.0"}}"#
                    .utf8))
        let (bytes, opening, general) = try Self.sealed(event)
        #expect(
            SealedEvent.openedBytes(payload: bytes, stored: opening.stored)?.event == Array(general.serialized.utf8))
        var changed: [Opening] = []
        var short = opening
        short.disclosures.removeLast()
        var noDecoy = opening
        noDecoy.decoys.removeLast()
        var extraDecoy = opening
        extraDecoy.decoys.append([UInt8](repeating: 0xEE, count: 16))
        var twice = opening
        twice.disclosures.append(opening.disclosures[0])
        changed += [short, noDecoy, extraDecoy, twice]
        for opening in changed {
            #expect(throws: StatementError.self) {
                try Statement.openedSealedEvent(payload: bytes, opening: opening)
            }
            #expect(SealedEvent.openedBytes(payload: bytes, stored: opening.stored) == nil)
        }
        // Erased digests are accounted for, and listed (a field with nothing inside it: the action).
        var erased = opening
        let gone = erased.disclosures.remove(at: try #require(erased.disclosures.firstIndex { $0.name == "action" }))
        erased.erased = [Opening.Erased(digest: gone.digest, by: 9)]
        let opened = try #require(SealedEvent.openedBytes(payload: bytes, stored: erased.stored))
        #expect(opened.erased == erased.erased && opened.disclosures == opening.disclosures.count - 1)
        let generalErased = try Statement.openedSealedEvent(payload: bytes, opening: erased).serialized
        #expect(String(decoding: opened.event, as: UTF8.self) == generalErased)
        // A payload with a member in clear, and one that is not JSON.
        let clear = Array(
            String(decoding: bytes, as: UTF8.self).replacingOccurrences(
                of: "\"_sd_alg\"", with: "\"action\":\"ADD\",\"_sd_alg\""
            ).utf8)
        #expect(SealedEvent.openedBytes(payload: clear, stored: opening.stored) == nil)
        #expect(SealedEvent.openedBytes(payload: Array(bytes.dropLast()), stored: opening.stored) == nil)
    }
}

extension SealedBytesTests {
    /// The audit keeps one working memory a core: what it opens with it, record after record — refusals between
    /// them included — is what a fresh one opens.
    @Test func oneWorkingMemoryOpensRecordAfterRecordAsAFreshOneDoes() throws {
        var shared = SealedEvent.ByteOpening()
        var (opened, refused) = (0, 0)
        for (_, bytes, opening) in try Self.sealedSamples() {
            let fresh = SealedEvent.openedBytes(payload: bytes, stored: opening.stored)
            let reused = SealedEvent.openedBytes(payload: bytes, stored: opening.stored, using: &shared)
            #expect(fresh?.event == reused?.event && fresh?.disclosures == reused?.disclosures)
            if fresh == nil { refused += 1 } else { opened += 1 }
        }
        #expect(opened > 50 && refused >= opened, "opened \(opened), refused \(refused)")
    }

    /// Every event of the hash examples and the samples, sealed: each with its whole opening, and again with one
    /// disclosure short (which neither reader opens).
    static func sealedSamples() throws -> [(file: String, payload: [UInt8], opening: Opening)] {
        let files = Corpus.hashExamples.map { Corpus.vectors.appendingPathComponent($0) } + EventFactsTests.samples
        var out: [(String, [UInt8], Opening)] = []
        for file in files {
            for payload in try EventFactsTests.payloads(file) {
                guard let event = try? JSONValue(parsing: payload), event.members != nil else { continue }
                let (bytes, opening, _) = try Self.sealed(event)
                var short = opening
                short.disclosures.removeLast()
                out += [(file.lastPathComponent, bytes, opening), (file.lastPathComponent, bytes, short)]
            }
        }
        return out
    }

    @Test func anEventOfManyDisclosuresOpensTheSameAndRefusesADuplicate() throws {
        let epcs = (1...40).map { #""urn:epc:id:sgtin:0614141.112345.\#($0)""# }.joined(separator: ",")
        let event = try JSONValue(
            parsing: Array(
                #"{"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],"type":"ObjectEvent","eventTime":"2026-09-01T08:00:00Z","eventTimeZoneOffset":"+00:00","action":"ADD","epcList":[\#(epcs)]}"#
                    .utf8))
        let (bytes, opening, general) = try Self.sealed(event)
        #expect(opening.disclosures.count > 40)
        let fast = try #require(SealedEvent.openedBytes(payload: bytes, stored: opening.stored))
        #expect(fast.event == Array(general.serialized.utf8) && fast.disclosures == opening.disclosures.count)
        var twice = opening
        twice.disclosures.append(opening.disclosures[7])
        #expect(SealedEvent.openedBytes(payload: bytes, stored: twice.stored) == nil)
    }
}

extension SealedBytesTests {
    /// The engine reads a sealed submission with its opening also as the store keeps it (`EventFacts.statement`):
    /// the same statement as the general reader's — event, hash and index keys — or none where that one refuses.
    @Test func aSealedStatementReadFromItsStoredOpeningIsTheGeneralReadersStatement() throws {
        var (compared, refused) = (0, 0)
        for (file, bytes, opening) in try Self.sealedSamples() {
            let fast = EventFacts.statement(
                payloadType: SealedEvent.payloadType, payload: bytes, stored: opening.stored)
            guard let general = try? Statement(payloadType: SealedEvent.payloadType, payload: bytes, opening: opening)
            else {
                #expect(fast == nil, "\(file): the byte reader reads what the general reader refuses")
                refused += 1
                continue
            }
            guard case .event(var event, let hash)? = fast, case .event(let expected, let expectedHash) = general else {
                continue
            }
            event.json = expected.json
            #expect(event == expected && hash == expectedHash && fast?.indexKeys == general.indexKeys, "\(file)")
            compared += 1
        }
        // The byte reader takes the ObjectEvents of the common shape; every short opening is refused.
        #expect(compared > 20 && refused > 50, "compared \(compared), refused \(refused)")
    }
}
