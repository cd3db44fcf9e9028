/// The Core Business Vocabulary 2.0 (GS1 CBV 2.0, §7) terms Threadline checks: business steps, dispositions,
/// business transaction types, source/destination types, error reasons and sensor components. A term may be
/// written bare (`shipping`), as a CBV 2.0 URI (`https://ref.gs1.org/cbv/BizStep-shipping`), as a CBV 1.x URN
/// (`urn:epcglobal:cbv:bizstep:shipping`) or as a CURIE (`cbv:BizStep-shipping`); any other absolute URI is a
/// user-defined term and is allowed.
public enum CBV {
    /// A vocabulary: its name in messages, the CBV 2.0 URI prefix, the CBV 1.x URN prefix and its terms.
    /// Immutable, so a class: every event's terms are looked up in one, and passing it costs one reference
    /// count instead of one for each of its five parts.
    public final class Vocabulary: Sendable {
        public let name: String
        public let webPrefix: String
        public let urnPrefix: String?
        public let terms: Set<String>
        /// Each term's CBV 2.0 URI, made once (canonicalising a term then costs no new string).
        private let uris: [String: String]

        init(name: String, webPrefix: String, urnPrefix: String?, terms: Set<String>) {
            self.name = name
            self.webPrefix = webPrefix
            self.urnPrefix = urnPrefix
            self.terms = terms
            uris = Dictionary(uniqueKeysWithValues: terms.map { ($0, webPrefix + $0) })
        }

        /// The canonical form of `value`: a CBV term becomes its CBV 2.0 URI, any other URI stays as it is.
        /// Nil when `value` is bare or in the CBV namespace but not a term of this vocabulary.
        public func canonical(_ value: String) -> String? {
            var term: Substring?
            if !value.utf8.contains(UInt8(ascii: ":")) {
                // A bare term, the usual case: looked up as it is, without a new string.
                return uris[value]
            } else if let rest = CBV.remainder(of: value, after: webPrefix) {
                term = rest
            } else if let urnPrefix, let rest = CBV.remainder(of: value, after: urnPrefix) {
                term = rest
            } else if value.hasPrefix("cbv:"), let dash = webPrefix.split(separator: "/").last,
                value.hasPrefix("cbv:" + dash)
            {
                term = value.dropFirst(4 + dash.count)
            } else if value.hasPrefix(CBV.webBase) || value.hasPrefix("urn:epcglobal:cbv:") {
                return nil
            } else {
                return value
            }
            return term.flatMap { uris[String($0)] }
        }

        /// The bare term of a canonical CBV value, or nil for a user-defined URI.
        public func term(of canonical: String) -> String? {
            CBV.remainder(of: canonical, after: webPrefix).map(String.init)
        }
    }

    /// What follows `prefix` (ASCII) in `value`, if `value` starts with it: a byte comparison.
    static func remainder(of value: String, after prefix: String) -> Substring? {
        value.hasPrefixBytes(prefix) ? Substring(value.utf8.dropFirst(prefix.utf8.count)) : nil
    }

    static let webBase = "https://ref.gs1.org/cbv/"

    /// CBV 2.0 §7.1.
    public static let bizStep = Vocabulary(
        name: "business step", webPrefix: webBase + "BizStep-", urnPrefix: "urn:epcglobal:cbv:bizstep:",
        terms: [
            "accepting", "arriving", "assembling", "collecting", "commissioning", "consigning",
            "creating_class_instance", "cycle_counting", "decommissioning", "departing", "destroying",
            "disassembling", "dispensing", "encoding", "entering_exiting", "holding", "inspecting", "installing",
            "killing", "loading", "other", "packing", "picking", "receiving", "removing", "repackaging", "repairing",
            "replacing", "reserving", "retail_selling", "sampling", "sensor_reporting", "shipping",
            "staging_outbound", "stock_taking", "stocking", "storing", "transporting", "unloading", "unpacking",
            "void_shipping",
        ])

    /// CBV 2.0 §7.2.
    public static let disposition = Vocabulary(
        name: "disposition", webPrefix: webBase + "Disp-", urnPrefix: "urn:epcglobal:cbv:disp:",
        terms: [
            "active", "available", "completeness_inferred", "completeness_verified", "conformant",
            "container_closed", "container_open", "damaged", "destroyed", "dispensed", "disposed", "encoded",
            "expired", "in_progress", "in_transit", "inactive", "mismatch_instance", "mismatch_class",
            "mismatch_quantity", "needs_replacement", "no_pedigree_match", "non_conformant", "non_sellable_other",
            "partially_dispensed", "recalled", "reserved", "retail_sold", "returned", "sellable_accessible",
            "sellable_not_accessible", "stolen", "unavailable", "unknown",
        ])

    /// CBV 2.0 §7.3.
    public static let bizTransactionType = Vocabulary(
        name: "business transaction type", webPrefix: webBase + "BTT-", urnPrefix: "urn:epcglobal:cbv:btt:",
        terms: [
            "bol", "cert", "desadv", "inv", "pedigree", "po", "poc", "prodorder", "recadv", "rma", "testprd",
            "testres", "upevt",
        ])

    /// CBV 2.0 §7.4.
    public static let sourceDestinationType = Vocabulary(
        name: "source/destination type", webPrefix: webBase + "SDT-", urnPrefix: "urn:epcglobal:cbv:sdt:",
        terms: ["owning_party", "possessing_party", "location"])

    /// CBV 2.0 §7.5.
    public static let errorReason = Vocabulary(
        name: "error reason", webPrefix: webBase + "ER-", urnPrefix: "urn:epcglobal:cbv:er:",
        terms: ["did_not_occur", "incorrect_data"])

    /// CBV 2.0 §7.7 (sensor report components).
    public static let component = Vocabulary(
        name: "sensor component", webPrefix: webBase + "Comp-", urnPrefix: nil,
        terms: [
            "x", "y", "z", "axial_distance", "azimuth", "height", "spherical_radius", "polar_angle",
            "elevation_angle", "easting", "northing", "latitude", "longitude", "altitude",
        ])

    /// The GS1 Web Vocabulary, where EPCIS 2.0 sensor measurement types and alarm types live.
    public static let gs1VocabularyBase = "https://gs1.org/voc/"
}
