/// The sample documents `threadline demo` records, embedded in the binary from the files beside this one
/// (SwiftPM `.embedInCode`), so a lone `threadline` executable carries them. Keys are not embedded: the demo
/// derives each from its public seed.
public enum SampleFiles {
    /// Each file's bytes, by its path under `samples/`. SwiftPM names an embedded file after its base name, with
    /// characters an identifier cannot hold as `_` — a leading digit included, so `10-brand-recall.json` is
    /// `_0_brand_recall_json`. A renamed file fails the build; a new one missing here fails the demo's test.
    public static let byPath: [String: [UInt8]] = [
        "manifest.json": PackageResources.manifest_json,
        "tshirt/tshirt-product.json": PackageResources.tshirt_product_json,
        "sneaker/sneaker-product.json": PackageResources.sneaker_product_json,
        "tshirt/material-seed-cotton.json": PackageResources.material_seed_cotton_json,
        "tshirt/material-lint.json": PackageResources.material_lint_json,
        "tshirt/material-yarn.json": PackageResources.material_yarn_json,
        "tshirt/material-jersey.json": PackageResources.material_jersey_json,
        "tshirt/material-dyed-jersey.json": PackageResources.material_dyed_jersey_json,
        "sneaker/material-hides.json": PackageResources.material_hides_json,
        "sneaker/material-leather.json": PackageResources.material_leather_json,
        "sneaker/material-soles.json": PackageResources.material_soles_json,
        "tshirt/01-farm-harvest.json": PackageResources._1_farm_harvest_json,
        "tshirt/02-ginner-bales.json": PackageResources._2_ginner_bales_json,
        "tshirt/03-spinner-yarn.json": PackageResources._3_spinner_yarn_json,
        "tshirt/04-knitter-fabric.json": PackageResources._4_knitter_fabric_json,
        "tshirt/05-dyehouse-fabric.json": PackageResources._5_dyehouse_fabric_json,
        "tshirt/06-factory-tshirts.json": PackageResources._6_factory_tshirts_json,
        "tshirt/07-brand-warehouse.json": PackageResources._7_brand_warehouse_json,
        "tshirt/08-distributor.json": PackageResources._8_distributor_json,
        "tshirt/09-online-store.json": PackageResources._9_online_store_json,
        "tshirt/10-brand-recall.json": PackageResources._0_brand_recall_json,
        "tshirt/11-certifier-audits.json": PackageResources._1_certifier_audits_json,
        "sneaker/01-tannery-leather.json": PackageResources._1_tannery_leather_json,
        "sneaker/02-sole-maker.json": PackageResources._2_sole_maker_json,
        "sneaker/03-shoe-factory.json": PackageResources._3_shoe_factory_json,
        "sneaker/04-brand.json": PackageResources._4_brand_json,
        "sneaker/05-retailer.json": PackageResources._5_retailer_json,
        "sneaker/06-certifier-audit.json": PackageResources._6_certifier_audit_json,
        "sneaker/07-clone-offered.json": PackageResources._7_clone_offered_json,
    ]
}
