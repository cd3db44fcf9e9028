"""An independent check of the EPCIS XML Threadline writes: each file named after the schema is validated against
the official EPCIS 2.0 XML Schema with lxml (libxml2's XSD validator). Prints one JSON line per file:
{"file", "valid", "error"}."""

import json
import sys

from lxml import etree

schema = etree.XMLSchema(etree.parse(sys.argv[1]))
for path in sys.argv[2:]:
    valid = schema.validate(etree.parse(path))
    error = "" if valid else str(schema.error_log.last_error)
    print(json.dumps({"file": path, "valid": valid, "error": error}))
