#!/usr/bin/env bash
# Fills Tests/Fuzz/corpus/<target>/ (git-ignored) with seed inputs made from real ones, so that fuzzing starts from
# what parsers actually receive rather than from nothing:
#   - the peers' corpora in ../shared/vectors (beside the repository, as in CI): EPCIS JSON-LD documents and
#     events, a few small EPCIS XML documents (2.0, 1.2 and invalid ones), event-hash examples, Merkle inclusion
#     and consistency proofs, the C2SP signed-note example;
#   - our own samples/ (EPCIS documents, manifest) and Specs/vectors/ (records, notes, checkpoints, tlog-proofs);
#   - small generated ones: tile paths, Digital Links, EPC URNs, listings CSV, spreadsheets, query strings,
#     capture bodies, a product bundle, and RFC 3161 requests, replies and tokens from a throwaway openssl TSA.
# Run by run.sh before fuzzing; safe to run again (a seed's file name is its SHA-1, as libFuzzer names inputs).
# Needs python3; openssl is optional (without it the time-stamp target starts from its regressions only).
set -euo pipefail

fuzz=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$(dirname "$fuzz")")
shared="$repo/../shared/vectors"
corpus="$fuzz/corpus"

command -v python3 > /dev/null || { echo "seeds.sh: python3 is needed to extract the seeds" >&2; exit 1; }
if [[ ! -d "$shared" ]]; then
    echo "seeds.sh: no $shared (the peers' vectors beside the repository); seeding from the repository only" >&2
fi

# RFC 3161: a self-signed TSA (P-256 and RSA keys) answers requests over SHA-256("threadline fuzz"), the imprint
# the time-stamp target checks tokens against, so mutations of these seeds reach the signature checks.
tsa=$(mktemp -d)
trap 'rm -rf "$tsa"' EXIT
if command -v openssl > /dev/null; then
    digest=$(printf 'threadline fuzz' | openssl dgst -sha256 -r | cut -d' ' -f1)
    cat > "$tsa/ts.cnf" << EOF
[ tsa ]
default_tsa = fuzz_tsa
[ fuzz_tsa ]
serial = $tsa/serial
crypto_device = builtin
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256
ess_cert_id_alg = sha256
accuracy = secs:1
ordering = no
tsa_name = yes
EOF
    echo 01 > "$tsa/serial"
    for kind in ec rsa; do
        if [[ $kind == ec ]]; then key=(-newkey ec -pkeyopt ec_paramgen_curve:P-256); else key=(-newkey rsa:2048); fi
        openssl req -x509 "${key[@]}" -nodes -keyout "$tsa/$kind.key" -out "$tsa/$kind.crt" -days 2 \
            -subj "/CN=Threadline fuzz TSA $kind" -addext "extendedKeyUsage=critical,timeStamping" 2> /dev/null
        for nonce in nonce no_nonce; do
            flags=(-cert)
            [[ $nonce == no_nonce ]] && flags+=(-no_nonce)
            openssl ts -query -digest "$digest" -sha256 "${flags[@]}" -out "$tsa/$kind-$nonce.tsq" 2> /dev/null
            for out in out token_out; do
                extra=()
                [[ $out == token_out ]] && extra=(-token_out)
                openssl ts -reply -config "$tsa/ts.cnf" -queryfile "$tsa/$kind-$nonce.tsq" -signer "$tsa/$kind.crt" \
                    -inkey "$tsa/$kind.key" "${extra[@]}" -out "$tsa/$kind-$nonce-$out.der" 2> /dev/null
            done
        done
    done
else
    echo "seeds.sh: no openssl; no time-stamp seeds" >&2
fi

python3 - "$repo" "$shared" "$corpus" "$tsa" << 'PYTHON'
import base64, glob, hashlib, json, os, re, sys

repo, shared, corpus, tsa = sys.argv[1:5]
counts = {}


def seed(target, data):
    """Writes one seed for `target`, named by its SHA-1 as libFuzzer names what it adds."""
    if isinstance(data, str):
        data = data.encode()
    folder = os.path.join(corpus, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)
    counts[target] = counts.get(target, 0) + 1


def files(*patterns):
    found = []
    for pattern in patterns:
        found += sorted(glob.glob(pattern, recursive=True))
    return found


def read(path):
    with open(path, "rb") as f:
        return f.read()


def compact(value):
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# EPCIS documents: the peers' JSON-LD corpora (valid and invalid), the hash examples, our samples and vectors.
documents = files(
    f"{shared}/epcis-gs1/JSON/**/*.json*", f"{shared}/epcis-openepcis/Capture/**/*.json*",
    f"{shared}/epcis-event-hash/tests/examples/*.jsonld", f"{repo}/samples/*/*.json",
    f"{repo}/Specs/vectors/epcis-events.jsonld")
for path in documents:
    seed("fuzz-epcis-document", read(path))
    seed("fuzz-json", read(path))
    try:
        document = json.loads(read(path))
    except ValueError:
        continue
    body = document.get("epcisBody", {}) if isinstance(document, dict) else {}
    results = body.get("queryResults", {}).get("resultsBody", body) if isinstance(body, dict) else {}
    events = results.get("eventList") or ([results["event"]] if "event" in results else [])
    if isinstance(document, dict) and document.get("type", "").endswith("Event"):
        events = [document]
    for event in events if isinstance(events, list) else []:
        # As `import` records it: the event with the document's @context unless it has its own.
        if isinstance(event, dict) and "@context" not in event and "@context" in document:
            event = {"@context": document["@context"], **event}
        seed("fuzz-epcis-event", compact(event))

# EPCIS XML: the smallest few of the peers' 2.0 and 1.2 documents and of the 2.0 files each refused for one reason
# (a mutation of a small document reaches as much of the reader as one of a large one), and a document of ours whose
# ignoreFields the writer leaves out (the events' own hashes must survive XML written and read back).
xml = f"{shared}/epcis-openepcis/XML"
for folder in ["2.0/Documents", "1.2/Documents", "2.0/Invalid"]:
    for path in sorted(files(f"{xml}/{folder}/*.xml"), key=os.path.getsize)[:6]:
        seed("fuzz-epcis-xml", read(path))
seed("fuzz-epcis-xml", """<?xml version="1.0" encoding="UTF-8"?>
<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" xmlns:ex="https://example.com/ex/" schemaVersion="2.0"
  creationDate="2025-03-01T10:00:00Z">
  <EPCISBody>
    <ex:ignoreFields><ex:note/></ex:ignoreFields>
    <EventList>
      <ObjectEvent>
        <eventTime>2025-03-01T09:30:00.000+01:00</eventTime>
        <eventTimeZoneOffset>+01:00</eventTimeZoneOffset>
        <epcList><epc>urn:epc:id:sgtin:0614141.112345.400</epc></epcList>
        <action>OBSERVE</action>
        <bizStep>urn:epcglobal:cbv:bizstep:shipping</bizStep>
        <readPoint><id>urn:epc:id:sgln:0614141.12345.0</id></readPoint>
        <ex:note>kept &amp; ignored</ex:note>
      </ObjectEvent>
    </EventList>
  </EPCISBody>
</epcis:EPCISDocument>
""")

# Every other JSON we have, for the JSON parser (UNTP passports, manifests, our vectors).
for path in files(f"{shared}/untp/*.json*", f"{repo}/samples/manifest.json", f"{repo}/Specs/vectors/*.json"):
    seed("fuzz-json", read(path))
for text in ['{"a":[1,-2.5e+3,true,false,null],"b":"\\u00e9\\ud83d\\ude00\\n"}', "[]", '""', "0", '{"a":1,"a":2}']:
    seed("fuzz-json", text)

# DSSE envelopes, records, notes, checkpoints and proofs from Specs/vectors.
records = json.load(open(f"{repo}/Specs/vectors/records.json"))
notes = json.load(open(f"{repo}/Specs/vectors/signed-note.json"))
envelopes = [r["envelopeJSON"] for r in records["records"]] + [records["submittedJSON"]]
for envelope in envelopes:
    seed("fuzz-envelope", envelope)
for r in records["records"]:
    seed("fuzz-ledger-record", r["bytes"])
    seed("fuzz-epcis-event", r["payload"])
    seed("fuzz-json", r["payload"])
seed("fuzz-capture-body", envelopes[0])
seed("fuzz-capture-body", "[" + ",".join(envelopes) + "]")
seed("fuzz-capture-body", "\n".join(e.replace("\n", "") for e in envelopes) + "\n")
# An envelope for each sample event, signed by nobody in particular: the payloads reach the statement readers.
for path in files(f"{repo}/samples/*/*.json")[:4]:
    for event in json.loads(read(path)).get("epcisBody", {}).get("eventList", [])[:2]:
        payload = base64.b64encode(compact(event).encode()).decode()
        signature = {"keyid": records["participantKey"]["keyid"], "sig": base64.b64encode(bytes(64)).decode()}
        seed("fuzz-envelope", compact({
            "payloadType": "application/vnd.threadline.epcis-event+json", "payload": payload,
            "signatures": [signature]}))

signed = [notes["signedNote"], notes["cosignature"]["cosignedNote"], records["checkpoint"]]
signed += [case["note"] for case in notes["verifyCases"]]
if os.path.exists(f"{shared}/c2sp/signed-note-example.note"):
    signed.append(read(f"{shared}/c2sp/signed-note-example.note").decode())
for note in signed:
    seed("fuzz-signed-note", note)
seed("fuzz-signed-note", notes["checkpoint"]["text"])
seed("fuzz-signed-note", notes["checkpoint"]["text"] + "extension line\n")
for key in (notes["logKey"]["vkey"], notes["witnessKey"]["vkey"]):
    seed("fuzz-signed-note", key)

seed("fuzz-tlog-proof", records["tlogProof"]["text"])
head, _, note = records["tlogProof"]["text"].partition("\n\n")
lines = head.split("\n")
extra = "extra " + base64.b64encode(b"fuzz").decode()
seed("fuzz-tlog-proof", "\n".join([lines[0], extra] + lines[1:]) + "\n\n" + note)
# The Merkle corpus's inclusion proofs, against the vector's checkpoint (they verify against their own roots).
for path in files(f"{shared}/merkle/testdata/inclusion/**/*.json")[:40]:
    case = json.load(open(path))
    proof = "".join(line + "\n" for line in case.get("proof") or [])
    seed("fuzz-tlog-proof", f"c2sp.org/tlog-proof@v1\nindex {case.get('leafIdx', 0)}\n{proof}\n{notes['signedNote']}")

# Witness requests: from size 0, and from older sizes with the Merkle corpus's consistency proofs.
seed("fuzz-witness-request", "old 0\n\n" + notes["signedNote"])
seed("fuzz-witness-request", "old 0\n\n" + notes["cosignature"]["cosignedNote"])
for path in files(f"{shared}/merkle/testdata/consistency/**/*.json")[:40]:
    case = json.load(open(path))
    proof = "".join(line + "\n" for line in case.get("proof") or [])
    seed("fuzz-witness-request", f"old {case.get('size1', 0)}\n{proof}\n{notes['signedNote']}")

# Tile paths (tlog-tiles), including the vector's and some the fuzz ledger (773 entries) has.
tiles = list(records["tiles"]) + [
    "tile/0/000", "tile/0/002", "tile/0/003.p/5", "tile/1/000.p/3", "tile/entries/000", "tile/entries/003.p/5",
    "tile/0/x001/234", "tile/entries/000.p/5", "tile/2/005.p/17", "tile/63/x999/x999/999.p/255"]
for path in tiles:
    seed("fuzz-tile", path)

# GS1 codes: every Digital Link and EPC URN in the documents, and a few written here.
codes = set()
pattern = re.compile(rb'"((?:https?://[^"\s]*/(?:01|00|414)/[^"\s]*)|(?:urn:epc:[^"\s]*))"')
for path in documents:
    codes.update(m.decode() for m in pattern.findall(read(path)))
codes.update([
    "https://id.gs1.org/01/09506000134352/10/ABC%2F123/21/S%2501?17=201225&linkType=gs1:pip",
    "https://example.com/shop/01/9506000134352/22/2A/10/LOT1", "http://id.gs1.org/00/106141412345678908",
    "https://id.gs1.org/414/9521321000010/254/1", "urn:epc:id:sgtin:0614141.112345.400",
    "urn:epc:class:lgtin:4012345.012345.998877", "urn:epc:id:sscc:0614141.1234567890",
    "urn:epc:id:sgln:0614141.12345.400", "urn:epc:idpat:sgtin:4012345.066666.*", "09506000134352",
    " 00614141123452 "])
for code in sorted(codes)[:400]:
    seed("fuzz-gs1", code)

# Listings CSV files (Specs/13-listings.md §2), as the CLI test writes them.
seed("fuzz-listing-csv", """code,seller,claims
https://id.gs1.org/01/00614141123452/21/TS-0002,shopstream,certification=GOTS;countryOfOrigin=IN
https://id.gs1.org/01/00614141123452/21/TS-0001,shopstream,
"https://id.gs1.org/01/07612345543215/21/SN-0077",city-sneakers,"material=leather"
""")
seed("fuzz-listing-csv", 'Seller,Code\r\nquickdeals,"urn:epc:id:sgtin:0614141.112345.400"\r\n')
seed("fuzz-listing-csv", 'code,seller,claims\n"a ""quoted"" code",s,"k=v;x=y"\n')

# Spreadsheets (Specs/25-spreadsheets.md): `threadline csv-template STEP` for each step, the participant ids written as
# GLNs (the target reads against an empty registry), each after the byte that picks its step (SpreadsheetStep.allCases'
# order); and the same rows with semicolons and decimal commas, CRLF and a byte-order mark, quoted fields.
steps = ["commission", "ship", "receive", "pack", "unpack", "make"]
goods, when = "00614141123452,TS-0001 TS-0002,,,", "2026-09-01 08:30+08:00"
templates = {
    "commission": ["time,location,gtin,serial,lot,quantity,unit,certificate",
                   f"{when},dhaka-garments,{goods},https://certifier.example/gots/TC-2211"],
    "ship": ["time,from,to,gtin,serial,lot,quantity,unit,order",
             f"{when},dhaka-garments,northwind-apparel,{goods},PO-4471"],
    "receive": ["time,at,from,gtin,serial,lot,quantity,unit,order", f"{when},dhaka-garments,8801234000017,{goods},PO-4471"],
    "pack": ["time,location,container,gtin,serial,lot,quantity,unit", f"{when},dhaka-garments,088012340000010016,{goods}"],
    "unpack": ["time,location,container,gtin,serial,lot,quantity,unit", f"{when},dhaka-garments,088012340000010016,{goods}"],
    "make": ["time,location,batch,direction,gtin,serial,lot,quantity,unit",
             "2026-09-03 17:00+06:00,dhaka-garments,PO-2026-118,in,08901238005015,,DYE-A-0917,300,MTR",
             "2026-09-03 17:00+06:00,dhaka-garments,PO-2026-118,out,00614141123452,TS-0001 TS-0002,,,"],
}


def spreadsheet(step, lines, end="\n", bom=False):
    text = "".join(line.replace("dhaka-garments", "8801234000017").replace("northwind-apparel", "0614142000011") + end
                   for line in lines)
    return bytes([steps.index(step)]) + (b"\xef\xbb\xbf" if bom else b"") + text.encode()


for step, lines in templates.items():
    seed("fuzz-spreadsheet", spreadsheet(step, lines))
seed("fuzz-spreadsheet", spreadsheet("make", [line.replace(",", ";").replace(";300;", ";12,5;")
                                              for line in templates["make"]]))
seed("fuzz-spreadsheet", spreadsheet("ship", templates["ship"], end="\r\n", bom=True))
# Quoted fields, one of them over two lines (a refused row: the rows after it keep their numbers).
seed("fuzz-spreadsheet", spreadsheet("receive", [
    'Time , "At",from,GTIN,serial,lot,quantity,unit,order',
    '"2026-09-01T08:30:00Z", 8801234000017 ,,"00614141123452",,"LOT""7""",12.5,KGM,"urn:x:po:1,2"',
    '2026-09-01 08:30-03:30,8801234000017,0614142000011,00614141123452,"TS-1\nTS-2",,,,',
    '2026-09-01 08:30-03:30,8801234000017,"0614142000011","00614141123452"," TS-1\tTS-2 ",,,,"PO-4471"']))

# Signed requests' Signature-Input and Signature lines (Specs/20-request-signatures.md §4), and a Content-Digest.
seed("fuzz-request-signature", 'sig1=("@method" "@target-uri" "content-digest");created=1764412800;'
     'keyid="farm+5705ea9b+AYqI4910CfGV/VLbLTy6XXLKZwm/HZQSG/N0iAG0D29c";alg="ed25519";nonce="n0nce"\n'
     'sig1=:uiZObkWKk7iy/7WrsABdvdhsOocon9+z9WY+2kSsUb49IoJJCcfVt2UM7wzKaI7CcrCQh1/cl6u2Eq6el/v5DQ==:')
seed("fuzz-request-signature", 'sha-256=:AVq9f1zFei3ZS3WQ8ErYCEJzkF7jPsXOvq5iJ2qX+GI=:')
seed("fuzz-request-signature", 'a=?0, b, c;x=1;y="z", d=(1 2 "3" tok :AQID:);p, e=-42')
# A sealed event and its disclosures (Specs/23-sealed-events.md §1's vectors and RFC 9901's own).
seed("fuzz-sealed-event", '{"type":"ObjectEvent","_sd":["pXCqGAn1sw-6dAdZsgl0BdGfYXUu7FtlcYPMBs26iRk"],'
     '"epcList":[{"...":"ox0SlFBbUNhH1eNF41TtcvawzRMT28Gav1RA8CCsP4M"}],"_sd_alg":"sha-256"}\n'
     'WyJBUUVCQVFFQkFRRUJBUUVCQVFFQkFRIiwiYml6U3RlcCIsInNoaXBwaW5nIl0\n'
     'WyJBZ0lDQWdJQ0FnSUNBZ0lDQWdJQ0FnIiwidXJuOmVwYzppZDpzZ3RpbjowNjE0MTQxLjExMjM0NS5UUy0wMDAxIl0\n'
     'WyJfMjZiYzRMVC1hYzZxMktJNmNCVzVlcyIsICJmYW1pbHlfbmFtZSIsICJNw7ZiaXVzIl0')
# The same, with a field to erase named on the last line (Specs/23 §7).
seed("fuzz-sealed-event", '{"type":"ObjectEvent","_sd":["pXCqGAn1sw-6dAdZsgl0BdGfYXUu7FtlcYPMBs26iRk"],'
     '"epcList":[{"...":"ox0SlFBbUNhH1eNF41TtcvawzRMT28Gav1RA8CCsP4M"}],"_sd_alg":"sha-256"}\n'
     'WyJBZ0lDQWdJQ0FnSUNBZ0lDQWdJQ0FnIiwidXJuOmVwYzppZDpzZ3RpbjowNjE0MTQxLjExMjM0NS5UUy0wMDAxIl0\n'
     'epcList[0]')

# A sealed submission (the envelope with its disclosures and decoy seeds) and its opening as stored, from
# Specs/vectors/sealed-event.json; and a plain envelope, which must come without them.
sealed = json.load(open(f"{repo}/Specs/vectors/sealed-event.json"))
members = ',"disclosures":' + json.dumps(sealed["disclosures"]) + ',"decoys":' + json.dumps(sealed["decoySeeds"])
seed("fuzz-submission", sealed["envelopeJSON"].rstrip()[:-1] + members + "}")
seed("fuzz-submission", '{' + members[1:] + ',"erased":[{"digest":"' + sealed["digests"][0] + '","by":7}]}')
seed("fuzz-submission", envelopes[0])
seed("fuzz-submission", '{"record":7,"digests":["ox0SlFBbUNhH1eNF41TtcvawzRMT28Gav1RA8CCsP4M",'
     '"pXCqGAn1sw-6dAdZsgl0BdGfYXUu7FtlcYPMBs26iRk"],"reason":"a data subject\'s request"}')

# A product statement and a registration with places (Specs/24-products.md §2, 09 §2).
seed("fuzz-submission", '{"gtin":"00614141123452","name":{"en":"Organic cotton T-shirt","zh-CN":"有机棉T恤"},'
     '"description":{"en":"Jersey.\\nPre-washed."},"image":"https://example.com/tee.jpg","composition":'
     '[{"fibre":"cotton","percent":95.5},{"fibre":"elastane","percent":4.5}],"recycledContent":12.25,'
     '"countryOfManufacture":"BD","care":{"en":"Wash at 30 °C"},"basis":7}')
seed("fuzz-submission", '{"type":"ParticipantRegistration","participant":{"id":"spinner","name":"Spinner",'
     '"roles":["processor"],"companyPrefixes":["8901236"],"locations":[{"gln":"8901236000012","country":"IN",'
     '"name":{"en":"Tiruppur, Tamil Nadu","zh-CN":"蒂鲁普"}},"8901236000029"],"keys":["k"]},"basis":0}')

# A hidden code's commitment and a verification (Specs/24-products.md §7).
seed("fuzz-submission", '{"product":"https://id.gs1.org/01/00614141123452/21/TS-0001","salt":"AQEBAQEBAQEBAQEBAQEBAQ",'
     '"hash":"ox0SlFBbUNhH1eNF41TtcvawzRMT28Gav1RA8CCsP4M","kdf":{"name":"scrypt","N":16384,"r":8,"p":1}}')
seed("fuzz-submission", '{"product":"https://id.gs1.org/01/00614141123452/21/TS-0001","number":1,'
     '"verifiedAt":"2026-11-30T00:53:20.123Z"}')

# EPCIS query parameters of GET /events (Specs/11-trace.md §3).
for query in [
    "EQ_bizStep=shipping&perPage=10&nextPageToken=5", "MATCH_epc=urn:epc:id:sgtin:0614141.112345.400",
    "MATCH_anyEPC=https%3A%2F%2Fid.gs1.org%2F01%2F09506000134352%2F21%2F1,https://id.gs1.org/00/106141412345678908",
    "GE_eventTime=2025-01-01T00:00:00Z&LT_eventTime=2026-01-01T00:00:00.123%2B05:30",
    "eventType=ObjectEvent,TransformationEvent&EQ_action=ADD,OBSERVE", "EQ_disposition=in_transit&EQ_readPoint=x",
    "MATCH_epcClass=urn:epc:class:lgtin:4012345.012345.998877&EQ_bizLocation=urn:epc:id:sgln:0614141.12345.0"]:
    seed("fuzz-event-query", query)

# A product bundle (Specs/14-bundles.md) in its canonical encoding, with the vector's records and notes.
entries = [{"seq": r["seq"], "record": base64.b64encode(r["bytes"].encode()).decode(), "proof": []}
           for r in records["records"]]
entries[1]["proof"] = records["tlogProof"]["path"]
bundle = {"format": "threadline/bundle/v1", "code": "https://id.gs1.org/01/09506000134352/21/1",
          "checkpoint": records["checkpoint"], "records": entries, "seal": notes["signedNote"]}
seed("fuzz-bundle", compact(bundle) + "\n")

# Deliveries (Specs/26-subscriptions.md §6): an alert and an event document carrying the vector's record and its
# tlog-proof, one as the request a webhook saves; and subscriptions (§2).
proved = records["records"][records["tlogProof"]["index"]]
entry = base64.b64encode(proved["bytes"].encode()).decode()
alert = compact({"type": "ThreadlineAlert", "subscriptionID": "0123456789abcdef0123456789abcdef", "alert": "recalled",
                 "seq": proved["seq"], "creationDate": "2026-09-01T00:00:00.000Z", "about": [], "record": entry,
                 "proof": records["tlogProof"]["text"]})
seed("fuzz-delivery", alert)
seed("fuzz-delivery", "POST /hook HTTP/1.1\r\nhost: platform.example\r\ncontent-type: application/json\r\n"
     + "content-digest: sha-256=:AVq9f1zFei3ZS3WQ8ErYCEJzkF7jPsXOvq5iJ2qX+GI=:\r\n"
     + 'signature-input: sig1=("@method" "@target-uri" "content-digest");created=1764412800;keyid="k";alg="ed25519";nonce="n"\r\n'
     + "signature: sig1=:AQID:\r\n\r\n" + alert)
seed("fuzz-delivery", compact({"type": "EPCISQueryDocument", "epcisBody": {"queryResults": {
    "subscriptionID": "0123456789abcdef0123456789abcdef", "queryName": "SimpleEventQuery",
    "resultsBody": {"eventList": [{}]},
    "threadline:records": [proved["seq"]], "threadline:entries": [entry],
    "threadline:proofs": [records["tlogProof"]["text"]]}}}))
seed("fuzz-delivery", '{"url":"https://platform.example/hook","query":{"MATCH_epc":"urn:epc:id:sgtin:0614141.112345.1",'
     + '"EQ_bizStep":"shipping","GE_eventTime":"2026-09-01T00:00:00Z"}}')
seed("fuzz-delivery", '{"url":"http://[::ffff:127.0.0.1]:8080/h","alerts":["recalled","revoked"],'
     + '"codes":["https://id.gs1.org/01/09506000134352/21/1"],"gtins":["0614141123452"],"sellers":["shop"],'
     + '"brands":["acme"]}')

seed("fuzz-delivery", '{"name":"shipments","query":{"EQ_bizStep":["shipping","receiving"],"eventType":'
     + '["ObjectEvent"],"GE_eventTime":"2026-09-01T00:00:00Z","MATCH_epc":"urn:epc:id:sgtin:0614141.112345.1"}}')
seed("fuzz-delivery", '{"dest":"https://platform.example/hook","stream":true,"reportIfEmpty":false}')

# RFC 3161 requests, replies and bare tokens from the throwaway TSA.
for path in files(f"{tsa}/*.tsq", f"{tsa}/*.der"):
    seed("fuzz-timestamp", read(path))

for target in sorted(counts):
    print(f"seeds: {target}: {counts[target]}")
PYTHON
