import GS1Identifiers
import LedgerRules
import LedgerStore
import Statements
import TransparencyLog

/// Product statements (`Specs/24-products.md`): what brands say of their products, the latest for a GTIN
/// applying.
extension Ledger {
    /// A product statement as recorded.
    public struct RecordedProduct: Sendable {
        public let seq: Int64
        public let recordTimeMillis: Int64
        public let product: ProductData
        public let signers: [String]
    }

    /// The product statements recorded for the 14-digit `gtin`, oldest first (catching the index up first); the
    /// last is the one that applies.
    public func products(gtin: String) async throws -> [RecordedProduct] {
        try await recordedProducts(try await productSeqs(gtin: gtin), gtin: gtin)
    }

    /// The product statement that applies to the 14-digit `gtin`: the latest recorded, or nil.
    public func product(gtin: String) async throws -> RecordedProduct? {
        guard let last = try await productSeqs(gtin: gtin).last else { return nil }
        return try await recordedProducts([last], gtin: gtin).first
    }

    private func productSeqs(gtin: String) async throws -> [Int64] {
        try await ensureIndexed()
        return try await store.lookup([IndexKey.product(gtin: gtin)], from: 0).map(\.seq).sorted()
    }

    private func recordedProducts(_ seqs: [Int64], gtin: String) async throws -> [RecordedProduct] {
        try await zip(seqs, store.records(at: seqs)).map { seq, bytes in
            let record: LedgerRecord
            let product: ProductData
            do {
                record = try LedgerRecord(bytes: bytes)
                product = try ProductData(payload: record.envelope.payload)
            } catch {
                throw LedgerStoreError.corrupt("the index names record \(seq) for GTIN \(gtin): \(error)")
            }
            guard record.envelope.payloadType == ProductData.payloadType, product.gtin == gtin else {
                throw LedgerStoreError.corrupt(
                    "the index names record \(seq), which is no product statement of \(gtin)")
            }
            return RecordedProduct(
                seq: seq, recordTimeMillis: record.timeMillis, product: product,
                signers: record.envelope.signatures.map(\.keyid))
        }
    }

    /// The latest product statement of `gtin` with its inclusion proof against the latest checkpoint, or nil.
    public func provedProduct(gtin: String) async throws -> (checkpoint: SignedNote, entry: ProductBundle.Entry)? {
        guard let latest = try await product(gtin: gtin) else { return nil }
        let note = try await checkpoint()
        let body = try Checkpoint(text: note.text)
        guard latest.seq < body.size, let entry = try await provedEntries([latest.seq], size: body.size).first
        else { return nil }
        return (note, entry)
    }
}

extension Ledger {
    /// The product data that applies to the GTIN of `journey`'s product, and to each other GTIN the journey
    /// follows (its materials'), by GTIN.
    public func productData(of journey: Journey) async throws -> (product: ProductData?, others: [String: ProductData])
    {
        let gtins = Set(
            ReadPolicy.journeyIdentifiers(of: journey).compactMap(
                DigitalLink.gtin(inCanonical:)))
        let own = DigitalLink.gtin(inCanonical: journey.identifier)
        var others: [String: ProductData] = [:]
        for gtin in gtins.sorted() where gtin != own {
            others[gtin] = try await product(gtin: gtin)?.product
        }
        var data: ProductData?
        if let own { data = try await product(gtin: own)?.product }
        return (data, others)
    }

    /// What the passport of `code` is made of (`Specs/24-products.md` §8): its assessment, product data and every
    /// step's record proved against the latest checkpoint.
    public func passportSources(_ code: String) async throws -> ProductPassport.Sources {
        let assessment = try await assess(code)
        let journey = assessment.journey
        guard !journey.steps.isEmpty else { throw LedgerError.noSuchProduct(code) }
        let (product, others) = try await productData(of: journey)
        let (proofs, entries) = try await inclusionProofs(journey.steps.map(\.seq))
        return ProductPassport.Sources(
            assessment: assessment, product: product, materials: others, checkpoint: try await checkpoint(),
            proofs: proofs, entries: entries)
    }
}
