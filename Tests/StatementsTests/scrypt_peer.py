"""An independent hidden-code commitment hash (Specs/24-products.md §7), with Python's hashlib.scrypt:
argv product, normalised code, salt (base64url); prints the hash in base64url."""
import base64
import hashlib
import sys

product, code, salt_text = sys.argv[1:4]
salt = base64.urlsafe_b64decode(salt_text + "=" * (-len(salt_text) % 4))
digest = hashlib.scrypt(("threadline hidden code\n%s\n%s" % (product, code)).encode(), salt=salt,
                        n=16384, r=8, p=1, dklen=32, maxmem=64 * 1024 * 1024)
print(base64.urlsafe_b64encode(digest).decode().rstrip("="))
