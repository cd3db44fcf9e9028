#!/usr/bin/env python3
"""Generates Specs/vectors/qr.json: QR code symbols of GS1 Digital Links, made by python-qrcode (an encoder
independent of libqrencode), for `threadline label` (Specs/18-label.md).

An encoder may pick any of the eight data masks (ISO/IEC 18004 §7.8.3 scores them; encoders differ in
details), so each vector holds the symbol under every mask. A test reads the mask from the symbol's format
information and compares every module with the symbol here under that mask.

    pip install qrcode==8.2
    python3 Specs/vectors/qr.py            # rewrite qr.json
    python3 Specs/vectors/qr.py --check    # exit 1 if qr.json differs
"""

import json
import os
import sys

import qrcode
from qrcode.util import MODE_8BIT_BYTE, QRData

HERE = os.path.dirname(os.path.abspath(__file__))

LEVELS = {
    "L": qrcode.constants.ERROR_CORRECT_L,
    "M": qrcode.constants.ERROR_CORRECT_M,
    "Q": qrcode.constants.ERROR_CORRECT_Q,
    "H": qrcode.constants.ERROR_CORRECT_H,
}

CASES = [
    ("https://id.gs1.org/01/09506000134352/10/ABC123/21/12345", "M"),
    ("https://threadline.example/01/04012345000016/10/TS-2026-0311/21/TS000042", "L"),
    ("https://brand.example/products/01/00614141000418/10/LOT%2F7%20b/21/ab%C3%A9~x", "H"),
]


def build() -> str:
    vectors = []
    for link, level in CASES:
        masks = {}
        version = None
        for mask in range(8):
            qr = qrcode.QRCode(error_correction=LEVELS[level], border=0, mask_pattern=mask)
            qr.add_data(QRData(link.encode("utf-8"), mode=MODE_8BIT_BYTE))
            qr.make(fit=True)
            version = qr.version
            masks[str(mask)] = ["".join("1" if module else "0" for module in row) for row in qr.get_matrix()]
        vectors.append({"link": link, "errorCorrection": level, "version": version, "masks": masks})
    doc = {
        "description": "QR symbols of GS1 Digital Links in 8-bit mode at the smallest version, under each mask; "
        "rows top to bottom, '1' dark, no quiet zone. Made by Specs/vectors/qr.py with python-qrcode.",
        "vectors": vectors,
    }
    return json.dumps(doc, indent=1) + "\n"


def main() -> None:
    path = os.path.join(HERE, "qr.json")
    text = build()
    if "--check" in sys.argv:
        with open(path) as f:
            if f.read() != text:
                sys.exit("qr.json differs from what qr.py generates")
        return
    with open(path, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
