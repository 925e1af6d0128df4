"""GBA_U on the card (USIM service n°68): AUTHENTICATE in the GBA security context, TS 31.102
7.1.1.4 (bootstrapping mode), 7.1.1.5 (NAF derivation mode), 7.1.2.3/7.1.2.4 (coding), with
the key handling of TS 33.220 5.3.2 and the KDF of TS 33.220 Annex B."""
import hashlib
import hmac

import usim_files as uf
from apdu import ApduError, tlv, SW_OK, SW_CONDITIONS_OF_USE, SW_WRONG_DATA, SW_WRONG_LENGTH

TAG_BOOTSTRAPPING = 0xDD     # 7.1.2.3
TAG_NAF_DERIVATION = 0xDE    # 7.1.2.4
TAG_SUCCESS = 0xDB
TAG_SYNC_FAILURE = 0xDC


def kdf(key: bytes, fc: int, *params: bytes) -> bytes:
    """TS 33.220 B.2: HMAC-SHA-256(Key, FC || P0 || L0 || ... || Pn || Ln)."""
    s = bytes([fc])
    for p in params:
        if len(p) > 0xFFFF:
            raise ValueError("KDF parameter longer than 65535 octets")
        s += p + len(p).to_bytes(2, "big")
    return hmac.new(key, s, hashlib.sha256).digest()


def naf_keys(ks: bytes, rand: bytes, impi: bytes, naf_id: bytes):
    """TS 33.220 B.3 / 5.3.2 step 9: (Ks_ext_NAF, Ks_int_NAF)."""
    return (kdf(ks, 0x01, b"gba-me", rand, impi, naf_id),
            kdf(ks, 0x01, b"gba-u", rand, impi, naf_id))


def mac_from_mac_star(mac_star: bytes, ik: bytes) -> bytes:
    """TS 33.220 5.3.2 step 4: MAC = MAC* xor Trunc(SHA-1(IK)), Trunc = bits [0]..[63]."""
    t = hashlib.sha1(ik).digest()[:8]
    return bytes(a ^ b for a, b in zip(mac_star, t))


class NafKey:
    serials = 0

    def __init__(self, naf_id, ks_int_naf, btid, generation):
        self.naf_id = naf_id
        self.ks_int_naf = ks_int_naf
        self.btid = btid
        self.generation = generation   # which bootstrapping it came from
        NafKey.serials += 1
        self.serial = NafKey.serials   # which NAF derivation made it


class GbaU:
    def __init__(self, card):
        self.card = card
        self.ks = None          # CK || IK of the last GBA_U bootstrapping (never leaves the card)
        self.rand = None
        self.generation = 0     # counts bootstrappings
        self.naf = {}           # NAF_ID -> NafKey (at most one per NAF_ID, TS 33.220 5.3.3)
        self.naf_order = []     # record numbers, most recently used first (7.1.1.5)

    def authenticate(self, data: bytes):
        if not data:
            raise ApduError(SW_WRONG_LENGTH)
        if data[0] == TAG_BOOTSTRAPPING:
            return self._bootstrap(data[1:])
        if data[0] == TAG_NAF_DERIVATION:
            return self._derive(data[1:])
        raise ApduError(SW_WRONG_DATA, "unknown GBA mode tag")

    def _bootstrap(self, body):
        rand, autn_star = self.card._lv_pair(body)
        keys, auts = self.card.check_autn(rand, autn_star, mac_from_mac_star)
        if auts is not None:
            return bytes([TAG_SYNC_FAILURE, len(auts)]) + auts, SW_OK
        res, ck, ik = keys
        # 7.1.1.4: Ks replaces the previous one; RAND goes into EF_GBABP (the ME adds B-TID and
        # the key lifetime); NAF keys already derived are not affected.
        self.ks = ck + ik
        self.rand = rand
        self.generation += 1
        ef = self.card.usim[uf.FID_GBABP]
        record = bytes([len(rand)]) + rand + b"\x00" + b"\x00"
        ef.data[:] = (record + b"\xff" * len(ef.data))[:len(ef.data)]
        flipped = res[:-1] + bytes([res[-1] ^ 0x01])   # RES with its least significant bit flipped
        return bytes([TAG_SUCCESS, len(flipped)]) + flipped, SW_OK

    def btid(self):
        """The B-TID the ME wrote after RAND in EF_GBABP (4.2.79); b"" when it wrote none."""
        data = bytes(self.card.usim[uf.FID_GBABP].data)
        x = data[0]
        if x == 0xFF or 1 + x >= len(data):
            return b""
        length = data[1 + x]
        if length == 0xFF or 2 + x + length > len(data):
            return b""
        return data[2 + x:2 + x + length]

    def _derive(self, body):
        naf_id, impi = self.card._lv_pair(body)
        if self.ks is None:
            raise ApduError(SW_CONDITIONS_OF_USE, "no GBA_U bootstrapping")
        if not naf_id or not impi:
            raise ApduError(SW_WRONG_DATA)
        ks_ext, ks_int = naf_keys(self.ks, self.rand, impi, naf_id)
        btid = self.btid()
        self.naf[naf_id] = NafKey(naf_id, ks_int, btid, self.generation)
        self._update_gbanl(naf_id, btid)
        return bytes([TAG_SUCCESS, len(ks_ext)]) + ks_ext, SW_OK

    def _update_gbanl(self, naf_id, btid):
        """EF_GBANL (4.2.83) per 7.1.1.5: the record of this NAF_ID, else an empty one, else the
        least recently used one."""
        ef = self.card.usim[uf.FID_GBANL]
        value = tlv(0x80, naf_id) + tlv(0x81, btid)
        if len(value) > ef.record_length:
            raise ApduError(SW_WRONG_DATA, "NAF_ID and B-TID do not fit a record")
        index = None
        for i, rec in enumerate(ef.records):
            if gbanl_naf_id(rec) == naf_id:
                index = i
                break
        if index is None:
            for i, rec in enumerate(ef.records):
                if rec[0] == 0xFF:
                    index = i
                    break
        if index is None:
            index = self.naf_order[-1]
            # an overwritten record leaves the Ks_int_NAF in use (e.g. as an MUK) alone (7.1.1.5)
        ef.records[index][:] = value + b"\xff" * (ef.record_length - len(value))
        if index in self.naf_order:
            self.naf_order.remove(index)
        self.naf_order.insert(0, index)

    def forget(self, naf_id=None, btid=None):
        """MUK deletion (7.1.1.10): the Ks_int_NAF of naf_id and its EF_GBANL record; Ks itself
        when its B-TID is the one given."""
        ef = self.card.usim[uf.FID_GBANL]
        if naf_id is not None and naf_id in self.naf:
            del self.naf[naf_id]
            for i, rec in enumerate(ef.records):
                if gbanl_naf_id(rec) == naf_id:
                    rec[:] = b"\xff" * ef.record_length
                    if i in self.naf_order:
                        self.naf_order.remove(i)
        if btid is not None and self.ks is not None and self.btid() == btid:
            self.ks = None
            self.rand = None
            gbabp = self.card.usim[uf.FID_GBABP]
            gbabp.data[:] = b"\xff" * len(gbabp.data)


def gbanl_naf_id(record) -> bytes:
    if record[0] != 0x80 or record[1] >= 0x80:
        return b""
    return bytes(record[2:2 + record[1]])
