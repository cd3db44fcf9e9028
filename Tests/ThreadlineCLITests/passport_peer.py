"""Checks a product passport independently (Specs/24-products.md §8): stdin is `passport --json` output
({"jwt", "credential", "jwk"}); argv[1] the UNTP DPP JSON Schema. The JWS must verify with jwcrypto under the JWK
(EdDSA, Ed25519), its header say vc+jwt, its payload be the credential, and the credential validate against the
schema (draft 2020-12, formats checked). Prints the issuer's id and the product's id, or why not (exit 1)."""
import json
import sys

import jsonschema
from jwcrypto import jwk, jws

given = json.load(sys.stdin)
schema = json.load(open(sys.argv[1]))
token = jws.JWS()
token.deserialize(given["jwt"])
token.verify(jwk.JWK(**given["jwk"]))
header = token.jose_header
if header.get("alg") != "EdDSA" or header.get("typ") != "vc+jwt":
    sys.exit("header: %s" % header)
credential = json.loads(token.payload)
if credential != given["credential"]:
    sys.exit("the JWS holds another credential")
errors = list(jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).iter_errors(credential))
if errors:
    sys.exit("; ".join("%s at %s" % (e.message, list(e.path)) for e in errors[:5]))
print(credential["issuer"]["id"], credential["credentialSubject"]["product"]["id"])
