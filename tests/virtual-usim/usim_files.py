"""The card's file system: the MF with EF_DIR and EF_ICCID (ETSI TS 102 221 13, TS 31.101 13),
the USIM ADF with the EFs of TS 31.102 4.2 this peer needs. Contents come from the profile;
the layouts and identifiers from the clauses cited at each file."""
from apdu import tlv

ALW, PIN, ADM, NEVER = "ALW", "PIN", "ADM", "NEVER"

# Identifiers: ETSI TS 102 221 13.1/13.2 (MF level), TS 31.102 4.2.2 (IMSI), 4.2.18 (AD),
# 4.2.8 (UST), 4.2.79 (GBABP), 4.2.80 (MSK), 4.2.81 (MUK), 4.2.83 (GBANL).
FID_MF = 0x3F00
FID_ADF_CURRENT = 0x7FFF      # the current application's ADF (ETSI TS 102 221 8.3)
FID_DIR = 0x2F00
FID_ICCID = 0x2FE2
FID_IMSI = 0x6F07
FID_AD = 0x6FAD
FID_UST = 0x6F38
FID_GBABP = 0x6FD6
FID_MSK = 0x6FD7
FID_MUK = 0x6FD8
FID_GBANL = 0x6FDA

# UST service numbers (TS 31.102 4.2.8)
SERVICE_GSM_ACCESS = 27
SERVICE_GSM_CONTEXT = 38
SERVICE_GBA = 68
SERVICE_MBMS_SECURITY = 69


class Ef:
    """An EF: transparent (records is None) or linear fixed (a list of equal-length records)."""

    def __init__(self, fid, read=PIN, update=ADM, data=b"", record_length=None, records=0, sfi=None):
        self.fid = fid
        self.read_ac = read
        self.update_ac = update
        self.sfi = sfi
        if record_length is None:
            self.data = bytearray(data)
            self.records = None
        else:
            self.record_length = record_length
            self.records = [bytearray(b"\xff" * record_length) for _ in range(records)]

    @property
    def linear(self):
        return self.records is not None

    def size(self):
        return len(self.records) * self.record_length if self.linear else len(self.data)

    def fcp(self) -> bytes:
        """FCP template (ETSI TS 102 221 11.1.1.3.1): file descriptor, FID, LCSI, security
        attributes (compact, 8C), file size."""
        if self.linear:
            desc = bytes([0x42, 0x21, 0x00, self.record_length, len(self.records)])
        else:
            desc = bytes([0x41, 0x21])
        body = tlv(0x82, desc) + tlv(0x83, self.fid.to_bytes(2, "big")) + tlv(0x8A, b"\x05")
        body += tlv(0x8C, _compact_ac(self.read_ac, self.update_ac))
        body += tlv(0x80, self.size().to_bytes(2, "big"))
        if self.sfi is not None:
            body += tlv(0x88, bytes([self.sfi << 3]))
        return tlv(0x62, body)


def _compact_ac(read, update):
    """Compact security attributes (ISO/IEC 7816-4 AM byte: b1 read, b2 update): SC 00 = always,
    SC 01 = PIN (key reference 01), FF = never; ADM shown as never to the ME."""
    def sc(ac):
        return {ALW: 0x00, PIN: 0x01}.get(ac, 0xFF)
    return bytes([0x03, sc(read), sc(update)])


def bcd_swapped(digits: str, length: int) -> bytes:
    """Digits in nibble-swapped BCD, padded with F (EF_ICCID, ETSI TS 102 221 13.2)."""
    digits = digits + "F" * (2 * length - len(digits))
    return bytes(int(digits[i + 1] + digits[i], 16) for i in range(0, 2 * length, 2))


def imsi_bytes(imsi: str) -> bytes:
    """EF_IMSI (TS 31.102 4.2.2): length of IMSI (octets that follow), then the identity
    digits as TS 24.008 10.5.1.4 codes them: first octet = digit 1 (high nibble), parity (bit 4:
    1 = odd number of digits) and identity type 001 (IMSI)."""
    if not imsi.isdigit() or not 6 <= len(imsi) <= 15:
        raise ValueError("IMSI must be 6..15 digits")
    odd = len(imsi) % 2 == 1
    first = (int(imsi[0]) << 4) | (0x08 if odd else 0x00) | 0x01
    rest = imsi[1:] + ("" if odd else "F")
    body = bytes([first]) + bytes(int(rest[i + 1] + rest[i], 16) for i in range(0, len(rest), 2))
    return bytes([len(body)]) + body + b"\xff" * (8 - len(body))


def ust_bytes(services, length=16) -> bytes:
    """EF_UST (TS 31.102 4.2.8): service n is bit ((n-1) mod 8) of byte (n-1) div 8."""
    out = bytearray(length)
    for n in services:
        out[(n - 1) // 8] |= 1 << ((n - 1) % 8)
    return bytes(out)


def dir_record(aid: bytes, label: str, record_length: int) -> bytes:
    """EF_DIR application template (ETSI TS 102 221 13.1): 61 { 4F AID, 50 label }."""
    rec = tlv(0x61, tlv(0x4F, aid) + tlv(0x50, label.encode()))
    if len(rec) > record_length:
        raise ValueError("EF_DIR record too long")
    return rec + b"\xff" * (record_length - len(rec))


def build(profile):
    """MF files and USIM files for a profile (see usim_profile.py)."""
    mf = {
        FID_DIR: Ef(FID_DIR, read=ALW, record_length=32, records=2),
        FID_ICCID: Ef(FID_ICCID, read=ALW, update=NEVER, data=bcd_swapped(profile.iccid, 10)),
    }
    mf[FID_DIR].records[0][:] = dir_record(profile.aid, "USIM", 32)
    # EF_AD (4.2.18): byte 1 UE operation mode (00 normal), bytes 2-3 additional information,
    # byte 4 length of the MNC in the IMSI.
    usim = {
        FID_IMSI: Ef(FID_IMSI, data=imsi_bytes(profile.imsi), sfi=0x07),
        FID_AD: Ef(FID_AD, data=bytes([0x00, 0x00, 0x00, profile.mnc_length]), sfi=0x03),
        FID_UST: Ef(FID_UST, data=ust_bytes(profile.services), sfi=0x04),
    }
    if SERVICE_GBA in profile.services:
        # EF_GBABP (4.2.79): L RAND, L B-TID, L key lifetime; the ME updates it (UPDATE PIN).
        usim[FID_GBABP] = Ef(FID_GBABP, update=PIN, data=b"\xff" * profile.gbabp_size)
        # EF_GBANL (4.2.83): NAF_ID (80) and B-TID (81) per record; the USIM updates it.
        usim[FID_GBANL] = Ef(FID_GBANL, record_length=profile.gbanl_record_length,
                             records=profile.gbanl_records)
    if SERVICE_MBMS_SECURITY in profile.services:
        # EF_MSK (4.2.80): record length 8n+4 with n = 2 (two MSK IDs per Key Domain/Key Group).
        usim[FID_MSK] = Ef(FID_MSK, record_length=20, records=profile.msk_records)
        # EF_MUK (4.2.81): A0 {80 Idr, 82 Idi}, 81 TS.
        usim[FID_MUK] = Ef(FID_MUK, record_length=profile.muk_record_length, records=profile.muk_records)
    return mf, usim
