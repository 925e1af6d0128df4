"""The card's profile: a key file in the lab's format (data/lab/soft-usim.conf: group [usim],
imsi, iccid, mnc-length, k, opc or op) plus the keys only a card has (all optional)."""
import configparser

DEFAULT_AID = "a0000000871002ff49ff0589000001ff"   # TS 31.101 13 / ETSI TS 101 220 E: RID A000000087, 3GPP USIM 1002


def _hex(section, key, length, default=None):
    value = section.get(key, default)
    if value is None:
        raise ValueError(f"[usim] {key} is required")
    raw = bytes.fromhex(value.replace(":", "").replace(" ", ""))
    if length is not None and len(raw) != length:
        raise ValueError(f"[usim] {key} must be {length} octets")
    return raw


class Profile:
    def __init__(self, path):
        kf = configparser.ConfigParser(interpolation=None)
        with open(path, encoding="utf-8") as f:
            kf.read_file(f)
        s = kf["usim"]
        self.imsi = s.get("imsi")
        self.iccid = s.get("iccid")
        if not self.imsi or not self.iccid:
            raise ValueError("[usim] imsi and iccid are required")
        self.mnc_length = s.getint("mnc-length", 2)
        self.k = _hex(s, "k", 16)
        self.opc = _hex(s, "opc", 16) if "opc" in s else None
        self.op = _hex(s, "op", 16) if "op" in s else None
        if (self.opc is None) == (self.op is None):
            raise ValueError("[usim] exactly one of opc and op")
        # SQN_MS: the highest sequence number accepted so far (TS 33.102 C.1), 6 octets.
        self.sqn = int.from_bytes(_hex(s, "sqn", 6, "000000000000"), "big")
        self.ind_bits = s.getint("ind-bits", 5)
        self.aid = _hex(s, "aid", None, DEFAULT_AID)
        self.services = sorted({int(x) for x in s.get("services", "").replace(";", ",").split(",") if x.strip()})
        # PIN1 (key reference 01): state disabled | enabled | blocked
        self.pin = s.get("pin", "1234")
        self.pin_state = s.get("pin-state", "disabled")
        if self.pin_state not in ("disabled", "enabled", "blocked"):
            raise ValueError("[usim] pin-state is disabled, enabled or blocked")
        self.pin_tries = s.getint("pin-tries", 3)
        self.puk = s.get("puk", "12345678")
        self.gbabp_size = s.getint("gbabp-size", 128)
        self.gbanl_record_length = s.getint("gbanl-record-length", 128)
        self.gbanl_records = s.getint("gbanl-records", 4)
        self.msk_records = s.getint("msk-records", 4)
        self.muk_record_length = s.getint("muk-record-length", 96)
        self.muk_records = s.getint("muk-records", 2)
