import ArgumentParser
import EPCIS
import Foundation
import GS1Identifiers
import Participants
import Statements
import Threadline
import TransparencyLog

extension RootCommand {
    struct ParticipantCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "participant",
            abstract: "Register participants, rotate and revoke their keys, list the registry.",
            discussion: """
                Registry changes are ledger statements signed by the operator key (--operator-key, \
                $THREADLINE_OPERATOR_KEY, or <ledger>.operator-key). A change that cannot apply is refused \
                with its reason (exit 2) and nothing is appended. Specs/09-participants.md.
                """,
            subcommands: [Add.self, Rotate.self, Revoke.self, List.self])

        struct Add: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Register a participant; print the record's sequence number.")

            @OptionGroup var options: LedgerOptions

            @Option(help: ArgumentHelp("Its id: letters, digits, '-', '_', '.'.", valueName: "id"))
            var id: String

            @Option(help: ArgumentHelp("Its name, as people know it.", valueName: "name"))
            var name: String

            @Option(
                name: .customLong("role"),
                help: ArgumentHelp(
                    "A role (repeat for several): "
                        + Participant.Role.allCases.map(\.rawValue).joined(separator: ", ") + ".", valueName: "role"))
            var roles: [String]

            @Option(
                name: .customLong("prefix"),
                help: ArgumentHelp("A GS1 company prefix it owns (repeat).", valueName: "digits"))
            var prefixes: [String] = []

            @Option(name: .customLong("gln"), help: ArgumentHelp("A location's GLN (repeat).", valueName: "gln"))
            var locations: [String] = []

            @Option(
                name: .customLong("place"),
                help: ArgumentHelp(
                    "A location with its country and name, as JSON (repeat): "
                        + #"'{"gln": "8901236000012", "country": "IN", "name": {"en": "Tiruppur", "zh-CN": "蒂鲁普"}}'."#,
                    valueName: "json"))
            var places: [String] = []

            @Option(
                name: .customLong("key"),
                help: ArgumentHelp(
                    "A verifier key, or a file holding one or a private key (repeat).", valueName: "vkey"))
            var keys: [String]

            func validate() throws {
                for role in roles where Participant.Role(rawValue: role) == nil {
                    throw ValidationError(
                        "'\(role)' is not a role; roles are "
                            + Participant.Role.allCases.map(\.rawValue).joined(separator: ", ") + ".")
                }
                guard !roles.isEmpty else { throw ValidationError("Give at least one --role.") }
                guard !keys.isEmpty else { throw ValidationError("Give at least one --key.") }
            }

            func run() async throws {
                try await reportingFailures {
                    let places = try places.map { text in
                        do { return try Participant.Place(json: try JSONValue(parsing: text)) } catch {
                            throw CommandFailure(
                                CommandFailure.inputRefused,
                                "--place '\(text)': \((error as? any CodedError)?.reason ?? "\(error)")")
                        }
                    }
                    let profile = Participant.Profile(
                        id: id, name: name, roles: roles.compactMap(Participant.Role.init(rawValue:)),
                        companyPrefixes: prefixes, places: locations.map { Participant.Place(gln: $0) } + places,
                        keys: try keys.map(Files.publicKey))
                    Output.line(String(try await options.appendRegistryStatement(.registration(profile))))
                }
            }
        }

        struct Rotate: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Give a participant a new key, optionally retiring an old one; print the sequence number.",
                discussion: """
                    Records signed with a retired key before the rotation stay valid; from the rotation on, the \
                    ledger accepts only the participant's current keys.
                    """)

            @OptionGroup var options: LedgerOptions

            @Option(help: ArgumentHelp("The participant.", valueName: "id"))
            var id: String

            @Option(
                name: .customLong("add-key"), help: ArgumentHelp("The new key (vkey or key file).", valueName: "vkey"))
            var newKey: String

            @Option(name: .customLong("retire-key"), help: ArgumentHelp("A current key to retire.", valueName: "vkey"))
            var retiredKey: String?

            func run() async throws {
                try await reportingFailures {
                    let statement = RegistryStatement.Change.keyRotation(
                        participant: id, newKey: try Files.publicKey(newKey),
                        retiredKey: try retiredKey.map(Files.publicKey))
                    Output.line(String(try await options.appendRegistryStatement(statement)))
                }
            }
        }

        struct Revoke: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Revoke a participant, or one of its keys; print the sequence number.",
                discussion: "From the revocation on, the ledger refuses what the participant (or the key) signs.")

            @OptionGroup var options: LedgerOptions

            @Option(help: ArgumentHelp("The participant.", valueName: "id"))
            var id: String

            @Option(help: ArgumentHelp("Only this key (vkey or key file).", valueName: "vkey"))
            var key: String?

            @Option(help: ArgumentHelp("Why, for the record.", valueName: "text"))
            var reason: String

            func run() async throws {
                try await reportingFailures {
                    let statement = RegistryStatement.Change.revocation(
                        participant: id, key: try key.map(Files.publicKey), reason: reason)
                    Output.line(String(try await options.appendRegistryStatement(statement)))
                }
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "List the participants, their roles, prefixes, locations, keys and authorisations.",
                discussion: """
                    With --at N, the registry as it stood for record N (built from records before it). Through a \
                    server (--server, --remote), built from the registry statements the server proves in its log \
                    (a participant's signed request, Specs/22).
                    """)

            @OptionGroup var target: TargetOptions

            @OptionGroup var reader: ReaderOptions

            @Option(help: ArgumentHelp("Show the registry as it stood for this record.", valueName: "seq"))
            var at: Int64?

            @Flag(help: "Print JSON.")
            var json = false

            func validate() throws {
                if let at, at < 0 { throw ValidationError("--at must be a record's sequence number, 0 or more.") }
            }

            func run() async throws {
                try await reportingFailures {
                    let listing: RegistryListing
                    switch try target.target(reader: try reader.load()) {
                    case .local(let options):
                        let (registry, refused) = try await options.open().registry(before: at)
                        listing = RegistryListing(registry, refused: refused)
                    case .remote(let remote):
                        listing = RegistryListing(try await remote.registry(before: at), refused: [])
                    }
                    if json { return try Output.json(listing) }
                    for p in listing.participants {
                        Output.line(
                            "\(p.id)  \(p.name)  [\(p.roles.joined(separator: ", "))]  registered at \(p.registeredAt)"
                                + (p.revokedAt.map { "  REVOKED at \($0)" } ?? ""))
                        if !p.companyPrefixes.isEmpty {
                            Output.line("  prefixes   " + p.companyPrefixes.joined(separator: ", "))
                        }
                        for place in p.places {
                            let about = [place.country, place.name?["en"] ?? place.name?.values.sorted().first]
                                .compactMap { $0 }
                            Output.line(
                                "  location   " + place.gln
                                    + (about.isEmpty ? "" : "  " + about.joined(separator: ", ")))
                        }
                        for key in p.keys { Output.line("  key        \(key.vkey)  \(key.status)") }
                    }
                    for a in listing.authorizations {
                        Output.line(
                            "authorisation  \(a.brand) → \(a.channel)"
                                + (a.companyPrefixes.isEmpty
                                    ? "" : " (prefixes \(a.companyPrefixes.joined(separator: ", ")))")
                                + "  from \(a.grantedAt)" + (a.withdrawnAt.map { ", withdrawn at \($0)" } ?? "")
                                + (a.window.map { "  valid \($0)" } ?? ""))
                    }
                    for r in listing.refused { Output.line("refused  record \(r.seq): \(r.reason)") }
                }
            }
        }
    }

    struct Authorize: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "As a brand, authorise a channel to sell its products; print the sequence number.",
            discussion: """
                Signed with the brand's own key (--as). Without --prefix the authorisation covers all the \
                brand's products; --from and --until limit it to a time (a live-stream, a season: dates and \
                times with a zone; listings are judged at their time); --withdraw ends earlier authorisations \
                of that channel. Through a server \
                (--server, --remote), the statement is signed here with the server's verified tree size as its \
                basis (Specs/09 §2), and the server's rules decide.
                """)

        @OptionGroup var target: TargetOptions

        @Option(help: ArgumentHelp("The brand's participant id.", valueName: "id"))
        var brand: String

        @Option(help: ArgumentHelp("The channel's participant id.", valueName: "id"))
        var channel: String

        @Option(name: .customLong("as"), help: ArgumentHelp("The brand's private key file.", valueName: "keyfile"))
        var signer: String

        @Option(
            name: .customLong("prefix"),
            help: ArgumentHelp("Limit to this company prefix (repeat).", valueName: "digits"))
        var prefixes: [String] = []

        @Option(help: ArgumentHelp("Authorised from this time on, with a zone.", valueName: "time"))
        var from: String?

        @Option(help: ArgumentHelp("Authorised until this time (not at it), with a zone.", valueName: "time"))
        var until: String?

        @Flag(help: "Withdraw the channel's authorisation instead.")
        var withdraw = false

        func run() async throws {
            try await reportingFailures {
                if withdraw, from != nil || until != nil {
                    throw CommandFailure(
                        CommandFailure.inputRefused, "--withdraw ends the authorisation whole: no --from or --until")
                }
                let window = try AuthorizationWindow(validFrom: from, validUntil: until)
                let key = try SigningKey(fileContents: try Files.readText(signer, what: "key file"))
                let statement = RegistryStatement.Change.channelAuthorization(
                    brand: brand, channel: channel, companyPrefixes: prefixes, withdrawn: withdraw, window: window)
                switch try target.target(reader: key) {
                case .local(let options):
                    Output.line(String(try await options.appendRegistryStatement(statement, signedBy: key)))
                case .remote(let remote):
                    let (_, latest) = try await remote.latestCheckpoint()
                    let signed = try Envelope(
                        signing: RegistryStatement(statement, basis: latest.size).payload,
                        type: RegistryStatement.payloadType, with: key)
                    Output.line(String(try await remote.submit([signed.canonicalJSON]).lowerBound))
                }
            }
        }
    }
}

extension LedgerOptions {
    /// Checks `change` against the registry as it stands, then signs it (by `key`, default the operator) with the
    /// log's size as its basis and appends it; returns its sequence number.
    func appendRegistryStatement(
        _ change: RegistryStatement.Change, signedBy key: SigningKey? = nil
    ) async throws
        -> Int64
    {
        let ledger = try await open()
        guard let signer = try key ?? loadOperatorKey() else { throw LedgerError.noOperatorKey }
        let (registry, _) = try await ledger.registry()
        let statement = RegistryStatement(change, basis: registry.size)
        if let refusal = registry.refusal(of: statement, signers: [signer.keyID], at: registry.size) { throw refusal }
        let envelope = try Envelope(signing: statement.payload, type: RegistryStatement.payloadType, with: signer)
        return try await ledger.append([envelope]).lowerBound
    }
}

extension Files {
    /// A verifier key given as itself, or as a file holding a verifier key or a private key.
    static func publicKey(_ argument: String) throws -> String {
        guard FileManager.default.fileExists(atPath: argument) else { return argument }
        let text = try readText(argument, what: "key file").trimmingCharacters(in: .whitespacesAndNewlines)
        if let key = try? SigningKey(fileContents: text) { return key.keyID }
        return text
    }
}

/// The registry as `participant list --json` prints it (`Specs/09-participants.md` §CLI).
struct RegistryListing: Encodable {
    struct Key: Encodable {
        let vkey: String
        let addedAt: Int64
        let endedAt: Int64?
        let status: String
    }
    struct Entry: Encodable {
        let id: String
        let name: String
        let roles: [String]
        let companyPrefixes: [String]
        let locations: [String]
        /// Each location with its country and names, when the registration gives them.
        let places: [Place]
        let keys: [Key]
        let registeredAt: Int64
        let revokedAt: Int64?
    }
    struct Place: Encodable {
        let gln: String
        let country: String?
        let name: [String: String]?
    }
    struct Authorization: Encodable {
        let brand: String
        let channel: String
        let companyPrefixes: [String]
        let grantedAt: Int64
        let withdrawnAt: Int64?
        /// The times as signed; absent when open.
        let validFrom: String?
        let validUntil: String?
        /// `from T until T` for the text listing; nil for an authorisation at any time.
        let window: String?

        private enum CodingKeys: String, CodingKey {
            case brand, channel, companyPrefixes, grantedAt, withdrawnAt, validFrom, validUntil
        }
    }
    struct Refusal: Encodable {
        let seq: Int64
        let code: String
        let reason: String
    }
    let size: Int64
    let participants: [Entry]
    let authorizations: [Authorization]
    let refused: [Refusal]

    init(_ registry: Registry, refused: [(Int64, any CodedError)]) {
        size = registry.size
        participants = registry.participants.values.sorted { $0.registeredAt < $1.registeredAt }.map { p in
            Entry(
                id: p.id, name: p.profile.name, roles: p.profile.roles.map(\.rawValue),
                companyPrefixes: p.profile.companyPrefixes, locations: p.profile.locations,
                places: p.profile.places.map { place in
                    Place(
                        gln: place.gln, country: place.country,
                        name: place.name.map {
                            Dictionary(uniqueKeysWithValues: $0.entries.map { ($0.language, $0.text) })
                        })
                },
                keys: p.keys.map { key in
                    let status =
                        key.endedAt.map { key.revoked ? "revoked at \($0)" : "retired at \($0)" }
                        ?? (p.revokedAt.map { "revoked at \($0)" } ?? "current")
                    return Key(vkey: key.vkey, addedAt: key.addedAt, endedAt: key.endedAt, status: status)
                }, registeredAt: p.registeredAt, revokedAt: p.revokedAt)
        }
        authorizations = registry.authorizations.map {
            Authorization(
                brand: $0.brand, channel: $0.channel, companyPrefixes: $0.companyPrefixes, grantedAt: $0.grantedAt,
                withdrawnAt: $0.withdrawnAt, validFrom: $0.window.validFrom, validUntil: $0.window.validUntil,
                window: $0.window == .always ? nil : $0.window.description)
        }
        self.refused = refused.map { Refusal(seq: $0.0, code: $0.1.codeName, reason: $0.1.reason) }
    }
}
