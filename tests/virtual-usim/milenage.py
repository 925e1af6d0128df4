"""Milenage f1-f5, f1*, f5* (3GPP TS 35.206 clause 4), written from the specification text.

Checked against TS 35.208 (../shared/vectors/milenage-ts35208.tsv) and osmo-auc-gen by the
`peers` suite; nothing here is taken from mbmsd's own Milenage.
"""
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

# TS 35.206 4.1: rotation amounts r1..r5 (bits) and constants c1..c5 (128-bit, only the last
# octet is non-zero).
_R = {1: 64, 2: 0, 3: 32, 4: 64, 5: 96}
_C = {1: 0, 2: 1, 3: 2, 4: 4, 5: 8}


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b))


def _rot(x: bytes, bits: int) -> bytes:
    n = bits // 8
    return x[n:] + x[:n]


def _const(i: int) -> bytes:
    return bytes(15) + bytes([_C[i]])


class Milenage:
    def __init__(self, k: bytes, opc: bytes):
        if len(k) != 16 or len(opc) != 16:
            raise ValueError("K and OPc are 16 octets")
        self._enc = Cipher(algorithms.AES(k), modes.ECB()).encryptor()
        self.opc = opc

    @classmethod
    def from_op(cls, k: bytes, op: bytes) -> "Milenage":
        """OPc = E[OP]K XOR OP (TS 35.206 4.1)."""
        e = Cipher(algorithms.AES(k), modes.ECB()).encryptor()
        return cls(k, _xor(e.update(op), op))

    def _e(self, x: bytes) -> bytes:
        return self._enc.update(x)

    def _temp(self, rand: bytes) -> bytes:
        return self._e(_xor(rand, self.opc))

    def f1_f1star(self, rand: bytes, sqn: bytes, amf: bytes):
        """MAC-A (f1) and MAC-S (f1*): OUT1 = E[TEMP XOR rot(IN1 XOR OPc, r1) XOR c1]K XOR OPc."""
        in1 = sqn + amf + sqn + amf
        out1 = _xor(self._e(_xor(_xor(self._temp(rand), _rot(_xor(in1, self.opc), _R[1])), _const(1))),
                    self.opc)
        return out1[:8], out1[8:]

    def _out(self, temp: bytes, i: int) -> bytes:
        return _xor(self._e(_xor(_rot(_xor(temp, self.opc), _R[i]), _const(i))), self.opc)

    def f2345(self, rand: bytes):
        """RES (f2), CK (f3), IK (f4), AK (f5), AK* (f5*)."""
        temp = self._temp(rand)
        out2 = self._out(temp, 2)
        return (out2[8:], self._out(temp, 3), self._out(temp, 4), out2[:6], self._out(temp, 5)[:6])
