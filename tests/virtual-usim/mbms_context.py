"""MBMS security context on the card (USIM service n°69): AUTHENTICATE with the ODD instruction,
TS 31.102 7.1.1.6 (MSK update), 7.1.1.8 (MTK generation), 7.1.1.9 (MSK deletion), 7.1.1.10 (MUK
deletion) and 7.1.2.5 (coding), doing MGV-F (TS 33.246 6.5, Annex D: UICC key management) with
the MUKs (Ks_int_NAF of GBA_U) and MSKs the card holds. Replay and validity (TS 33.246 6.4.3,
6.5.3, 6.5.4) are enforced here, not left to the ME."""
import logging

import mikey_card as mk
import usim_files as uf
from apdu import (ApduError, tlv, parse_ber_length, SW_AUTH_MAC, SW_CONDITIONS_OF_USE, SW_KEY_FRESHNESS,
                  SW_NO_MEMORY_MSK, SW_NO_MEMORY_MUK, SW_REF_DATA_NOT_FOUND, SW_WRONG_DATA, SW_WRONG_LENGTH)

log = logging.getLogger("vusim")

MODE_MSK_UPDATE, MODE_MTK_GENERATION, MODE_MSK_DELETION, MODE_MUK_DELETION = 1, 2, 3, 4
UA_MBMS = bytes.fromhex("0100000001")     # TS 33.220 H.3: Ua security protocol identifier of TS 33.246
TAG_SUCCESS = 0xDB


class Muk:
    def __init__(self, idr, idi, key, serial):
        self.idr, self.idi, self.key, self.serial = idr, idi, key, serial

    @property
    def muk_id(self):
        return (self.idr, self.idi)


class Msk:
    def __init__(self, key, seq_l, seq_u, rand):
        self.key, self.seq_l, self.seq_u, self.rand = key, seq_l, seq_u, rand


def response(payload: bytes = b"") -> bytes:
    """7.1.2.5: '53' L 'DB' [payload]; without payload '53 01 DB'."""
    return tlv(0x53, bytes([TAG_SUCCESS]) + payload)


class MbmsContext:
    def __init__(self, card):
        self.card = card
        self.last_generated = {}   # Idi -> Muk: the last bootstrapped MUK (7.1.1.6)
        self.last_used = {}        # Idi -> Muk: the last successfully used MUK
        self.msks = {}             # (Key Domain ID, MSK ID) -> Msk

    # --- EF helpers ---
    def _ef(self, fid):
        return self.card.usim[fid]

    def _muk_record(self, idi):
        for i, rec in enumerate(self._ef(uf.FID_MUK).records):
            parsed = parse_muk_record(rec)
            if parsed and parsed[1] == idi:
                return i
        return None

    def _write_muk_record(self, index, idr, idi, ts):
        ef = self._ef(uf.FID_MUK)
        value = tlv(0xA0, tlv(0x80, idr) + tlv(0x82, idi)) + tlv(0x81, ts.to_bytes(4, "big"))
        if len(value) > ef.record_length:
            raise ApduError(SW_NO_MEMORY_MUK, "MUK ID does not fit a record")
        ef.records[index][:] = value + b"\xff" * (ef.record_length - len(value))

    def _msk_record(self, domain, group):
        for i, rec in enumerate(self._ef(uf.FID_MSK).records):
            if rec[0:3] == domain and rec[3] in (1, 2) and rec[4:6] == group:
                return i
        return None

    # --- entry point ---
    def process(self, payload: bytes) -> bytes:
        if not payload:
            raise ApduError(SW_WRONG_LENGTH)
        mode, data = payload[0], payload[1:]
        if mode == MODE_MSK_UPDATE:
            return self._msk_update(self._parse(data))
        if mode == MODE_MTK_GENERATION:
            return self._mtk_generation(self._parse(data))
        if mode == MODE_MSK_DELETION:
            return self._msk_deletion(data)
        if mode == MODE_MUK_DELETION:
            return self._muk_deletion(data)
        raise ApduError(SW_WRONG_DATA, f"MBMS mode {mode:02X}")

    @staticmethod
    def _parse(data):
        try:
            return mk.parse(data)
        except mk.MikeyError as e:
            raise ApduError(SW_WRONG_DATA, f"MIKEY: {e}")

    # --- MSK update mode (7.1.1.6; TS 33.246 6.5.3) ---
    def _msk_update(self, m):
        if m.data_type != mk.DATA_PSK_INIT or m.kemac is None or m.rand is None or len(m.ids) != 2 \
                or m.ts_type != mk.TS_COUNTER:
            raise ApduError(SW_WRONG_DATA, "not an MSK message")
        domain, msk_id = m.key_ids.get(mk.KEY_ID_DOMAIN), m.key_ids.get(mk.KEY_ID_MSK)
        if domain is None or msk_id is None or len(domain) != 3 or len(msk_id) != 4 \
                or mk.KEY_ID_MTK in m.key_ids:
            raise ApduError(SW_WRONG_DATA, "EXT is not an MSK delivery")
        idi, idr = bytes(m.ids[0]), bytes(m.ids[1])
        naf = self._naf_key_for(idi)
        if naf is None:
            raise ApduError(SW_CONDITIONS_OF_USE, "no Ks_int_NAF for this IDi")
        known = self.last_generated.get(idi)
        if known is None or known.serial != naf.serial:
            # a new NAF derivation or a new IDi: it becomes the last generated MUK (EF_MUK updated)
            index = self._muk_record(idi)
            if index is None:
                index = next((i for i, r in enumerate(self._ef(uf.FID_MUK).records) if r[0] == 0xFF), None)
            if index is None:
                raise ApduError(SW_NO_MEMORY_MUK)
            self.last_generated[idi] = Muk(naf.btid, idi, naf.ks_int_naf, naf.serial)
            self._write_muk_record(index, naf.btid, idi, 0)
        generated = self.last_generated[idi]
        if (idr, idi) != generated.muk_id:
            used = self.last_used.get(idi)
            if used is not None and (idr, idi) == used.muk_id:
                encr, auth, salt = mk.psk_keys(used.key, m.csb_id, m.rand)
                if not mk.verify_kemac_mac(m, auth):
                    raise ApduError(SW_AUTH_MAC)
                raise ApduError(SW_KEY_FRESHNESS, "protected with the last used MUK, not the last generated")
            raise ApduError(SW_REF_DATA_NOT_FOUND, "unknown MUK ID")
        encr, auth, salt = mk.psk_keys(generated.key, m.csb_id, m.rand)
        if not mk.verify_kemac_mac(m, auth):
            raise ApduError(SW_AUTH_MAC)
        # replay (TS 33.246 6.4.3, 6.5.3): the counter must exceed the one stored with the MUK
        index = self._muk_record(idi)
        stored_ts = parse_muk_record(self._ef(uf.FID_MUK).records[index])[2]
        if stored_ts is not None and not mk.serial_greater(m.ts, stored_ts):
            raise ApduError(SW_KEY_FRESHNESS, f"TS {m.ts} not after {stored_ts}")
        try:
            kd = mk.decrypt_key_data(m, encr, salt)
        except mk.MikeyError as e:
            raise ApduError(SW_WRONG_DATA, f"KEMAC: {e}")
        key_number = msk_id[2:4]
        pull = key_number == b"\x00\x00"        # BM-SC solicited pull: no MSK, EF_MSK untouched
        if not pull:
            if kd.type != mk.KD_TEK or kd.kv != mk.KV_INTERVAL or kd.kv_data is None or not kd.key:
                raise ApduError(SW_WRONG_DATA, "MSK key data must be TEK with a KV interval (6.4.5.1)")
            seq_l = int.from_bytes(kd.kv_data[0], "big")
            seq_u = int.from_bytes(kd.kv_data[1], "big")
            self._store_msk(domain, msk_id)
            self.msks[(domain, msk_id)] = Msk(kd.key, seq_l, seq_u, bytes(m.rand))
        self._write_muk_record(index, idr, idi, m.ts)
        self.last_used[idi] = generated
        log.info("MSK update: domain %s MSK ID %s TS %d%s", domain.hex(), msk_id.hex(), m.ts, " (pull)" if pull else "")
        if m.v_bit:
            return response(mk.verification_message(m, idi, idr, auth))
        return response()

    def _naf_key_for(self, idi):
        gba = self.card.gba
        if gba is None:
            return None
        return gba.naf.get(idi + UA_MBMS)

    def _store_msk(self, domain, msk_id):
        """EF_MSK per 7.1.1.6: the newer MSK ID first, the older second; at most two per Key
        Domain ID / Key Group; a repeated MSK ID keeps its TS, a new one starts at 0."""
        ef = self._ef(uf.FID_MSK)
        group = msk_id[0:2]
        index = self._msk_record(domain, group)
        entries = []
        if index is not None:
            rec = ef.records[index]
            entries = [(bytes(rec[4 + 8 * i:8 + 8 * i]), int.from_bytes(rec[8 + 8 * i:12 + 8 * i], "big"))
                       for i in range(rec[3])]
        else:
            index = next((i for i, r in enumerate(ef.records) if r[0:3] == b"\xff\xff\xff"), None)
            if index is None:
                raise ApduError(SW_NO_MEMORY_MSK)
        same = [e for e in entries if e[0] == msk_id]
        others = [e for e in entries if e[0] != msk_id and e[0][2:4] != msk_id[2:4]]
        first = same[0] if same else (msk_id, 0)
        kept = [first] + others[:1]
        for old_id, _ in entries:
            if old_id not in [k for k, _ in kept]:
                self.msks.pop((domain, old_id), None)
        rec = bytearray(b"\xff" * ef.record_length)
        rec[0:3] = domain
        rec[3] = len(kept)
        for i, (kid, ts) in enumerate(kept):
            rec[4 + 8 * i:8 + 8 * i] = kid
            rec[8 + 8 * i:12 + 8 * i] = ts.to_bytes(4, "big")
        ef.records[index][:] = rec

    def _msk_ts(self, domain, msk_id):
        ef = self._ef(uf.FID_MSK)
        index = self._msk_record(domain, msk_id[0:2])
        if index is None:
            return None, None
        rec = ef.records[index]
        for i in range(rec[3]):
            if rec[4 + 8 * i:8 + 8 * i] == msk_id:
                return index, 8 + 8 * i
        return None, None

    # --- MTK generation mode (7.1.1.8; TS 33.246 6.5.4) ---
    def _mtk_generation(self, m):
        if m.data_type != mk.DATA_PSK_INIT or m.kemac is None or m.ts_type != mk.TS_COUNTER:
            raise ApduError(SW_WRONG_DATA, "not an MTK message")
        ids = [v for t, v in m.key_id_list]
        types = [t for t, v in m.key_id_list]
        if types != [mk.KEY_ID_DOMAIN, mk.KEY_ID_MSK, mk.KEY_ID_MTK] or len(ids[0]) != 3 or len(ids[1]) != 4 \
                or len(ids[2]) != 2:
            raise ApduError(SW_WRONG_DATA, "EXT is not an MTK delivery")
        domain, msk_id, mtk_id = bytes(ids[0]), bytes(ids[1]), int.from_bytes(ids[2], "big")
        msk = self.msks.get((domain, msk_id))
        if msk is None:
            raise ApduError(SW_REF_DATA_NOT_FOUND, "no such MSK")
        if msk.seq_l > msk.seq_u:
            raise ApduError(SW_CONDITIONS_OF_USE, "MSK invalidated (SEQl > SEQu)")
        if mtk_id <= msk.seq_l or mtk_id > msk.seq_u:
            raise ApduError(SW_KEY_FRESHNESS, f"MTK ID {mtk_id} outside ({msk.seq_l}, {msk.seq_u}]")
        encr, auth, salt = mk.psk_keys(msk.key, m.csb_id, msk.rand)
        if not mk.verify_kemac_mac(m, auth):
            raise ApduError(SW_AUTH_MAC)
        index, ts_pos = self._msk_ts(domain, msk_id)
        rec = self._ef(uf.FID_MSK).records[index]
        stored_ts = int.from_bytes(rec[ts_pos:ts_pos + 4], "big")
        if not mk.serial_greater(m.ts, stored_ts):
            raise ApduError(SW_KEY_FRESHNESS, f"TS {m.ts} not after {stored_ts}")
        try:
            kd = mk.decrypt_key_data(m, encr, salt)
        except mk.MikeyError as e:
            raise ApduError(SW_WRONG_DATA, f"KEMAC: {e}")
        if kd.type not in (mk.KD_TEK_SALT, mk.KD_TGK) or kd.kv != mk.KV_NULL or not kd.key:
            raise ApduError(SW_WRONG_DATA, "MTK key data (6.4.5.3)")
        rec[ts_pos:ts_pos + 4] = m.ts.to_bytes(4, "big")
        msk.seq_l = mtk_id
        log.info("MTK generation: MSK ID %s MTK ID %d", msk_id.hex(), mtk_id)
        return response(kd.key + (kd.salt or b""))

    # --- MSK deletion mode (7.1.1.9) ---
    def _msk_deletion(self, data):
        if len(data) != 5:
            raise ApduError(SW_WRONG_LENGTH, "Key Domain ID (3) || Key Group (2)")
        domain, group = data[0:3], data[3:5]
        index = self._msk_record(domain, group)
        if index is None:
            raise ApduError(SW_REF_DATA_NOT_FOUND)
        for key in [k for k in self.msks if k[0] == domain and k[1][0:2] == group]:
            del self.msks[key]
        ef = self._ef(uf.FID_MSK)
        ef.records[index][:] = b"\xff" * ef.record_length
        return response()

    # --- MUK deletion mode (7.1.1.10) ---
    def _muk_deletion(self, data):
        try:
            idr, idi = parse_muk_id_tlv(data)
        except ValueError as e:
            raise ApduError(SW_WRONG_DATA, str(e))
        ef = self._ef(uf.FID_MUK)
        index = None
        for i, rec in enumerate(ef.records):
            parsed = parse_muk_record(rec)
            if parsed and parsed[0] == idr and parsed[1] == idi:
                index = i
        if index is None:
            raise ApduError(SW_REF_DATA_NOT_FOUND)
        ef.records[index][:] = b"\xff" * ef.record_length
        for store in (self.last_generated, self.last_used):
            if idi in store and store[idi].muk_id == (idr, idi):
                del store[idi]
        if self.card.gba is not None:
            self.card.gba.forget(naf_id=idi + UA_MBMS, btid=idr)
        return response()

    def state(self):
        return {"msks": [{"domain": d.hex(), "msk_id": i.hex(), "seq_l": m.seq_l, "seq_u": m.seq_u}
                         for (d, i), m in self.msks.items()],
                "muks": [{"idi": k.decode(errors="replace"), "idr": v.idr.decode(errors="replace")}
                         for k, v in self.last_used.items()]}


def _tlvs(data):
    out = []
    pos = 0
    while pos < len(data):
        if data[pos] == 0xFF:
            break
        tag = data[pos]
        n, p = parse_ber_length(data, pos + 1)
        if p + n > len(data):
            raise ValueError("TLV truncated")
        out.append((tag, bytes(data[p:p + n])))
        pos = p + n
    return out


def parse_muk_id_tlv(data):
    """'A0' { '80' Idr, '82' Idi } (TS 31.102 4.2.81, 7.1.2.5 mode 04)."""
    try:
        top = _tlvs(data)
    except ApduError:
        raise ValueError("bad TLV")
    if len(top) != 1 or top[0][0] != 0xA0:
        raise ValueError("MUK ID TLV expected")
    inner = dict(_tlvs(top[0][1]))
    if 0x80 not in inner or 0x82 not in inner:
        raise ValueError("MUK Idr and Idi expected")
    return inner[0x80], inner[0x82]


def parse_muk_record(rec):
    """(Idr, Idi, TS or None) of an EF_MUK record, None when empty."""
    if rec[0] != 0xA0:
        return None
    try:
        items = _tlvs(bytes(rec))
    except (ApduError, ValueError):
        return None
    d = dict(items)
    if 0xA0 not in d:
        return None
    inner = dict(_tlvs(d[0xA0]))
    ts = int.from_bytes(d[0x81], "big") if 0x81 in d else None
    return inner.get(0x80), inner.get(0x82), ts
