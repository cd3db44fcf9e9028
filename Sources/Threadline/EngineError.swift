import TransparencyLog

/// Why Threadline refuses an input (bundles, queries, state files, time-stamp tokens and witness cosignatures): a
/// case a rule, grouped by the Specs section that defines it (`Specs/19-errors.md` lists them all).
public enum EngineCode: String, ErrorCode {
    // 05-cli.md §1
    case secretWrite = "secret.write", stateLock = "state.lock", stateWrite = "state.write"
    // 10-recording.md §1
    case statement = "statement"
    // 11-trace.md §3
    case queryEQAction = "query.EQ_action", queryGEEventTime = "query.GE_eventTime"
    case queryLTEventTime = "query.LT_eventTime", queryEventType = "query.eventType"
    case queryNextPageToken = "query.nextPageToken", queryParameter = "query.parameter"
    case queryPerPage = "query.perPage"
    // 14-bundles.md §2
    case bundleCanonical = "bundle.canonical", bundleCheckpoint = "bundle.checkpoint", bundleCode = "bundle.code"
    case bundleDisclosure = "bundle.disclosure"
    case bundleFormat = "bundle.format", bundleInclusion = "bundle.inclusion", bundleJourney = "bundle.journey"
    case bundleJSON = "bundle.json", bundleOrder = "bundle.order", bundleProof = "bundle.proof"
    case bundleQuorum = "bundle.quorum", bundleRecord = "bundle.record", bundleRecords = "bundle.records"
    case bundleRegistry = "bundle.registry", bundleSeal = "bundle.seal", bundleSignature = "bundle.signature"
    // 15-witness.md §2
    case witnessCosignature = "witness.cosignature"
    // 16-anchors.md §2
    case timestampCertificate = "timestamp.certificate", timestampChain = "timestamp.chain"
    case timestampImprint = "timestamp.imprint", timestampNonce = "timestamp.nonce"
    case timestampReply = "timestamp.reply", timestampRequest = "timestamp.request"
    case timestampSignature = "timestamp.signature", timestampStatus = "timestamp.status"
    case timestampToken = "timestamp.token", timestampTSTInfo = "timestamp.tstinfo"
    // 23-sealed-events.md §7
    case erasureRecord = "erasure.record"
    // 26-subscriptions.md §2
    case subscriptionAlerts = "subscription.alerts", subscriptionJSON = "subscription.json"
    case subscriptionQuery = "subscription.query", subscriptionSubscriber = "subscription.subscriber"
    case subscriptionUnknown = "subscription.unknown", subscriptionURL = "subscription.url"
    // 26-subscriptions.md §8
    case queryDefinition = "query.definition", queryExists = "query.exists", queryUnknown = "query.unknown"
    // 26-subscriptions.md §6
    case deliveryBody = "delivery.body", deliveryDigest = "delivery.digest", deliveryProof = "delivery.proof"
    case deliveryRecord = "delivery.record", deliveryRequest = "delivery.request"
    case deliverySignature = "delivery.signature"

    public var section: String {
        switch self {
        case .secretWrite, .stateLock, .stateWrite: "05-cli.md §1"
        case .statement: "10-recording.md §1"
        case .queryEQAction, .queryGEEventTime, .queryLTEventTime, .queryEventType, .queryNextPageToken,
            .queryParameter, .queryPerPage:
            "11-trace.md §3"
        case .bundleCanonical, .bundleCheckpoint, .bundleCode, .bundleDisclosure, .bundleFormat, .bundleInclusion,
            .bundleJourney,
            .bundleJSON, .bundleOrder, .bundleProof, .bundleQuorum, .bundleRecord, .bundleRecords, .bundleRegistry,
            .bundleSeal, .bundleSignature:
            "14-bundles.md §2"
        case .witnessCosignature: "15-witness.md §2"
        case .timestampCertificate, .timestampChain, .timestampImprint, .timestampNonce, .timestampReply,
            .timestampRequest, .timestampSignature, .timestampStatus, .timestampToken, .timestampTSTInfo:
            "16-anchors.md §2"
        case .erasureRecord: "23-sealed-events.md §7"
        case .subscriptionAlerts, .subscriptionJSON, .subscriptionQuery, .subscriptionSubscriber, .subscriptionUnknown,
            .subscriptionURL:
            "26-subscriptions.md §2"
        case .queryDefinition, .queryExists, .queryUnknown: "26-subscriptions.md §8"
        case .deliveryBody, .deliveryDigest, .deliveryProof, .deliveryRecord, .deliveryRequest, .deliverySignature:
            "26-subscriptions.md §6"
        }
    }
}

/// An input Threadline refuses.
public typealias EngineError = InputError<EngineCode>
