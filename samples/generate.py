#!/usr/bin/env python3
"""Writes samples/: two complete supply chains as EPCIS 2.0 documents, the participants, and their keys.

    python3 samples/generate.py           # rewrite samples/ (JSON documents, manifest, keys)
    python3 samples/generate.py --check   # exit 1 if anything on disk differs

Everything is deterministic: keys come from public seeds (SHA-256("threadline demo key " + id)), so they are
TEST-ONLY and must never protect a real ledger. `threadline demo` embeds these very files (package resources
of the ThreadlineSamples module, samples/Samples.swift), and a test checks that it writes them back unchanged.
"""

import base64
import hashlib
import json
import os
import sys

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CONTEXT = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
           {"cbvmda": "urn:epcglobal:cbv:mda:", "tl": "https://threadline.example/ns/"}]


# --- GS1 keys -------------------------------------------------------------------------------------------

def check_digit(body: str) -> str:
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


def gln(prefix: str, ref: str) -> str:
    body = prefix + ref.rjust(12 - len(prefix), "0")
    return body + check_digit(body)


def gtin(prefix: str, item: str, indicator: str = "0") -> str:
    body = indicator + prefix + item.rjust(12 - len(prefix), "0")
    return body + check_digit(body)


def sscc(prefix: str, serial: str, extension: str = "0") -> str:
    body = extension + prefix + serial.rjust(16 - len(prefix), "0")
    return body + check_digit(body)


def place(g: str) -> str:
    return "https://id.gs1.org/414/" + g


def party(g: str) -> str:
    return "https://id.gs1.org/417/" + g


def item(g: str, serial: str) -> str:
    return "https://id.gs1.org/01/%s/21/%s" % (g, serial)


def lot(g: str, name: str) -> str:
    return "https://id.gs1.org/01/%s/10/%s" % (g, name)


def unit(s: str) -> str:
    return "https://id.gs1.org/00/" + s


# --- keys -----------------------------------------------------------------------------------------------

def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def private_key(name: str) -> str:
    seed = hashlib.sha256(("threadline demo key " + name).encode()).digest()
    pub = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    key_id = hashlib.sha256(name.encode() + b"\n\x01" + pub).digest()[:4]
    return "PRIVATE+KEY+%s+%s+%s\n" % (name, key_id.hex(), b64(b"\x01" + seed))


# --- participants ----------------------------------------------------------------------------------------

PARTICIPANTS = []


def participant(id, name, roles, prefix, *locations):
    """`locations`: (location reference, ISO 3166-1 country, {language: name}) for each of its places."""
    places = [{"gln": gln(prefix, str(n)), "country": country, "name": names} for n, country, names in locations]
    PARTICIPANTS.append({"id": id, "name": name, "roles": roles, "companyPrefixes": [prefix], "locations": places})
    first = places[0]["gln"]
    return {"id": id, "prefix": prefix, "gln": first, "party": party(gln(prefix, "0")), "place": place(first)}


def named(en, zh):
    return {"en": en, "zh-CN": zh}


farm = participant("sunrise-farm", "Sunrise Organic Cotton Farm, Gujarat", ["origin"], "8901234",
                   (1, "IN", named("Gujarat", "古吉拉特邦")))
ginner = participant("kutch-ginning", "Kutch Ginning Co-operative", ["processor"], "8901235",
                     (1, "IN", named("Kutch, Gujarat", "古吉拉特邦卡奇")))
spinner = participant("tiruppur-spinning", "Tiruppur Spinning Mills", ["processor"], "8901236",
                      (1, "IN", named("Tiruppur, Tamil Nadu", "泰米尔纳德邦蒂鲁普")))
knitter = participant("coimbatore-knits", "Coimbatore Knit Fabrics", ["processor"], "8901237",
                      (1, "IN", named("Coimbatore, Tamil Nadu", "泰米尔纳德邦哥印拜陀")))
dyer = participant("erode-dyehouse", "Erode Dye House", ["processor"], "8901238",
                   (1, "IN", named("Erode, Tamil Nadu", "泰米尔纳德邦伊罗德")))
factory = participant("dhaka-garments", "Dhaka Garment Works", ["manufacturer"], "8801234",
                      (1, "BD", named("Dhaka", "达卡")))
brand = participant("northwind-apparel", "Northwind Apparel", ["brand"], "0614141",
                    (1, "NL", named("Amsterdam head office", "阿姆斯特丹总部")),
                    (2, "NL", named("Rotterdam warehouse", "鹿特丹仓库")))
distributor = participant("eurotex-distribution", "EuroTex Distribution", ["channel"], "4012345",
                          (1, "DE", named("Hamburg", "汉堡")))
seller = participant("shopstream", "ShopStream (online store)", ["marketplace"], "4098765",
                     (1, "DE", named("Berlin fulfilment centre", "柏林配送中心")))
tannery = participant("ebro-tannery", "Ebro Tannery", ["origin"], "8412345",
                      (1, "ES", named("Zaragoza, Aragon", "阿拉贡萨拉戈萨")))
soles = participant("porto-soles", "Porto Rubber Soles", ["origin"], "5601234", (1, "PT", named("Porto", "波尔图")))
shoes = participant("braga-shoes", "Braga Shoe Factory", ["manufacturer"], "5609876",
                    (1, "PT", named("Braga", "布拉加")))
sneakers = participant("stride-footwear", "Stride Footwear", ["brand"], "7612345", (1, "CH", named("Basel", "巴塞尔")))
retailer = participant("city-sneakers", "City Sneakers, Zurich", ["retailer"], "7654321",
                       (1, "CH", named("Zurich", "苏黎世")))
quickdeals = participant("quickdeals", "QuickDeals Marketplace", ["marketplace"], "6912345",
                         (1, "IT", named("Naples warehouse", "那不勒斯仓库")))
certifier = participant("global-certification", "Global Certification Services", ["certifier"], "4099990",
                        (1, "DE", named("Frankfurt", "法兰克福")))

AUTHORIZATIONS = [
    {"brand": "northwind-apparel", "channel": "eurotex-distribution"},
    {"brand": "northwind-apparel", "channel": "shopstream"},
    {"brand": "stride-footwear", "channel": "city-sneakers"},
]

# Products and lots.
SEED_COTTON = lot(gtin(farm["prefix"], "101"), "HARVEST-2026-10")
LINT = lot(gtin(ginner["prefix"], "201"), "BALE-4471")
YARN = lot(gtin(spinner["prefix"], "301"), "YARN-30S-118")
GREIGE = lot(gtin(knitter["prefix"], "401"), "JERSEY-5521")
DYED_A = lot(gtin(dyer["prefix"], "501"), "DYE-A-0917")
DYED_B = lot(gtin(dyer["prefix"], "501"), "DYE-B-0918")
TSHIRT = gtin(brand["prefix"], "12345")
SHIRTS_A = [item(TSHIRT, "TS-%04d" % n) for n in range(1, 13)]
SHIRTS_B = [item(TSHIRT, "TS-%04d" % n) for n in range(101, 107)]
CARTON_A = unit(sscc(factory["prefix"], "1001"))
CARTON_B = unit(sscc(factory["prefix"], "1002"))

HIDES = lot(gtin(tannery["prefix"], "101"), "HIDES-2026-31")
LEATHER = lot(gtin(tannery["prefix"], "102"), "LEATHER-WHT-0450")
SOLES = lot(gtin(soles["prefix"], "201"), "SOLE-42-7788")
SNEAKER = gtin(sneakers["prefix"], "54321")
PAIRS = [item(SNEAKER, "SN-%04d" % n) for n in range(1, 7)]
SHOE_CARTON = unit(sscc(shoes["prefix"], "2001"))

GOTS = "https://certifier.example/gots/transaction-certificate/TC-2026-%s"
ORGANIC = "https://certifier.example/organic/IN-ORG-88123"
OEKO = "https://certifier.example/oeko-tex/standard-100/22.HIN.77812"
LWG = "https://certifier.example/lwg/audit/ES-LWG-0451-gold"


# --- events ----------------------------------------------------------------------------------------------

def event(kind, time, offset, step, where, **fields):
    e = {"type": kind, "eventTime": time + offset, "eventTimeZoneOffset": offset}
    if kind != "TransformationEvent":
        e["action"] = fields.pop("action", "OBSERVE")
    e.update({k: v for k, v in fields.items() if k not in ("disposition",)})
    e["bizStep"] = step
    if "disposition" in fields:
        e["disposition"] = fields["disposition"]
    e["readPoint"] = {"id": where}
    e["bizLocation"] = {"id": where}
    return e


def q(epc_class, quantity, uom):
    return {"epcClass": epc_class, "quantity": quantity, "uom": uom}


def ship(time, offset, frm, to, what, **extra):
    return event("ObjectEvent", time, offset, "shipping", frm["place"], disposition="in_transit",
                 sourceList=[{"type": "owning_party", "source": frm["party"]},
                             {"type": "location", "source": frm["place"]}],
                 destinationList=[{"type": "owning_party", "destination": to["party"]},
                                  {"type": "location", "destination": to["place"]}], **what, **extra)


def receive(time, offset, frm, to, what):
    return event("ObjectEvent", time, offset, "receiving", to["place"], disposition="in_progress",
                 sourceList=[{"type": "owning_party", "source": frm["party"]}],
                 destinationList=[{"type": "owning_party", "destination": to["party"]}], **what)


def transform(time, offset, at, inputs, outputs, certs, **extra):
    return event("TransformationEvent", time, offset, "commissioning", at["place"],
                 inputQuantityList=inputs, **outputs, certificationInfo=certs, **extra)


DOCUMENTS = []


def document(path, signers, *events):
    doc = {"@context": CONTEXT, "type": "EPCISDocument", "schemaVersion": "2.0",
           "creationDate": events[-1]["eventTime"], "epcisBody": {"eventList": list(events)}}
    DOCUMENTS.append({"file": path, "signers": signers, "json": doc})


IST, BST, CET, CEST, WET = "+05:30", "+06:00", "+01:00", "+02:00", "+01:00"

# The T-shirt: farm → ginner → spinner → knitter → dyehouse → garment factory → brand → distributor → online store.
document("tshirt/01-farm-harvest.json", ["sunrise-farm"],
         event("ObjectEvent", "2026-10-02T07:30:00", IST, "commissioning", farm["place"], action="ADD",
               quantityList=[q(SEED_COTTON, 3000, "KGM")], certificationInfo=[ORGANIC],
               ilmd={"cbvmda:countryOfOrigin": "IN", "tl:crop": "organic cotton, rain-fed, hand-picked"}),
         ship("2026-10-04T09:00:00", IST, farm, ginner, {"quantityList": [q(SEED_COTTON, 3000, "KGM")]}))
document("tshirt/02-ginner-bales.json", ["kutch-ginning"],
         receive("2026-10-04T15:20:00", IST, farm, ginner, {"quantityList": [q(SEED_COTTON, 3000, "KGM")]}),
         transform("2026-10-06T11:00:00", IST, ginner, [q(SEED_COTTON, 3000, "KGM")],
                   {"outputQuantityList": [q(LINT, 1050, "KGM")]}, [GOTS % "GIN-0311", ORGANIC]),
         ship("2026-10-08T08:00:00", IST, ginner, spinner, {"quantityList": [q(LINT, 1050, "KGM")]}))
document("tshirt/03-spinner-yarn.json", ["tiruppur-spinning"],
         receive("2026-10-10T10:00:00", IST, ginner, spinner, {"quantityList": [q(LINT, 1050, "KGM")]}),
         transform("2026-10-14T16:00:00", IST, spinner, [q(LINT, 1050, "KGM")],
                   {"outputQuantityList": [q(YARN, 890, "KGM")]}, [GOTS % "SPN-1180"]),
         ship("2026-10-15T09:30:00", IST, spinner, knitter, {"quantityList": [q(YARN, 890, "KGM")]}))
document("tshirt/04-knitter-fabric.json", ["coimbatore-knits"],
         receive("2026-10-15T17:00:00", IST, spinner, knitter, {"quantityList": [q(YARN, 890, "KGM")]}),
         transform("2026-10-18T13:00:00", IST, knitter, [q(YARN, 890, "KGM")],
                   {"outputQuantityList": [q(GREIGE, 870, "KGM")]}, [GOTS % "KNT-0552"]),
         ship("2026-10-19T08:00:00", IST, knitter, dyer, {"quantityList": [q(GREIGE, 870, "KGM")]}))
document("tshirt/05-dyehouse-fabric.json", ["erode-dyehouse"],
         receive("2026-10-19T14:00:00", IST, knitter, dyer, {"quantityList": [q(GREIGE, 870, "KGM")]}),
         transform("2026-10-22T10:00:00", IST, dyer, [q(GREIGE, 435, "KGM")],
                   {"outputQuantityList": [q(DYED_A, 422, "KGM")]}, [GOTS % "DYE-0917", OEKO]),
         transform("2026-10-23T10:00:00", IST, dyer, [q(GREIGE, 435, "KGM")],
                   {"outputQuantityList": [q(DYED_B, 420, "KGM")]}, [GOTS % "DYE-0918", OEKO]),
         ship("2026-10-24T09:00:00", IST, dyer, factory,
              {"quantityList": [q(DYED_A, 422, "KGM"), q(DYED_B, 420, "KGM")]}))
# The garment factory sews the brand's GTIN: the brand co-signs, as owner of the company prefix.
document("tshirt/06-factory-tshirts.json", ["dhaka-garments", "northwind-apparel"],
         receive("2026-10-30T11:00:00", BST, dyer, factory,
                 {"quantityList": [q(DYED_A, 422, "KGM"), q(DYED_B, 420, "KGM")]}),
         transform("2026-11-03T15:00:00", BST, factory, [q(DYED_A, 3, "KGM")], {"outputEPCList": SHIRTS_A},
                   [GOTS % "GAR-1103"], ilmd={"tl:garment": "crew-neck T-shirt, size M, natural indigo"}),
         transform("2026-11-04T15:00:00", BST, factory, [q(DYED_B, 1.5, "KGM")], {"outputEPCList": SHIRTS_B},
                   [GOTS % "GAR-1104"], ilmd={"tl:garment": "crew-neck T-shirt, size M, madder red"}),
         event("AggregationEvent", "2026-11-05T10:00:00", BST, "packing", factory["place"], action="ADD",
               parentID=CARTON_A, childEPCs=SHIRTS_A),
         event("AggregationEvent", "2026-11-05T10:30:00", BST, "packing", factory["place"], action="ADD",
               parentID=CARTON_B, childEPCs=SHIRTS_B),
         ship("2026-11-06T08:00:00", BST, factory, brand, {"epcList": [CARTON_A, CARTON_B]}))
document("tshirt/07-brand-warehouse.json", ["northwind-apparel"],
         receive("2026-11-18T09:00:00", CET, factory, brand, {"epcList": [CARTON_A, CARTON_B]}),
         event("ObjectEvent", "2026-11-18T11:00:00", CET, "inspecting", brand["place"], epcList=[CARTON_A, CARTON_B],
               disposition="conformant"),
         ship("2026-11-19T07:00:00", CET, brand, distributor, {"epcList": [CARTON_A, CARTON_B]}))
document("tshirt/08-distributor.json", ["eurotex-distribution"],
         receive("2026-11-20T10:00:00", CET, brand, distributor, {"epcList": [CARTON_A, CARTON_B]}),
         event("AggregationEvent", "2026-11-20T14:00:00", CET, "unpacking", distributor["place"], action="DELETE",
               parentID=CARTON_A, childEPCs=SHIRTS_A),
         event("AggregationEvent", "2026-11-20T14:10:00", CET, "unpacking", distributor["place"], action="DELETE",
               parentID=CARTON_B, childEPCs=SHIRTS_B),
         ship("2026-11-21T08:00:00", CET, distributor, seller, {"epcList": SHIRTS_A[:4] + SHIRTS_B[:2]}))
document("tshirt/09-online-store.json", ["shopstream"],
         receive("2026-11-22T09:00:00", CET, distributor, seller, {"epcList": SHIRTS_A[:4] + SHIRTS_B[:2]}),
         event("ObjectEvent", "2026-11-24T20:15:00", CET, "retail_selling", seller["place"], epcList=[SHIRTS_A[0]],
               disposition="retail_sold"))
# The madder-red batch fails a dye test: the brand recalls it.
document("tshirt/10-brand-recall.json", ["northwind-apparel"],
         event("ObjectEvent", "2026-11-26T12:00:00", CET, "holding", brand["place"], epcList=SHIRTS_B,
               disposition="recalled", persistentDisposition={"set": ["recalled"]},
               **{"tl:reason": "dye lot DYE-B-0918 failed the colour-fastness test"}))


def audit(time, offset, site, what, certificate):
    e = event("ObjectEvent", time, offset, "inspecting", site["place"], disposition="conformant",
              certificationInfo=[certificate], **what)
    return e


# The certification body records the certificates it issued, after auditing each site.
document("tshirt/11-certifier-audits.json", ["global-certification"],
         audit("2026-10-03T10:00:00", IST, farm, {"quantityList": [q(SEED_COTTON, 3000, "KGM")]}, ORGANIC),
         audit("2026-10-07T10:00:00", IST, ginner, {"quantityList": [q(LINT, 1050, "KGM")]}, GOTS % "GIN-0311"),
         audit("2026-10-14T17:00:00", IST, spinner, {"quantityList": [q(YARN, 890, "KGM")]}, GOTS % "SPN-1180"),
         audit("2026-10-18T14:00:00", IST, knitter, {"quantityList": [q(GREIGE, 870, "KGM")]}, GOTS % "KNT-0552"),
         audit("2026-10-22T11:00:00", IST, dyer, {"quantityList": [q(DYED_A, 422, "KGM")]}, GOTS % "DYE-0917"),
         audit("2026-10-23T11:00:00", IST, dyer, {"quantityList": [q(DYED_B, 420, "KGM")]}, GOTS % "DYE-0918"),
         audit("2026-10-23T12:00:00", IST, dyer, {"quantityList": [q(DYED_A, 422, "KGM"), q(DYED_B, 420, "KGM")]},
               OEKO),
         audit("2026-11-03T16:00:00", BST, factory, {"epcList": SHIRTS_A}, GOTS % "GAR-1103"),
         audit("2026-11-04T16:00:00", BST, factory, {"epcList": SHIRTS_B}, GOTS % "GAR-1104"))

# The sneaker: tannery and rubber-sole maker → shoe factory → brand → retailer; later a clone appears.
document("sneaker/01-tannery-leather.json", ["ebro-tannery"],
         event("ObjectEvent", "2026-09-01T08:00:00", CEST, "commissioning", tannery["place"], action="ADD",
               quantityList=[q(HIDES, 120, "H87")], ilmd={"cbvmda:countryOfOrigin": "ES"}),
         transform("2026-09-15T16:00:00", CEST, tannery, [q(HIDES, 120, "H87")],
                   {"outputQuantityList": [q(LEATHER, 450, "FTK")]}, [LWG],
                   ilmd={"tl:tanning": "chrome-free, white full-grain"}),
         ship("2026-09-17T08:00:00", CEST, tannery, shoes, {"quantityList": [q(LEATHER, 450, "FTK")]}))
document("sneaker/02-sole-maker.json", ["porto-soles"],
         event("ObjectEvent", "2026-09-10T09:00:00", WET, "commissioning", soles["place"], action="ADD",
               quantityList=[q(SOLES, 400, "PR")], ilmd={"tl:material": "natural rubber, 30% recycled"}),
         ship("2026-09-18T08:00:00", WET, soles, shoes, {"quantityList": [q(SOLES, 400, "PR")]}))
document("sneaker/03-shoe-factory.json", ["braga-shoes", "stride-footwear"],
         receive("2026-09-19T10:00:00", WET, tannery, shoes, {"quantityList": [q(LEATHER, 450, "FTK")]}),
         receive("2026-09-19T11:00:00", WET, soles, shoes, {"quantityList": [q(SOLES, 400, "PR")]}),
         transform("2026-10-01T15:00:00", WET, shoes, [q(LEATHER, 24, "FTK"), q(SOLES, 6, "PR")],
                   {"outputEPCList": PAIRS}, [LWG], ilmd={"tl:model": "Stride Court, white, EU 42"}),
         event("AggregationEvent", "2026-10-02T09:00:00", WET, "packing", shoes["place"], action="ADD",
               parentID=SHOE_CARTON, childEPCs=PAIRS),
         ship("2026-10-02T15:00:00", WET, shoes, sneakers, {"epcList": [SHOE_CARTON]}))
document("sneaker/04-brand.json", ["stride-footwear"],
         receive("2026-10-06T09:00:00", CEST, shoes, sneakers, {"epcList": [SHOE_CARTON]}),
         ship("2026-10-08T08:00:00", CEST, sneakers, retailer, {"epcList": [SHOE_CARTON]}))
document("sneaker/05-retailer.json", ["city-sneakers"],
         receive("2026-10-09T10:00:00", CEST, sneakers, retailer, {"epcList": [SHOE_CARTON]}),
         event("AggregationEvent", "2026-10-09T11:00:00", CEST, "unpacking", retailer["place"], action="DELETE",
               parentID=SHOE_CARTON, childEPCs=PAIRS),
         event("ObjectEvent", "2026-10-17T16:30:00", CEST, "retail_selling", retailer["place"], epcList=[PAIRS[0]],
               disposition="retail_sold"))
document("sneaker/06-certifier-audit.json", ["global-certification"],
         audit("2026-09-16T10:00:00", CEST, tannery, {"quantityList": [q(LEATHER, 450, "FTK")]}, LWG))
# An unauthorised marketplace records receiving SN-0003 in a warehouse 900 km away, while the genuine pair is
# on the retailer's shelf in Zurich: a cloned serial.
document("sneaker/07-clone-offered.json", ["quickdeals"],
         event("ObjectEvent", "2026-10-20T10:00:00", CEST, "receiving", quickdeals["place"], epcList=[PAIRS[2]],
               disposition="sellable_accessible",
               sourceList=[{"type": "owning_party", "source": party(gln("6912399", "0"))}]))


# --- product data (Specs/24-products.md), signed by each brand -----------------------------------------------

PRODUCTS = [
    ("tshirt/tshirt-product.json", "northwind-apparel", {
        "gtin": TSHIRT,
        "name": named("Organic cotton T-shirt", "有机棉T恤"),
        "brandName": named("Northwind Apparel", "北风服饰"),
        "description": named(
            "A classic crew-neck T-shirt in single jersey, knitted from organic cotton grown in India and dyed "
            "without azo dyes.",
            "经典圆领单面针织T恤，采用印度种植的有机棉织造，不含偶氮染料。"),
        "category": named("T-shirts", "T恤"),
        "image": "https://northwind.example/images/organic-tee.jpg",
        "composition": [{"fibre": "cotton", "percent": 100}],
        "recycledContent": 0,
        "countryOfManufacture": "BD",
        "care": named("Machine wash at 30 °C, inside out.\nDo not tumble dry.\nIron on low heat.",
                      "30°C 翻面机洗。\n请勿滚筒烘干。\n低温熨烫。"),
    }),
    ("sneaker/sneaker-product.json", "stride-footwear", {
        "gtin": SNEAKER,
        "name": named("White leather sneaker", "白色真皮运动鞋"),
        "brandName": named("Stride Footwear", "步履鞋业"),
        "description": named(
            "A low-top sneaker in LWG gold-rated leather from Spain, on a natural rubber sole made in Portugal.",
            "低帮运动鞋，鞋面采用西班牙LWG金级认证皮革，天然橡胶鞋底产自葡萄牙。"),
        "category": named("Sneakers", "运动鞋"),
        "image": "https://stride.example/images/white-sneaker.jpg",
        "composition": [{"fibre": "leather", "percent": 70}, {"fibre": "rubber", "percent": 25},
                        {"fibre": "polyester", "percent": 5}],
        "recycledContent": 5,
        "countryOfManufacture": "PT",
        "care": named("Wipe clean with a damp cloth.\nDo not machine wash.", "用湿布擦拭。\n请勿机洗。"),
    }),
]


# The materials' makers describe them too, so a page can name each material (Specs/24-products.md §5).
for file, signer, prefix, item, en, zh in [
    ("tshirt/material-seed-cotton.json", "sunrise-farm", farm["prefix"], "101", "Organic seed cotton", "有机籽棉"),
    ("tshirt/material-lint.json", "kutch-ginning", ginner["prefix"], "201", "Organic cotton lint", "有机皮棉"),
    ("tshirt/material-yarn.json", "tiruppur-spinning", spinner["prefix"], "301", "Organic cotton yarn, 30s",
     "有机棉纱（30支）"),
    ("tshirt/material-jersey.json", "coimbatore-knits", knitter["prefix"], "401", "Organic single jersey",
     "有机单面针织布"),
    ("tshirt/material-dyed-jersey.json", "erode-dyehouse", dyer["prefix"], "501", "Dyed organic jersey",
     "染色有机针织布"),
    ("sneaker/material-hides.json", "ebro-tannery", tannery["prefix"], "101", "Raw cattle hides", "生牛皮"),
    ("sneaker/material-leather.json", "ebro-tannery", tannery["prefix"], "102", "White leather", "白色皮革"),
    ("sneaker/material-soles.json", "porto-soles", soles["prefix"], "201", "Natural rubber soles", "天然橡胶鞋底"),
]:
    PRODUCTS.append((file, signer, {"gtin": gtin(prefix, item), "name": named(en, zh)}))


# --- output -----------------------------------------------------------------------------------------------

def files():
    out = {}
    manifest = {"note": "TEST-ONLY keys and data for threadline demo; see samples/README.md",
                "participants": PARTICIPANTS, "authorizations": AUTHORIZATIONS,
                "products": [{"file": f, "signer": signer} for f, signer, _ in PRODUCTS],
                "documents": [{"file": d["file"], "signers": d["signers"]} for d in DOCUMENTS]}
    out["samples/manifest.json"] = json.dumps(manifest, indent=2) + "\n"
    for p in PARTICIPANTS:
        out["samples/keys/%s.key" % p["id"]] = private_key(p["id"])
    for d in DOCUMENTS:
        out["samples/" + d["file"]] = json.dumps(d["json"], indent=2) + "\n"
    for f, _, product in PRODUCTS:
        out["samples/" + f] = json.dumps(product, indent=2, ensure_ascii=False) + "\n"
    return out


def main():
    check = "--check" in sys.argv
    stale = []
    for path, text in files().items():
        full = os.path.join(ROOT, path)
        current = open(full).read() if os.path.exists(full) else None
        if current != text:
            stale.append(path)
            if not check:
                os.makedirs(os.path.dirname(full), exist_ok=True)
                with open(full, "w") as f:
                    f.write(text)
    if check and stale:
        print("out of date: " + ", ".join(stale))
        sys.exit(1)


if __name__ == "__main__":
    main()
