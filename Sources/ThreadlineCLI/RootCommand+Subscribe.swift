import ArgumentParser
import EPCIS
import Foundation
import LedgerStore
import Threadline
import ThreadlineDeliveries

/// What a subscription asks for, from the command line: a JSON file, or a query, or alerts and their subjects.
struct SubscriptionOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The webhook deliveries are posted to (http or https).", valueName: "url"))
    var url: String?

    @Option(
        help: ArgumentHelp(
            "An EPCIS SimpleEventQuery parameter the events must meet (repeat; Specs/11 §3): new matching events "
                + "are delivered.",
            valueName: "name=value"))
    var query: [String] = []

    @Option(
        name: .customLong("alert"),
        help: ArgumentHelp(
            "A kind of alert (repeat; default all): "
                + AlertKind.allCases.map(\.rawValue).joined(separator: ", ") + ".",
            valueName: "kind"))
    var alerts: [String] = []

    @Option(
        name: .customLong("code"), help: ArgumentHelp("Alerts about this serial or lot (repeat).", valueName: "code"))
    var codes: [String] = []

    @Option(name: .customLong("gtin"), help: ArgumentHelp("Alerts about this GTIN (repeat).", valueName: "gtin"))
    var gtins: [String] = []

    @Option(
        name: .customLong("seller"),
        help: ArgumentHelp("Alerts about this participant as a seller (repeat).", valueName: "id"))
    var sellers: [String] = []

    @Option(
        name: .customLong("brand"),
        help: ArgumentHelp("Alerts about this participant's products and authorisations (repeat).", valueName: "id"))
    var brands: [String] = []

    @Option(
        help: ArgumentHelp("The subscription as JSON (Specs/26 §2) instead of the options above.", valueName: "file"))
    var file: String?

    func validate() throws {
        let subjects = alerts + codes + gtins + sellers + brands
        if file != nil {
            guard url == nil, query.isEmpty, subjects.isEmpty else {
                throw ValidationError("--file holds the whole subscription: give no --url, --query or alert options.")
            }
            return
        }
        guard url != nil else { throw ValidationError("Give --url (or --file).") }
        guard query.isEmpty != subjects.isEmpty else {
            throw ValidationError(
                "A subscription is to events (--query) or to alerts (--code, --gtin, --seller, --brand): give one.")
        }
    }

    /// The subscription, checked (Specs/26 §2).
    func subscription() throws -> Subscription {
        if let file { return try Subscription(json: Array(try Files.read(file, what: "subscription"))) }
        let url = url ?? ""
        guard alerts.isEmpty && (codes + gtins + sellers + brands).isEmpty else {
            let kinds = try alerts.map { name in
                guard let kind = AlertKind(rawValue: name) else {
                    throw EngineError(.subscriptionAlerts, "'\(name)' is not an alert")
                }
                return kind
            }
            return try Subscription(
                url: url,
                topic: .alerts(
                    kinds: Set(kinds.isEmpty ? AlertKind.allCases : kinds),
                    subjects: try .init(checking: codes, gtins: gtins, sellers: sellers, brands: brands)))
        }
        let parameters = try query.map { text -> Subscription.Parameter in
            guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
                throw EngineError(.subscriptionQuery, "'\(text)' is not NAME=VALUE")
            }
            return .init(String(text[..<equals]), String(text[text.index(after: equals)...]))
        }
        return try Subscription(url: url, topic: .events(query: parameters))
    }
}

extension RootCommand {
    struct Subscribe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Subscribe a webhook to new events matching an EPCIS query, or to alerts.",
            discussion: """
                Events: --query NAME=VALUE (repeat), as 'threadline events' takes them. Alerts (recalled, \
                stolen, destroyed, clone-suspected, first-scan-failed, authorization-withdrawn, \
                authorization-expired, revoked) about the --code, --gtin, --seller and --brand named. Each matching record is written to the outbox in the same \
                transaction and posted to the webhook, signed by the operator and with its inclusion proof, \
                until the webhook answers 2xx (Specs/26). On the ledger (--ledger) the subscription is the \
                operator's, or --subscriber's; through a server, the participant's whose key (--as) signs.
                """)

        @OptionGroup var target: TargetOptions
        @OptionGroup var reader: ReaderOptions
        @OptionGroup var subscription: SubscriptionOptions

        @Option(
            help: ArgumentHelp(
                "With --ledger: subscribe on this participant's behalf (default: the operator).", valueName: "id"))
        var subscriber: String?

        @Flag(help: "Print the subscription as JSON.")
        var json = false

        func run() async throws {
            try await reportingFailures {
                let subscription = try subscription.subscription()
                let answer: JSONValue
                switch try target.target(reader: try reader.load()) {
                case .local(let options):
                    let ledger = try await options.open()
                    let stored = try await ledger.subscribe(
                        subscription, subscriber: subscriber ?? Ledger.operatorSubscriber)
                    answer = try stored.json(deliveries: [])
                case .remote(let remote):
                    guard subscriber == nil else {
                        throw ValidationError("--subscriber is for --ledger; through a server, --as signs.")
                    }
                    let body = Array(subscription.json.serialized.utf8)
                    answer = try JSONValue(
                        parsing: try remote.server.expect(
                            try await remote.server.signed(.POST, "/subscriptions", body: body), "the subscription"
                        ).body)
                }
                if json {
                    Output.jsonLine(answer.serialized)
                } else if case .string(let id)? = answer["id"], case .number(let from)? = answer["fromSeq"] {
                    Output.line("subscribed \(id): told of records from \(from) on")
                }
            }
        }
    }

    struct Unsubscribe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "End a subscription; its undelivered messages go with it.")

        @OptionGroup var target: TargetOptions
        @OptionGroup var reader: ReaderOptions

        @Argument(help: ArgumentHelp("The subscription's id.", valueName: "id"))
        var id: String

        func run() async throws {
            try await reportingFailures {
                switch try target.target(reader: try reader.load()) {
                case .local(let options):
                    try await options.open().unsubscribe(id, subscriber: Ledger.operatorSubscriber)
                case .remote(let remote):
                    _ = try remote.server.expect(
                        try await remote.server.signed(.DELETE, "/subscriptions/\(Subscriptions.escaped(id))"),
                        "subscription \(id)")
                }
                Output.line("unsubscribed \(id)")
            }
        }
    }

    struct Subscriptions: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List subscriptions, their deliveries, and replay them.",
            subcommands: [List.self, Deliveries.self, Replay.self], defaultSubcommand: List.self)

        /// An id as a path segment (ids are hex; anything else is escaped, never interpreted).
        static func escaped(_ id: String) -> String {
            id.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "The subscriptions (on the ledger: every one; through a server: the signer's).")

            @OptionGroup var target: TargetOptions
            @OptionGroup var reader: ReaderOptions

            @Flag(help: "Print JSON: {\"subscriptions\": [...]}.")
            var json = false

            func run() async throws {
                try await reportingFailures {
                    let list: JSONValue
                    switch try target.target(reader: try reader.load()) {
                    case .local(let options):
                        let ledger = try await options.open()
                        var items: [JSONValue] = []
                        for stored in try await ledger.subscriptions(of: nil) {
                            items.append(
                                try stored.json(deliveries: try await ledger.deliveries(subscription: stored.id)))
                        }
                        list = .object([.init("subscriptions", .array(items))])
                    case .remote(let remote):
                        list = try JSONValue(
                            parsing: try remote.server.expect(
                                try await remote.server.signed(.GET, "/subscriptions"), "the subscriptions"
                            ).body)
                    }
                    if json { return Output.jsonLine(list.serialized) }
                    guard case .array(let items)? = list["subscriptions"] else { return }
                    for item in items {
                        func text(_ name: String) -> String {
                            switch item[name] {
                            case .string(let s)?: s
                            case .number(let n)?: n
                            default: "?"
                            }
                        }
                        let counts = ["pending", "delivered", "dead"].map { state in
                            if case .number(let n)? = item["deliveries"]?[state] { return "\(n) \(state)" }
                            return "? \(state)"
                        }
                        Output.line(
                            "\(text("id"))  \(text("subscriber"))  \(text("url"))  from \(text("fromSeq"))  "
                                + counts.joined(separator: ", "))
                    }
                }
            }
        }

        struct Deliveries: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "A subscription's messages in the outbox: record, topic, state, attempts, last error.")

            @OptionGroup var options: LedgerOptions

            @Argument(help: ArgumentHelp("The subscription's id.", valueName: "id"))
            var id: String

            @Option(help: ArgumentHelp("At most this many, oldest first.", valueName: "n"))
            var limit = 1000

            @Flag(help: "Print one JSON object a line.")
            var json = false

            func validate() throws {
                guard (1...1_000_000).contains(limit) else { throw ValidationError("--limit must be 1 to 1000000.") }
            }

            struct Line: Encodable {
                let seq: Int64
                let topic: String
                let state: String
                let attempts: Int
                let due: String
                let lastError: String?
            }

            func run() async throws {
                try await reportingFailures {
                    let ledger = try await options.open()
                    guard try await ledger.subscriptions(of: nil).contains(where: { $0.id == id }) else {
                        throw EngineError(.subscriptionUnknown, "no subscription \(id)")
                    }
                    for row in try await ledger.deliveries(subscription: id, limit: limit) {
                        let line = Line(
                            seq: row.message.seq, topic: row.message.topic, state: row.state.rawValue,
                            attempts: row.attempts, due: Timestamp.format(millis: row.dueMillis),
                            lastError: row.lastError)
                        if json {
                            let encoder = JSONEncoder()
                            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                            Output.jsonLine(String(decoding: try encoder.encode(line), as: UTF8.self))
                        } else {
                            Output.line(
                                "\(line.seq)  \(line.topic)  \(line.state)  \(line.attempts) attempts  due \(line.due)"
                                    + (line.lastError.map { "  (\($0))" } ?? ""))
                        }
                    }
                }
            }
        }

        struct Replay: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Deliver again every message a subscription has from a record on.",
                discussion: """
                    Reads the log from --from, matches each record against the subscription (with the registry as \
                    it stands now), and puts every message back in the outbox as pending, attempts reset: the \
                    webhook gets them again with the same idempotency keys. Through a server, one request reads at \
                    most 100,000 records and says where the next starts; this command goes on until the end.
                    """)

            @OptionGroup var target: TargetOptions
            @OptionGroup var reader: ReaderOptions

            @Argument(help: ArgumentHelp("The subscription's id.", valueName: "id"))
            var id: String

            @Option(help: ArgumentHelp("The first record to replay.", valueName: "seq"))
            var from: Int64

            @Flag(help: "Print {\"messages\": n} as JSON.")
            var json = false

            func validate() throws {
                guard from >= 0 else { throw ValidationError("--from must be 0 or more.") }
            }

            func run() async throws {
                try await reportingFailures {
                    var count = 0
                    switch try target.target(reader: try reader.load()) {
                    case .local(let options):
                        count = try await options.open().replay(
                            id, subscriber: Ledger.operatorSubscriber, from: from
                        ) { done, total in Output.progress("replaying", done, total) }
                    case .remote(let remote):
                        var next: Int64? = from
                        while let start = next {
                            let answer = try JSONValue(
                                parsing: try remote.server.expect(
                                    try await remote.server.signed(
                                        .POST, "/subscriptions/\(Subscriptions.escaped(id))/replay?from=\(start)"),
                                    "the replay"
                                ).body)
                            if case .number(let n)? = answer["messages"] { count += Int(n) ?? 0 }
                            next = nil
                            if case .number(let n)? = answer["next"], let seq = Int64(n), seq > start { next = seq }
                        }
                    }
                    if json { return Output.jsonLine(#"{"messages":\#(count)}"#) }
                    Output.line("\(count) messages of \(id) from record \(from) are pending again")
                }
            }
        }
    }
}

extension RootCommand {
    struct VerifyDelivery: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Check a delivery a webhook received, offline: who sent it, that it is intact, that it is in the log.",
            discussion: """
                FILE is the request as the webhook received it: request line, header lines, an empty line, the \
                body (use - for stdin). Checks the RFC 9421 signature over the method, the URL and the \
                Content-Digest with the operator's key, the digest against the body, every record's inclusion \
                proof against a checkpoint the operator signed (and --quorum of the --witness keys cosigned), and \
                every event against its signed record (Specs/26 §6). Exit 0 when it holds, 1 when it does not.
                """)

        @Argument(help: ArgumentHelp("The saved request.", valueName: "file"))
        var file: String

        @Option(help: ArgumentHelp("The operator's verifier key, or a file holding it.", valueName: "vkey"))
        var vkey: String

        @Option(
            help: ArgumentHelp(
                "The webhook's URL as subscribed (default: http://, the Host field and the request's path).",
                valueName: "url"))
        var url: String?

        @OptionGroup var witnesses: WitnessOptions

        @Flag(help: "Print the result as JSON.")
        var json = false

        struct Summary: Encodable {
            let valid: Bool
            let subscription: String?
            let kind: String?
            let records: [Int64]?
            let checkpointSize: Int64?
            let code: String?
            let reason: String?
        }

        func run() async throws {
            try await reportingFailures {
                let bytes = try Files.read(file, what: "delivery")
                guard bytes.count <= DeliveryVerifier.maxBody + SavedRequest.maxHead else {
                    throw EngineError(.deliveryBody, "the file is larger than a delivery can be")
                }
                let operatorKey = try Files.verifierKey(vkey)
                do {
                    let request = try SavedRequest(message: Array(bytes))
                    guard let url = url ?? request.url else {
                        throw EngineError(.deliveryRequest, "the request names no Host: give --url")
                    }
                    let verified = try DeliveryVerifier.verify(
                        method: request.method, url: url, field: { request.fields[$0] }, body: request.body,
                        operatorKey: operatorKey, witnesses: try witnesses.keys(), quorum: witnesses.quorum)
                    if json {
                        try Output.json(
                            Summary(
                                valid: true, subscription: verified.subscription, kind: verified.kind,
                                records: verified.records, checkpointSize: verified.checkpointSize, code: nil,
                                reason: nil))
                    } else {
                        Output.line(
                            "valid: \(verified.kind) for subscription \(verified.subscription), records "
                                + verified.records.map(String.init).joined(separator: ", ")
                                + ", in the log of checkpoint \(verified.checkpointSize), signed by the operator")
                    }
                } catch let error as EngineError {
                    if json {
                        try Output.json(
                            Summary(
                                valid: false, subscription: nil, kind: nil, records: nil, checkpointSize: nil,
                                code: error.codeName, reason: error.reason))
                    } else {
                        Output.error("not valid: \(error.codeName): \(error.reason)")
                    }
                    throw ExitCode(CommandFailure.verificationFailed)
                }
            }
        }
    }
}
