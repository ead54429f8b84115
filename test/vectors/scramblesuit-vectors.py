# Independent computation of ScrambleSuit vectors from the spec text (protocols.md §3.3, the
# Python obfsproxy's ticket.py / message.py layouts), with Python's hmac/hashlib/base64 and the
# 'cryptography' package's AES. No steppe code involved.
import hmac, hashlib, base64, json, struct
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

def hx(b): return b.hex()
def rng(a, n): return bytes((a + i) & 0xff for i in range(n))
def h128(k, m): return hmac.new(k, m, hashlib.sha256).digest()[:16]

def hkdf_expand(prk, info, L):
    out, t, i = b'', b'', 1
    while len(out) < L:
        t = hmac.new(prk, t + info + bytes([i]), hashlib.sha256).digest()
        out += t; i += 1
    return out[:L]

v = {}
# RFC 5869 A.1, Expand step only (PRK as given there)
v['rfc5869_tc1'] = {
  'prk': '077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5',
  'info': 'f0f1f2f3f4f5f6f7f8f9', 'length': 42,
  'okm': hx(hkdf_expand(bytes.fromhex('077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5'), bytes.fromhex('f0f1f2f3f4f5f6f7f8f9'), 42))}
mk = rng(0, 32)
okm = hkdf_expand(mk, b'', 144)
v['kdf'] = {'masterKey': hx(mk), 'okm': hx(okm),
  'upstream': {'aesKey': hx(okm[0:32]), 'ivPrefix': hx(okm[32:40]), 'macKey': hx(okm[80:112])},
  'downstream': {'aesKey': hx(okm[40:72]), 'ivPrefix': hx(okm[72:80]), 'macKey': hx(okm[112:144])}}

# messages, client->server direction of master key 00..1f
def ctr(key, prefix):
    return Cipher(algorithms.AES(key), modes.CTR(prefix + (1).to_bytes(8, 'big'))).encryptor()
enc = ctr(okm[0:32], okm[32:40]); mac = okm[80:112]
def msg(flags, payload, pad):
    body = struct.pack('>HHB', len(payload) + pad, len(payload), flags) + payload + b'\0' * pad
    c = enc.update(body)
    return h128(mac, c) + c
m1 = msg(1, b'hello', 3)
m2 = msg(4, rng(0x80, 32), 0)
m3 = msg(1, b'', 0)
v['messages'] = {'masterKey': hx(mk), 'direction': 'upstream', 'sequence': [
  {'flags': 1, 'payload': hx(b'hello'), 'padding': 3, 'wire': hx(m1)},
  {'flags': 4, 'payload': hx(rng(0x80, 32)), 'padding': 0, 'wire': hx(m2)},
  {'flags': 1, 'payload': '', 'padding': 0, 'wire': hx(m3)}]}

# ticket
aes_k, hmac_k, iv, tmk, issued = rng(0, 16), rng(0x20, 32), rng(0x40, 16), rng(0x60, 32), 1700000000
state = struct.pack('<I', issued) + b'ScrambleSuitTicket' + tmk + b'\0' * 10
e = Cipher(algorithms.AES(aes_k), modes.CBC(iv)).encryptor()
ct = e.update(state) + e.finalize()
ticket = iv + ct + hmac.new(hmac_k, iv + ct, hashlib.sha256).digest()
assert len(ticket) == 112
v['ticket'] = {'aesKey': hx(aes_k), 'hmacKey': hx(hmac_k), 'iv': hx(iv), 'masterKey': hx(tmk),
  'issuedAt': issued, 'ticket': hx(ticket)}

# handshakes
kB = rng(0xa0, 20)
pub = rng(0x10, 192)
pad = rng(0x33, 7)
epoch = str(1700000000 // 3600)
mark = h128(kB, pub)
hs = pub + pad + mark + h128(kB, pub + pad + mark + epoch.encode())
v['uniformdhMessage'] = {'secret': hx(kB), 'publicKey': hx(pub), 'padding': hx(pad),
  'epoch': epoch, 'message': hx(hs)}
tkey = hkdf_expand(tmk, b'', 144)[80:112]
tpad = rng(0x55, 5)
tmark = h128(tkey, ticket)
ths = ticket + tpad + tmark + h128(tkey, ticket + tpad + tmark + epoch.encode())
v['ticketMessage'] = {'ticket': hx(ticket), 'masterKey': hx(tmk), 'padding': hx(tpad),
  'epoch': epoch, 'message': hx(ths)}
v['password'] = {'secret': hx(kB), 'base32': base64.b32encode(kB).decode()}
print(json.dumps(v, indent=2))
