"""An scrypt-encrypted PKCS#8 key with any N, r, p: OpenSSL's own pkcs8 command refuses to
make one above its 32 MiB scrypt limit. The plain key comes from openssl, the key derivation
from Python's hashlib.scrypt, the AES-256-CBC encryption from `openssl enc`.

Usage: scrypt_key.py PLAIN.der OUT.der PASSWORD N R P"""
import hashlib, os, subprocess, sys
def der(tag, body):
    n = len(body)
    if n < 128: l = bytes([n])
    else:
        b = n.to_bytes((n.bit_length() + 7) // 8, "big"); l = bytes([0x80 | len(b)]) + b
    return bytes([tag]) + l + body
def integer(v):
    b = v.to_bytes(v.bit_length() // 8 + 1, "big")
    return der(0x02, b)
def oid(dotted):
    parts = [int(p) for p in dotted.split(".")]
    body = bytes([40 * parts[0] + parts[1]])
    for p in parts[2:]:
        chunk = [p & 0x7F]; p >>= 7
        while p: chunk.insert(0, 0x80 | (p & 0x7F)); p >>= 7
        body += bytes(chunk)
    return der(0x06, body)
seq = lambda *xs: der(0x30, b"".join(xs))
plain, out, password, n, r, p = sys.argv[1], sys.argv[2], sys.argv[3].encode(), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
salt, iv = os.urandom(16), os.urandom(16)
key = hashlib.scrypt(password, salt=salt, n=n, r=r, p=p, maxmem=min(2**31 - 1, 128 * n * r * (p + 1) + (64 << 20)), dklen=32)
ct = subprocess.run(["openssl", "enc", "-aes-256-cbc", "-K", key.hex(), "-iv", iv.hex(), "-in", plain], check=True, capture_output=True).stdout
kdf = seq(oid("1.3.6.1.4.1.11591.4.11"), seq(der(0x04, salt), integer(n), integer(r), integer(p), integer(32)))
enc = seq(oid("2.16.840.1.101.3.4.1.42"), der(0x04, iv))
info = seq(seq(oid("1.2.840.113549.1.5.13"), seq(kdf, enc)), der(0x04, ct))
open(out, "wb").write(info)
