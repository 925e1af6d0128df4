"""AUTHENTICATE in the 3G (UMTS) security context on the card side: TS 31.102 7.1.1.1 and
7.1.2.1, TS 33.102 6.3.3 (AUTN check, AUTS) and Annex C.1.1/C.2.1 (SQN = SEQ || IND; a SEQ is
fresh when it is greater than the SEQ last accepted for its IND)."""
import hmac

from milenage import Milenage

AMF_RESYNC = b"\x00\x00"   # TS 33.102 6.3.3: the dummy AMF for MAC-S


class MacFailure(Exception):
    pass


class SyncFailure(Exception):
    def __init__(self, auts: bytes):
        super().__init__("synchronisation failure")
        self.auts = auts


def _xor(a, b):
    return bytes(x ^ y for x, y in zip(a, b))


class Aka:
    def __init__(self, k, opc=None, op=None, sqn_ms=0, ind_bits=5):
        self.mil = Milenage(k, opc) if opc is not None else Milenage.from_op(k, op)
        self.ind_bits = ind_bits
        # TS 33.102 C.2.1: one SEQ_MS per IND value; the profile's SQN seeds all of them.
        seq = sqn_ms >> ind_bits
        self.seq_ms = [seq] * (1 << ind_bits)
        self.highest = sqn_ms

    def sqn_ms(self) -> int:
        """The SQN_MS sent in AUTS: the highest SQN accepted (TS 33.102 C.3.4 leaves IND to it)."""
        return self.highest

    def check(self, rand, autn, mac_modifier=None):
        """Returns (RES, CK, IK) or raises MacFailure / SyncFailure(AUTS). mac_modifier maps
        (MAC*, IK) -> MAC for the GBA_U context (TS 33.220 5.3.2)."""
        if len(rand) != 16 or len(autn) != 16:
            raise ValueError("RAND and AUTN are 16 octets")
        res, ck, ik, ak, ak_star = self.mil.f2345(rand)
        sqn = _xor(autn[:6], ak)
        amf = autn[6:8]
        mac = autn[8:16]
        if mac_modifier is not None:
            mac = mac_modifier(mac, ik)
        xmac, _ = self.mil.f1_f1star(rand, sqn, amf)
        if not hmac.compare_digest(xmac, mac):
            raise MacFailure()
        value = int.from_bytes(sqn, "big")
        seq, ind = value >> self.ind_bits, value & ((1 << self.ind_bits) - 1)
        if seq <= self.seq_ms[ind]:
            sqn_ms = self.sqn_ms().to_bytes(6, "big")
            _, mac_s = self.mil.f1_f1star(rand, sqn_ms, AMF_RESYNC)
            raise SyncFailure(_xor(sqn_ms, ak_star) + mac_s)
        self.seq_ms[ind] = seq
        self.highest = max(self.highest, value)
        return res, ck, ik


def kc_from(ck: bytes, ik: bytes) -> bytes:
    """c3 (TS 33.102 6.8.1.2): Kc = CK1 xor CK2 xor IK1 xor IK2 (8-octet halves)."""
    return _xor(_xor(ck[:8], ck[8:]), _xor(ik[:8], ik[8:]))


def sres_from(res: bytes) -> bytes:
    """c2 for a 64-bit RES (TS 33.102 6.8.1.2): SRES = RES1 xor RES2 (32-bit halves)."""
    return _xor(res[:4], res[4:8])
