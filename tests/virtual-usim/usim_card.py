"""The virtual USIM's command interpreter: ETSI TS 102 221 (via TS 31.101) for selection, files,
PIN and logical channels; TS 31.102 7.1 for AUTHENTICATE (3G, GSM, GBA; MBMS with the ODD
instruction); ISO/IEC 7816-3 T=0 behaviour (61xx, 6Cxx, GET RESPONSE) when the ATR says T=0.

Written from the specification text only (see README.md and docs/interpretations.md, "Test
peers: virtual USIM"); it is a test peer and is strict where the specification is."""
import logging

import aka
import usim_files as uf
from apdu import (ApduError, Command, parse_ber_length, sw_bytes, tlv, SW_OK, SW_WRONG_LENGTH,
                  SW_CLA_NOT_SUPPORTED, SW_INS_NOT_SUPPORTED, SW_WRONG_P1P2, SW_INCORRECT_P1P2,
                  SW_WRONG_DATA, SW_FILE_NOT_FOUND, SW_RECORD_NOT_FOUND, SW_SECURITY_STATUS,
                  SW_PIN_BLOCKED, SW_CONDITIONS_OF_USE, SW_NO_EF_SELECTED, SW_CHANNEL_NOT_SUPPORTED,
                  SW_AUTH_MAC, SW_RESPONSE_DATA_AVAILABLE, SW_MORE_DATA)
from gba_u import GbaU
from mbms_context import MbmsContext

log = logging.getLogger("vusim")

# ATRs (ISO/IEC 7816-3 8.2): TS = 3B (direct convention), T0 = 80 (TD1 follows, no historical
# bytes), TD1 names the protocol; T=1 needs TCK (XOR of T0..TD1).
ATR_T0 = bytes([0x3B, 0x00])                   # no TD1: T=0 is the default protocol
ATR_T1 = bytes([0x3B, 0x80, 0x01, 0x80 ^ 0x01])

MAX_CHANNELS = 4            # channels 0-3 (ETSI TS 102 221 10.1.1: CLA b1-b2)
ODD_BUFFER_LIMIT = 65536    # the most authentication data this card accepts in one chain


class Switches:
    """Failure injection; each can be changed at run time through the control socket."""

    def __init__(self):
        self.mac_failure = False       # AUTHENTICATE (3G, GBA bootstrapping) answers 9862
        self.sync_failure = False      # AUTHENTICATE answers AUTS as if SQN were stale
        self.remove_on_ins = None      # drop the card when a command with this INS arrives
        self.slow_ms = 0               # delay before every answer
        self.odd_block = 255           # largest ODD-INS response block (62F1 between blocks)

    def set(self, name, value):
        name = name.replace("-", "_")
        if name in ("mac_failure", "sync_failure"):
            setattr(self, name, value in ("1", "on", "true", "yes"))
        elif name == "remove_on_ins":
            self.remove_on_ins = None if value in ("", "none", "off") else int(value, 16)
        elif name in ("slow_ms", "odd_block"):
            n = int(value)
            if name == "odd_block" and not 1 <= n <= 256:
                raise ValueError("odd-block is 1..256")
            setattr(self, name, n)
        else:
            raise ValueError(f"unknown switch {name}")


class _Channel:
    def __init__(self):
        self.in_adf = False        # the USIM application is selected on this channel
        self.df_is_adf = False     # current DF: ADF (True) or MF (False)
        self.ef = None             # current EF


class Card:
    def __init__(self, profile, protocol="t1", switches=None):
        if protocol not in ("t0", "t1"):
            raise ValueError("protocol is t0 or t1")
        self.profile = profile
        self.protocol = protocol
        self.switches = switches or Switches()
        self.mf, self.usim = uf.build(profile)
        self.aka = aka.Aka(profile.k, profile.opc, profile.op, profile.sqn, profile.ind_bits)
        self.gba = GbaU(self) if uf.SERVICE_GBA in profile.services else None
        self.mbms = MbmsContext(self) if uf.SERVICE_MBMS_SECURITY in profile.services else None
        self.pin_enabled = profile.pin_state != "disabled"
        self.pin_tries = 0 if profile.pin_state == "blocked" else profile.pin_tries
        self.puk_tries = 10
        self.reset()

    # --- session state (lost on reset; files, keys and counters are not) ---
    def reset(self):
        self.pin_verified = False
        self.channels = {0: _Channel()}
        self.pending = b""          # T=0 / GET RESPONSE data
        self.pending_channel = None
        self.odd_in = None          # ODD-INS authentication data being received
        self.odd_out = None         # ODD-INS response data being retrieved

    def atr(self):
        return ATR_T0 if self.protocol == "t0" else ATR_T1

    def has(self, service):
        return service in self.profile.services

    # --- the APDU entry point ---
    def process(self, raw: bytes) -> bytes:
        try:
            cmd = Command(raw)
        except ApduError as e:
            return sw_bytes(e.sw)
        keep_pending = cmd.ins == 0xC0
        try:
            data, sw = self._dispatch(cmd)
        except ApduError as e:
            data, sw = b"", e.sw
            log.info("%r -> %04X (%s)", cmd, e.sw, e)
        if not keep_pending:
            self.pending = b""
        return self._deliver(cmd, data, sw)

    def _deliver(self, cmd, data, sw):
        """ISO/IEC 7816-3 10.3 (T=0): a case 4 command's data is fetched with GET RESPONSE
        (61xx); a case 2 command with the wrong Le gets 6Cxx. Under T=1 the data comes at once,
        cut at Le with 61xx for the rest."""
        if not data:
            return sw_bytes(sw)
        if self.protocol == "t0" and cmd.case in (3, 4):
            return self._hold(cmd, data, sw)
        if cmd.case in (1, 3):
            return self._hold(cmd, data, sw)
        le = cmd.le
        if self.protocol == "t0" and cmd.ins != 0xC0 and le != len(data) and len(data) < le:
            return bytes([0x6C, len(data) & 0xFF])
        if len(data) > le:
            self.pending, self.pending_channel = data[le:], cmd.channel
            self.pending_sw = sw
            rest = len(self.pending)
            return data[:le] + bytes([0x61, min(rest, 256) & 0xFF])
        return data + sw_bytes(sw)

    def _hold(self, cmd, data, sw):
        self.pending, self.pending_channel, self.pending_sw = data, cmd.channel, sw
        return bytes([0x61, min(len(data), 256) & 0xFF])

    def _get_response(self, cmd):
        if cmd.p1 != 0 or cmd.p2 != 0:
            raise ApduError(SW_WRONG_P1P2)
        if not self.pending or cmd.channel != self.pending_channel:
            raise ApduError(SW_CONDITIONS_OF_USE, "no response data")
        le = cmd.le if cmd.le is not None else 256
        if le > len(self.pending):
            # ISO/IEC 7816-3 10.3.4: wrong length; SW2 gives the exact number of bytes
            return b"", 0x6C00 | (len(self.pending) & 0xFF)
        out, self.pending = self.pending[:le], self.pending[le:]
        if self.pending:
            return out, 0x6100 | min(len(self.pending), 256) & 0xFF
        return out, self.pending_sw

    def _dispatch(self, cmd):
        if cmd.cla == 0xA0 or cmd.cla == 0xFF:
            raise ApduError(SW_CLA_NOT_SUPPORTED, "GSM class / PPS")
        if cmd.cla & 0x80 and cmd.cla & 0xF0 not in (0x80, 0xC0, 0xE0):
            raise ApduError(SW_CLA_NOT_SUPPORTED)
        ch = self.channels.get(cmd.channel)
        if ch is None:
            raise ApduError(SW_CHANNEL_NOT_SUPPORTED, f"channel {cmd.channel} not open")
        proprietary = bool(cmd.cla & 0x80)   # '8X' class: STATUS, TERMINAL CAPABILITY, ...
        ins = cmd.ins
        if proprietary:
            if ins == 0xF2:
                return self._status(ch, cmd)
            if ins == 0xAA:
                return b"", SW_OK
            raise ApduError(SW_INS_NOT_SUPPORTED)
        handler = {
            0xA4: self._select, 0xB0: self._read_binary, 0xD6: self._update_binary,
            0xB2: self._read_record, 0xDC: self._update_record, 0x20: self._verify,
            0x2C: self._unblock, 0x70: self._manage_channel, 0x88: self._authenticate_even,
            0x89: self._authenticate_odd,
        }.get(ins)
        if ins == 0xC0:
            return self._get_response(cmd)
        if handler is None:
            raise ApduError(SW_INS_NOT_SUPPORTED)
        return handler(ch, cmd)

    # --- selection (ETSI TS 102 221 8.4, 11.1.1) ---
    def _fcp_df(self, adf):
        body = tlv(0x82, b"\x78\x21")
        body += tlv(0x84, self.profile.aid) if adf else tlv(0x83, b"\x3f\x00")
        body += tlv(0x8A, b"\x05")
        # PIN status template DO (11.1.1.4.10): PS_DO bit 8 = PIN1 enabled; key reference 01.
        body += tlv(0xC6, tlv(0x90, bytes([0x80 if self.pin_enabled else 0x00])) + tlv(0x83, b"\x01"))
        return tlv(0x62, body)

    def _select(self, ch, cmd):
        if cmd.p2 & 0x0C == 0x0C:
            want_fcp = False
        elif cmd.p2 & 0x0C == 0x04:
            want_fcp = True
        else:
            raise ApduError(SW_INCORRECT_P1P2)
        if cmd.p1 == 0x04:                       # by DF name (AID), right truncation allowed
            aid = cmd.data
            if len(aid) < 5 or not self.profile.aid.startswith(aid) or cmd.p2 & 0x03:
                raise ApduError(SW_FILE_NOT_FOUND)
            ch.in_adf, ch.df_is_adf, ch.ef = True, True, None
            return (self._fcp_df(True) if want_fcp else b""), SW_OK
        if cmd.p1 == 0x00:                       # by file identifier
            if len(cmd.data) != 2:
                raise ApduError(SW_WRONG_LENGTH)
            return self._select_fid(ch, int.from_bytes(cmd.data, "big"), want_fcp)
        if cmd.p1 in (0x08, 0x09):               # by path from the MF / the current DF
            path = cmd.data
            if len(path) == 0 or len(path) % 2:
                raise ApduError(SW_WRONG_LENGTH)
            fids = [int.from_bytes(path[i:i + 2], "big") for i in range(0, len(path), 2)]
            if cmd.p1 == 0x08:
                ch.df_is_adf, ch.ef = False, None
            result = None
            for fid in fids:
                result = self._select_fid(ch, fid, want_fcp)
            return result
        raise ApduError(SW_INCORRECT_P1P2)

    def _select_fid(self, ch, fid, want_fcp):
        if fid == uf.FID_MF:
            ch.df_is_adf, ch.ef = False, None
            return (self._fcp_df(False) if want_fcp else b""), SW_OK
        if fid == uf.FID_ADF_CURRENT:
            if not ch.in_adf:
                raise ApduError(SW_FILE_NOT_FOUND, "no application selected")
            ch.df_is_adf, ch.ef = True, None
            return (self._fcp_df(True) if want_fcp else b""), SW_OK
        ef = (self.usim.get(fid) if ch.df_is_adf else None) or self.mf.get(fid)
        if ef is None:
            raise ApduError(SW_FILE_NOT_FOUND, f"{fid:04X}")
        ch.ef = ef
        return (ef.fcp() if want_fcp else b""), SW_OK

    def _status(self, ch, cmd):
        if cmd.p2 == 0x0C:
            return b"", SW_OK
        if cmd.p2 == 0x00:
            return self._fcp_df(ch.df_is_adf), SW_OK
        if cmd.p2 == 0x01:
            if not ch.in_adf:
                return b"", SW_OK
            return tlv(0x84, self.profile.aid), SW_OK
        raise ApduError(SW_INCORRECT_P1P2)

    # --- access conditions (TS 31.102 4.2: READ/UPDATE PIN, ADM) ---
    def _allowed(self, ac):
        if ac == uf.ALW:
            return True
        if ac == uf.PIN:
            return self.pin_verified or not self.pin_enabled
        return False

    def _require_pin(self):
        if self.pin_enabled and not self.pin_verified:
            raise ApduError(SW_SECURITY_STATUS, "PIN not verified")

    def _ef_for(self, ch, sfi):
        if sfi is None:
            if ch.ef is None:
                raise ApduError(SW_NO_EF_SELECTED)
            return ch.ef
        pool = list(self.usim.values()) if ch.df_is_adf else []
        for ef in pool + list(self.mf.values()):
            if ef.sfi == sfi:
                ch.ef = ef
                return ef
        raise ApduError(SW_FILE_NOT_FOUND, f"SFI {sfi:02X}")

    # --- transparent EFs (11.1.3, 11.1.4) ---
    def _binary_target(self, ch, cmd):
        if cmd.p1 & 0x80:
            if cmd.p1 & 0x60:
                raise ApduError(SW_INCORRECT_P1P2)
            return self._ef_for(ch, cmd.p1 & 0x1F), cmd.p2
        return self._ef_for(ch, None), (cmd.p1 << 8) | cmd.p2

    def _read_binary(self, ch, cmd):
        if cmd.case != 2:
            raise ApduError(SW_WRONG_LENGTH)
        ef, offset = self._binary_target(ch, cmd)
        if ef.linear:
            raise ApduError(0x6981, "not a transparent EF")
        if not self._allowed(ef.read_ac):
            raise ApduError(SW_SECURITY_STATUS)
        if offset >= len(ef.data):
            raise ApduError(SW_WRONG_P1P2, "offset beyond the file")
        chunk = bytes(ef.data[offset:offset + cmd.le])
        return chunk, SW_OK

    def _update_binary(self, ch, cmd):
        if cmd.case != 3:
            raise ApduError(SW_WRONG_LENGTH)
        ef, offset = self._binary_target(ch, cmd)
        if ef.linear:
            raise ApduError(0x6981, "not a transparent EF")
        if not self._allowed(ef.update_ac):
            raise ApduError(SW_SECURITY_STATUS)
        if offset + len(cmd.data) > len(ef.data):
            raise ApduError(SW_WRONG_P1P2, "beyond the file")
        ef.data[offset:offset + len(cmd.data)] = cmd.data
        return b"", SW_OK

    # --- linear fixed EFs (11.1.5, 11.1.6): absolute mode only ---
    def _record_target(self, ch, cmd):
        if cmd.p2 & 0x07 != 0x04:
            raise ApduError(SW_INCORRECT_P1P2, "only absolute mode")
        sfi = cmd.p2 >> 3
        ef = self._ef_for(ch, sfi or None)
        if not ef.linear:
            raise ApduError(0x6981, "not a record EF")
        if cmd.p1 == 0 or cmd.p1 > len(ef.records):
            raise ApduError(SW_RECORD_NOT_FOUND)
        return ef, cmd.p1 - 1

    def _read_record(self, ch, cmd):
        if cmd.case != 2:
            raise ApduError(SW_WRONG_LENGTH)
        ef, idx = self._record_target(ch, cmd)
        if not self._allowed(ef.read_ac):
            raise ApduError(SW_SECURITY_STATUS)
        rec = bytes(ef.records[idx])
        if self.protocol == "t0" and cmd.le != len(rec):
            return b"", 0x6C00 | len(rec)
        if cmd.le != 256 and cmd.le != len(rec):
            return b"", 0x6C00 | len(rec)
        return rec, SW_OK

    def _update_record(self, ch, cmd):
        if cmd.case != 3:
            raise ApduError(SW_WRONG_LENGTH)
        ef, idx = self._record_target(ch, cmd)
        if not self._allowed(ef.update_ac):
            raise ApduError(SW_SECURITY_STATUS)
        if len(cmd.data) != ef.record_length:
            raise ApduError(SW_WRONG_LENGTH)
        ef.records[idx][:] = cmd.data
        return b"", SW_OK

    # --- PIN (11.1.9, 11.1.13) ---
    @staticmethod
    def _pin_block(pin: str) -> bytes:
        return pin.encode() + b"\xff" * (8 - len(pin))

    def _verify(self, ch, cmd):
        if cmd.p1 != 0x00 or cmd.p2 != 0x01:
            raise ApduError(_wrong_key_reference(cmd))
        if self.pin_tries == 0:
            raise ApduError(SW_PIN_BLOCKED)
        if cmd.case == 1:                     # status only
            if not self.pin_enabled or self.pin_verified:
                return b"", SW_OK
            return b"", 0x63C0 | self.pin_tries
        if len(cmd.data) != 8:
            raise ApduError(SW_WRONG_LENGTH)
        # a disabled PIN may still be verified; a wrong one still counts
        if cmd.data == self._pin_block(self.profile.pin):
            self.pin_tries = self.profile.pin_tries
            self.pin_verified = True
            return b"", SW_OK
        self.pin_tries -= 1
        self.pin_verified = False
        if self.pin_tries == 0:
            return b"", SW_PIN_BLOCKED
        return b"", 0x63C0 | self.pin_tries

    def _unblock(self, ch, cmd):
        if cmd.p1 != 0x00 or cmd.p2 != 0x01:
            raise ApduError(_wrong_key_reference(cmd))
        if self.puk_tries == 0:
            raise ApduError(SW_PIN_BLOCKED)
        if cmd.case == 1:
            return b"", 0x63C0 | self.puk_tries
        if len(cmd.data) != 16:
            raise ApduError(SW_WRONG_LENGTH)
        if cmd.data[:8] != self._pin_block(self.profile.puk):
            self.puk_tries -= 1
            return b"", SW_PIN_BLOCKED if self.puk_tries == 0 else 0x63C0 | self.puk_tries
        new = cmd.data[8:].rstrip(b"\xff").decode(errors="replace")
        if not 4 <= len(new) <= 8 or not new.isdigit():
            raise ApduError(SW_WRONG_DATA)
        self.profile.pin = new
        self.pin_tries = self.profile.pin_tries
        self.puk_tries = 10
        self.pin_verified = True
        return b"", SW_OK

    # --- MANAGE CHANNEL (11.1.17) ---
    def _manage_channel(self, ch, cmd):
        if cmd.p1 == 0x00:
            if cmd.p2 != 0x00 or cmd.case != 2:
                raise ApduError(SW_INCORRECT_P1P2)
            for n in range(1, MAX_CHANNELS):
                if n not in self.channels:
                    self.channels[n] = _Channel()
                    return bytes([n]), SW_OK
            raise ApduError(SW_CHANNEL_NOT_SUPPORTED, "no free channel")
        if cmd.p1 == 0x80:
            if cmd.p2 == 0 or cmd.p2 not in self.channels:
                raise ApduError(SW_INCORRECT_P1P2)
            del self.channels[cmd.p2]
            return b"", SW_OK
        raise ApduError(SW_INCORRECT_P1P2)

    # --- AUTHENTICATE (TS 31.102 7.1.2), EVEN instruction ---
    def _usim_ready(self, ch):
        if not ch.in_adf:
            raise ApduError(SW_CONDITIONS_OF_USE, "USIM not selected on this channel")
        self._require_pin()

    def _authenticate_even(self, ch, cmd):
        self._usim_ready(ch)
        if cmd.p1 != 0x00:
            raise ApduError(SW_INCORRECT_P1P2)
        if cmd.case not in (3, 4):
            raise ApduError(SW_WRONG_LENGTH)
        if cmd.p2 == 0x81:
            return self._auth_3g(cmd.data)
        if cmd.p2 == 0x80 and self.has(uf.SERVICE_GSM_CONTEXT):
            return self._auth_gsm(cmd.data)
        if cmd.p2 == 0x84 and self.gba is not None:
            return self.gba.authenticate(cmd.data)
        raise ApduError(SW_INCORRECT_P1P2, f"context {cmd.p2:02X} not supported")

    @staticmethod
    def _lv_pair(data):
        """Two length-value fields filling the data exactly (7.1.2.1 / 7.1.2.3 / 7.1.2.4)."""
        if len(data) < 1:
            raise ApduError(SW_WRONG_LENGTH)
        l1 = data[0]
        if len(data) < 2 + l1:
            raise ApduError(SW_WRONG_LENGTH)
        first = data[1:1 + l1]
        l2 = data[1 + l1]
        second = data[2 + l1:]
        if len(second) != l2:
            raise ApduError(SW_WRONG_LENGTH)
        return first, second

    def check_autn(self, rand, autn, mac_modifier=None):
        """RES, CK, IK or an ApduError (9862) / ('DC', AUTS) answer, with the switches applied."""
        if len(rand) != 16 or len(autn) != 16:
            raise ApduError(SW_WRONG_DATA, "RAND/AUTN length")
        if self.switches.mac_failure:
            raise ApduError(SW_AUTH_MAC, "injected MAC failure")
        if self.switches.sync_failure:
            saved = (list(self.aka.seq_ms), self.aka.highest)
            self.aka.seq_ms = [(1 << 43) - 1] * len(self.aka.seq_ms)  # nothing is fresh
            try:
                self.aka.check(rand, autn, mac_modifier)
            except aka.SyncFailure as e:
                return None, e.auts
            except aka.MacFailure:
                raise ApduError(SW_AUTH_MAC)
            finally:
                self.aka.seq_ms, self.aka.highest = saved
        try:
            return self.aka.check(rand, autn, mac_modifier), None
        except aka.MacFailure:
            raise ApduError(SW_AUTH_MAC, "MAC")
        except aka.SyncFailure as e:
            return None, e.auts

    def _auth_3g(self, data):
        rand, autn = self._lv_pair(data)
        keys, auts = self.check_autn(rand, autn)
        if auts is not None:
            log.info("3G context: synchronisation failure")
            return bytes([0xDC, len(auts)]) + auts, SW_OK
        res, ck, ik = keys
        out = bytes([0xDB, len(res)]) + res + bytes([len(ck)]) + ck + bytes([len(ik)]) + ik
        if self.has(uf.SERVICE_GSM_ACCESS):
            out += bytes([8]) + aka.kc_from(ck, ik)
        return out, SW_OK

    def _auth_gsm(self, data):
        # 7.1.2.1 GSM context: L RAND, RAND (no AUTN); 7.1.1.2: SRES and Kc from the 3G values.
        if len(data) != 17 or data[0] != 16:
            raise ApduError(SW_WRONG_LENGTH)
        res, ck, ik, _, _ = self.aka.mil.f2345(data[1:])
        return bytes([4]) + aka.sres_from(res) + bytes([8]) + aka.kc_from(ck, ik), SW_OK

    # --- AUTHENTICATE, ODD instruction (7.1.2; chaining per ETSI TS 102 221 11.1.16) ---
    def _authenticate_odd(self, ch, cmd):
        self._usim_ready(ch)
        if cmd.p2 != 0x85 or self.mbms is None:
            raise ApduError(SW_INCORRECT_P1P2, f"ODD context {cmd.p2:02X} not supported")
        if cmd.p1 in (0x80, 0x00):
            return self._odd_command_block(ch, cmd)
        if cmd.p1 in (0xA0, 0x20):
            return self._odd_response_block(ch, cmd)
        raise ApduError(SW_INCORRECT_P1P2)

    def _odd_command_block(self, ch, cmd):
        if cmd.case != 3:
            raise ApduError(SW_WRONG_LENGTH)
        if cmd.p1 == 0x80:
            self.odd_in = bytearray()
            self.odd_out = None
        elif self.odd_in is None:
            raise ApduError(SW_CONDITIONS_OF_USE, "next block without a first block")
        self.odd_in += cmd.data
        if len(self.odd_in) > ODD_BUFFER_LIMIT:
            self.odd_in = None
            raise ApduError(SW_WRONG_DATA, "authentication data too long")
        buf = bytes(self.odd_in)
        if buf[0] not in (0x53, 0x73):
            self.odd_in = None
            raise ApduError(SW_WRONG_DATA, "not a 53/73 data object")
        try:
            length, pos = parse_ber_length(buf, 1)
        except ApduError:
            if len(buf) < 5:
                return b"", SW_OK          # the length itself is still arriving
            self.odd_in = None
            raise
        if len(buf) < pos + length:
            return b"", SW_OK              # more blocks to come
        self.odd_in = None
        if len(buf) > pos + length:
            raise ApduError(SW_WRONG_DATA, "data after the data object")
        response = self.mbms.process(buf[pos:pos + length])
        self.odd_out = _OddResponse(response, ch)
        return b"", SW_RESPONSE_DATA_AVAILABLE

    def _odd_response_block(self, ch, cmd):
        """P1 'A0': first block of the response data, '20': the next block; SW 62F1 while
        more blocks remain. Under T=0 a block shorter than Le is announced with 6Cxx first and
        the position is not moved."""
        if cmd.case != 2:
            raise ApduError(SW_WRONG_LENGTH)
        out = self.odd_out
        if out is None or out.channel is not ch:
            raise ApduError(SW_CONDITIONS_OF_USE, "no authentication response data")
        if cmd.p1 == 0xA0:
            out.offset = 0
        elif out.offset == 0:
            raise ApduError(SW_CONDITIONS_OF_USE, "next block before the first")
        block = out.data[out.offset:out.offset + min(self.switches.odd_block, 256)]
        if self.protocol == "t0" and cmd.le != len(block):
            return b"", 0x6C00 | (len(block) & 0xFF)
        block = block[:cmd.le]
        out.offset += len(block)
        if out.offset < len(out.data):
            return block, SW_MORE_DATA
        self.odd_out = None
        return block, SW_OK


class _OddResponse:
    def __init__(self, data, channel):
        self.data, self.channel, self.offset = data, channel, 0


def _wrong_key_reference(cmd):
    """Only PIN1 (key reference 01) exists: another reference is 6A88, another P1 6B00."""
    return 0x6A88 if cmd.p1 == 0 else SW_WRONG_P1P2
