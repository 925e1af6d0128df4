"""MIKEY as the card's MGV-F reads it: RFC 3830 (pre-shared key method: 3.1, 4.1.2 PRF, 4.1.4
keys from the pre-shared key, 4.2.3 AES-CM, 4.2.4 MAC, 5.2/5.3, payload formats in 6), RFC 4563
(the general extension with Key IDs) and the profile of TS 33.246 6.4. Bounded, strict parsing:
anything malformed is a MikeyError, never an exception of another kind."""
import hashlib
import hmac
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

# payload numbers (RFC 3830 6.1)
P_LAST, P_KEMAC, P_T, P_ID, P_V, P_SP, P_RAND, P_GENERAL_EXT = 0, 1, 5, 6, 9, 10, 11, 21
DATA_PSK_INIT, DATA_PSK_RESP = 0, 1
TS_NTP_UTC, TS_NTP, TS_COUNTER = 0, 1, 2
EXT_KEY_ID = 3                                # RFC 4563 3
KEY_ID_DOMAIN, KEY_ID_MSK, KEY_ID_MTK = 0, 1, 2
KD_TGK, KD_TGK_SALT, KD_TEK, KD_TEK_SALT = 0, 1, 2, 3
KV_NULL, KV_SPI, KV_INTERVAL = 0, 1, 2
ENCR_AES_CM_128, MAC_HMAC_SHA1_160 = 1, 1
# RFC 3830 4.1.4: constants for keys derived from the pre-shared key
C_ENCR, C_AUTH, C_SALT = 0x150533E1, 0x2D22AC75, 0x29B88916
MAX_MESSAGE = 4096


class MikeyError(Exception):
    pass


def prf(inkey: bytes, label: bytes, out_len: int) -> bytes:
    """RFC 3830 4.1.2: inkey in 256-bit pieces s_1..s_n, P(s, label, m) with HMAC-SHA-1,
    XORed, truncated to out_len octets."""
    m = (out_len * 8 + 159) // 160
    pieces = [inkey[i:i + 32] for i in range(0, len(inkey), 32)] or [b""]
    out = bytes(m * 20)
    for s in pieces:
        a = label
        p = b""
        for _ in range(m):
            a = hmac.new(s, a, hashlib.sha1).digest()
            p += hmac.new(s, a + label, hashlib.sha1).digest()
        out = bytes(x ^ y for x, y in zip(out, p))
    return out[:out_len]


def psk_keys(psk: bytes, csb_id: int, rand: bytes):
    """RFC 3830 4.1.4: label = constant || 0xFF || CSB ID || RAND; encr 128, auth 160, salt 112 bits
    (TS 33.246 6.4.1: 160-bit authentication key)."""
    def label(c):
        return struct.pack(">IBI", c, 0xFF, csb_id) + rand
    return prf(psk, label(C_ENCR), 16), prf(psk, label(C_AUTH), 20), prf(psk, label(C_SALT), 14)


def timestamp_for_iv(ts_type: int, ts_value: bytes) -> int:
    """T of the AES-CM IV (RFC 3830 4.2.3) is 64 bits; a 32-bit COUNTER (TS 33.246 6.4.3) is
    taken as the unsigned integer it is, i.e. zero-extended (docs/interpretations.md)."""
    return int.from_bytes(ts_value, "big")


def aes_cm(key: bytes, salt: bytes, csb_id: int, t: int, data: bytes) -> bytes:
    """RFC 3830 4.2.3: AES-CM as in SRTP, IV = (S xor (0x0000 || CSB ID || T)) || 0x0000."""
    x = (csb_id << 64) | (t & 0xFFFFFFFFFFFFFFFF)          # 16 zero bits, 32, 64 = 112 bits
    iv = (int.from_bytes(salt, "big") ^ x).to_bytes(14, "big") + b"\x00\x00"
    enc = Cipher(algorithms.AES(key), modes.CTR(iv)).encryptor()
    return enc.update(data) + enc.finalize()


class Message:
    """A parsed MIKEY message: header fields, payload values and the offsets the MAC needs."""

    def __init__(self):
        self.version = self.data_type = self.v_bit = self.prf_func = None
        self.csb_id = self.n_cs = self.cs_map_type = None
        self.ts_type = self.ts_value = None
        self.rand = None
        self.ids = []                # ID payload data, in order (IDi, IDr)
        self.key_ids = {}            # RFC 4563 Key ID type -> value (first of each type)
        self.key_id_list = []
        self.kemac = None            # (encr_alg, encr_data, mac_alg, mac, mac_offset)
        self.v_payload = None        # (auth_alg, mac, mac_offset)
        self.raw = b""

    @property
    def ts(self) -> int:
        return int.from_bytes(self.ts_value, "big")


def parse(raw: bytes) -> Message:
    if len(raw) > MAX_MESSAGE or len(raw) < 10:
        raise MikeyError("length")
    m = Message()
    m.raw = raw
    m.version, m.data_type, nxt, vp = raw[0], raw[1], raw[2], raw[3]
    if m.version != 1:
        raise MikeyError("version")
    m.v_bit, m.prf_func = vp >> 7, vp & 0x7F
    if m.prf_func != 0:
        raise MikeyError("PRF")
    m.csb_id = int.from_bytes(raw[4:8], "big")
    m.n_cs, m.cs_map_type = raw[8], raw[9]
    pos = 10
    if m.cs_map_type == 0:             # SRTP-ID: Policy_no, SSRC, ROC per CS
        pos += 9 * m.n_cs
    elif m.cs_map_type == 1:           # empty map (RFC 4563)
        if m.n_cs != 0:
            raise MikeyError("#CS with an empty map")
    else:
        raise MikeyError("CS ID map type")
    if pos > len(raw):
        raise MikeyError("truncated header")

    def need(n):
        if pos + n > len(raw):
            raise MikeyError("truncated payload")

    while nxt != P_LAST:
        kind = nxt
        need(1)
        nxt = raw[pos]
        if kind == P_T:
            need(2)
            t = raw[pos + 1]
            n = 4 if t == TS_COUNTER else 8 if t in (TS_NTP_UTC, TS_NTP) else None
            if n is None:
                raise MikeyError("TS type")
            need(2 + n)
            m.ts_type, m.ts_value = t, raw[pos + 2:pos + 2 + n]
            pos += 2 + n
        elif kind == P_RAND:
            need(2)
            n = raw[pos + 1]
            need(2 + n)
            if n < 16:
                raise MikeyError("RAND shorter than 128 bits")
            m.rand = raw[pos + 2:pos + 2 + n]
            pos += 2 + n
        elif kind == P_ID:
            need(4)
            n = int.from_bytes(raw[pos + 2:pos + 4], "big")
            need(4 + n)
            m.ids.append(raw[pos + 4:pos + 4 + n])
            pos += 4 + n
        elif kind == P_GENERAL_EXT:
            need(4)
            t, n = raw[pos + 1], int.from_bytes(raw[pos + 2:pos + 4], "big")
            need(4 + n)
            if t == EXT_KEY_ID:
                _parse_key_ids(m, raw[pos + 4:pos + 4 + n])
            pos += 4 + n                 # unknown extensions: opaque (TS 33.246 6.5.3)
        elif kind == P_SP:
            need(5)
            n = int.from_bytes(raw[pos + 3:pos + 5], "big")
            need(5 + n)
            pos += 5 + n
        elif kind == P_KEMAC:
            need(4)
            enc_alg, n = raw[pos + 1], int.from_bytes(raw[pos + 2:pos + 4], "big")
            need(4 + n + 1)
            enc = raw[pos + 4:pos + 4 + n]
            mac_alg = raw[pos + 4 + n]
            mac_len = 20 if mac_alg == MAC_HMAC_SHA1_160 else None
            if mac_len is None:
                raise MikeyError("MAC algorithm")       # NULL is not allowed (TS 33.246 6.4.5)
            mac_offset = pos + 5 + n
            need(5 + n + mac_len)
            m.kemac = (enc_alg, enc, mac_alg, raw[mac_offset:mac_offset + mac_len], mac_offset)
            pos = mac_offset + mac_len
            if nxt != P_LAST:
                raise MikeyError("KEMAC is not the last payload")
        elif kind == P_V:
            need(2)
            alg = raw[pos + 1]
            if alg != MAC_HMAC_SHA1_160:
                raise MikeyError("V algorithm")
            need(22)
            m.v_payload = (alg, raw[pos + 2:pos + 22], pos + 2)
            pos += 22
        else:
            raise MikeyError(f"payload {kind} not expected")
    if pos != len(raw):
        raise MikeyError("data after the last payload")
    return m


def _parse_key_ids(m, data):
    pos = 0
    while pos < len(data):
        if pos + 2 > len(data):
            raise MikeyError("Key ID truncated")
        t, n = data[pos], data[pos + 1]
        if pos + 2 + n > len(data):
            raise MikeyError("Key ID truncated")
        value = data[pos + 2:pos + 2 + n]
        m.key_id_list.append((t, value))
        m.key_ids.setdefault(t, value)
        pos += 2 + n


def verify_kemac_mac(m: Message, auth_key: bytes) -> bool:
    """RFC 3830 5.2: the MAC covers the whole message up to (not including) the MAC field."""
    _, _, _, mac, mac_offset = m.kemac
    want = hmac.new(auth_key, m.raw[:mac_offset], hashlib.sha1).digest()
    return hmac.compare_digest(want, mac)


class KeyData:
    def __init__(self):
        self.type = self.kv = None
        self.key = self.salt = None
        self.kv_data = None          # (valid from, valid to) octet strings for KV interval


def decrypt_key_data(m: Message, encr_key: bytes, salt: bytes) -> KeyData:
    enc_alg, enc, _, _, _ = m.kemac
    if enc_alg != ENCR_AES_CM_128:
        raise MikeyError("encryption algorithm")        # NULL not allowed (TS 33.246 6.4.5)
    plain = aes_cm(encr_key, salt, m.csb_id, timestamp_for_iv(m.ts_type, m.ts_value), enc)
    if len(plain) < 4:
        raise MikeyError("key data truncated")
    kd = KeyData()
    nxt = plain[0]
    kd.type, kd.kv = plain[1] >> 4, plain[1] & 0x0F
    n = int.from_bytes(plain[2:4], "big")
    pos = 4
    if pos + n > len(plain):
        raise MikeyError("key data truncated")
    kd.key = plain[pos:pos + n]
    pos += n
    if kd.type in (KD_TGK_SALT, KD_TEK_SALT):
        if pos + 2 > len(plain):
            raise MikeyError("salt truncated")
        sn = int.from_bytes(plain[pos:pos + 2], "big")
        if pos + 2 + sn > len(plain):
            raise MikeyError("salt truncated")
        kd.salt = plain[pos + 2:pos + 2 + sn]
        pos += 2 + sn
    if kd.kv == KV_INTERVAL:
        if pos + 1 > len(plain):
            raise MikeyError("KV truncated")
        a = plain[pos]
        if pos + 1 + a + 1 > len(plain):
            raise MikeyError("KV truncated")
        vf = plain[pos + 1:pos + 1 + a]
        pos += 1 + a
        b = plain[pos]
        if pos + 1 + b > len(plain):
            raise MikeyError("KV truncated")
        vt = plain[pos + 1:pos + 1 + b]
        pos += 1 + b
        kd.kv_data = (vf, vt)
    elif kd.kv == KV_SPI:
        if pos + 1 > len(plain) or pos + 1 + plain[pos] > len(plain):
            raise MikeyError("SPI truncated")
        pos += 1 + plain[pos]
    elif kd.kv != KV_NULL:
        raise MikeyError("KV type")
    if nxt != 0 or pos != len(plain):
        raise MikeyError("one key data sub-payload expected")   # one MSK / MTK per message (6.4.5)
    return kd


def verification_message(received: Message, idi: bytes, idr: bytes, auth_key: bytes) -> bytes:
    """TS 33.246 6.4.5.2: HDR || T || IDr || V, same CSB ID, #CS 0, empty map; the MAC covers the
    message (without the MAC field) || IDi || IDr || T (RFC 3830 5.2; T = the received TS value)."""
    hdr = struct.pack(">BBBBIBB", 1, DATA_PSK_RESP, P_T, 0, received.csb_id, 0, 1)
    t = bytes([P_ID, received.ts_type]) + received.ts_value
    idr_payload = bytes([P_V, 0]) + len(idr).to_bytes(2, "big") + idr
    v_head = bytes([P_LAST, MAC_HMAC_SHA1_160])
    body = hdr + t + idr_payload + v_head
    mac = hmac.new(auth_key, body + idi + idr + received.ts_value, hashlib.sha1).digest()
    return body + mac


def serial_greater(a: int, b: int, bits: int = 32) -> bool:
    """RFC 1982 3.2: a > b in serial number arithmetic; undefined (half-way) counts as not greater."""
    half = 1 << (bits - 1)
    return (a < b and b - a > half) or (a > b and a - b < half)
