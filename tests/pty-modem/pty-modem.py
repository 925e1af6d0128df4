#!/usr/bin/python3
"""pty-modem: an AT-command modem on a pseudo-terminal, in front of the virtual USIM.

Written from TS 27.007 (V16): +CSIM 8.17, +CGLA 8.43, +CCHO 8.45, +CCHC 8.46, +CPIN 8.3,
+CMEE 9.1 and the +CME ERROR codes of 9.2, with V.250 framing (echo, <CR><LF> around result
codes). The card is reached over the vpcd wire protocol: the modem listens like vpcd does and
tests/virtual-usim/vusim.py connects to it, so the same card program (and its failure switches)
sits behind both PC/SC and AT.

  pty-modem.py --link PATH [--card-port N] [--control SOCKET] [VARIANT SWITCHES]

prints "tty=<slave> card-port=<port>" on stdout once ready. See README.md for the switches."""
import argparse
import json
import os
import queue
import re
import socket
import sys
import threading
import time
import tty

# +CME ERROR codes (TS 27.007 9.2.1)
CME = {3: "operation not allowed", 4: "operation not supported", 10: "SIM not inserted",
       11: "SIM PIN required", 12: "SIM PUK required", 13: "SIM failure", 14: "SIM busy",
       16: "incorrect password", 21: "invalid index", 50: "incorrect parameters", 100: "unknown"}


class CardGone(Exception):
    pass


class CardPort:
    """The vpcd side of the vpcd protocol: accept the card, power it, exchange APDUs."""

    def __init__(self, port, timeout):
        self.srv = socket.socket()
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind(("127.0.0.1", port))
        self.srv.listen(1)
        self.port = self.srv.getsockname()[1]
        self.timeout = timeout
        self.sock = None
        self.lock = threading.Lock()
        self.present = threading.Event()
        self.on_change = None
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            s, _ = self.srv.accept()
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            s.settimeout(self.timeout)
            with self.lock:
                if self.sock is not None:
                    self.sock.close()
                self.sock = s
                try:
                    self._send(b"\x01")            # power on
                    self._send(b"\x04")            # ATR, please
                    self._recv()
                except (OSError, CardGone):
                    self.sock = None
                    continue
            self.present.set()
            if self.on_change:
                self.on_change(True)

    def _send(self, payload):
        self.sock.sendall(len(payload).to_bytes(2, "big") + payload)

    def _recv(self):
        def exact(n):
            buf = b""
            while len(buf) < n:
                chunk = self.sock.recv(n - len(buf))
                if not chunk:
                    raise CardGone()
                buf += chunk
            return buf
        n = int.from_bytes(exact(2), "big")
        data = exact(n)
        try:
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        except OSError:
            pass
        return data

    def transmit(self, apdu):
        with self.lock:
            if self.sock is None:
                raise CardGone()
            try:
                self._send(apdu)
                answer = self._recv()
            except (OSError, CardGone):
                self.sock.close()
                self.sock = None
                self.present.clear()
                if self.on_change:
                    self.on_change(False)
                raise CardGone()
            if len(answer) < 2:
                raise CardGone()
            return answer


class Modem:
    def __init__(self, fd, card, args):
        self.fd = fd
        self.card = card
        self.args = args
        self.echo = True
        self.cmee = 0
        self.sessions = {}        # session id -> logical channel
        self.next_session = args.session_base
        self.urcs = queue.Queue()
        self.out_lock = threading.Lock()
        self.busy = False

    # --- output (V.250 5.7: result codes framed by <CR><LF>) ---
    def write(self, text):
        with self.out_lock:
            os.write(self.fd, text.encode())

    def line(self, text):
        self.write("\r\n" + text + "\r\n")

    def flush_urcs(self):
        while not self.urcs.empty():
            self.line(self.urcs.get())

    def urc(self, text):
        """Unsolicited result codes: sent now when idle, else queued and written between the
        echo and the answer of the command in progress (they interleave, as on real modems)."""
        if self.busy:
            self.urcs.put(text)
        else:
            self.line(text)

    def ok(self):
        self.flush_urcs()
        self.line("OK")

    def error(self, code=None):
        self.flush_urcs()
        if code is None or self.cmee == 0:
            self.line("ERROR")
        elif self.cmee == 1:
            self.line(f"+CME ERROR: {code}")
        else:
            self.line(f"+CME ERROR: {CME.get(code, 'unknown')}")

    # --- card access with the terminal's T=0 rules when the modem does them ---
    def apdu(self, raw):
        answer = self.card.transmit(raw)
        if not self.args.raw_t0:
            sw1, sw2 = answer[-2], answer[-1]
            if sw1 == 0x6C:
                answer = self.card.transmit(raw[:4] + bytes([sw2]) if len(raw) <= 5 else raw[:-1] + bytes([sw2]))
            data = answer[:-2]
            while answer[-2] == 0x61:
                cla = (0x40 | (raw[0] & 0x0F)) if raw[0] & 0x40 else (raw[0] & 0x03)   # same channel
                answer = self.card.transmit(bytes([cla, 0xC0, 0, 0, answer[-1]]))
                data += answer[:-2]
            answer = data + answer[-2:]
        return answer

    # --- the command line ---
    def run(self):
        buf = b""
        while True:
            chunk = os.read(self.fd, 4096)
            if not chunk:
                time.sleep(0.05)
                continue
            for b in chunk:
                ch = bytes([b])
                if self.echo:
                    self.write(ch.decode(errors="replace"))
                if ch == b"\r":
                    line = buf.decode(errors="replace").strip()
                    buf = b""
                    if line:
                        self.execute(line)
                elif ch == b"\n":
                    continue
                elif ch in (b"\x08", b"\x7f"):
                    buf = buf[:-1]
                else:
                    buf += ch
                    if len(buf) > 65536:
                        buf = b""

    def execute(self, line):
        self.busy = True
        try:
            if self.args.slow_ms:
                time.sleep(self.args.slow_ms / 1000.0)
            if self.args.urc_before_answer:
                self.urcs.put(self.args.urc_before_answer)
            self.flush_urcs()
            if len(line) > self.args.max_line:
                self.error(50 if self.args.max_line_cme else None)
                return
            if not line.upper().startswith("AT"):
                self.error()
                return
            self.dispatch(line[2:])
        finally:
            self.flush_urcs()
            self.busy = False

    def dispatch(self, cmd):
        up = cmd.upper()
        try:
            if up == "":
                return self.ok()
            if up in ("E0", "E1"):
                self.echo = up == "E1"
                return self.ok()
            if up in ("Z", "&F"):
                self.echo, self.cmee = True, 0
                return self.ok()
            if up.startswith("+CMEE"):
                return self.cmd_cmee(up[5:])
            if up.startswith("+CPIN"):
                return self.cmd_cpin(cmd[5:])
            if up.startswith("+CSIM"):
                return self.cmd_csim(cmd[5:])
            if up.startswith("+CCHO"):
                return self.cmd_ccho(cmd[5:])
            if up.startswith("+CGLA"):
                return self.cmd_cgla(cmd[5:])
            if up.startswith("+CCHC"):
                return self.cmd_cchc(cmd[5:])
            if up == "+CGMI":
                self.line("mbmsd test peer")
                return self.ok()
            return self.error(4)
        except CardGone:
            self.sessions.clear()
            return self.error(10)

    def cmd_cmee(self, rest):
        if rest == "?":
            self.line(f"+CMEE: {self.cmee}")
            return self.ok()
        if rest == "=?":
            self.line("+CMEE: (0-2)")
            return self.ok()
        m = re.fullmatch(r"=([012])", rest)
        if not m:
            return self.error(50)
        self.cmee = int(m.group(1))
        return self.ok()

    def pin_state(self):
        # VERIFY without data (ETSI TS 102 221 11.1.9): 9000 verified/disabled, 63Cx needed, 6983 blocked
        r = self.card.transmit(bytes.fromhex("00200001"))
        sw = int.from_bytes(r[-2:], "big")
        if sw == 0x9000:
            return "READY"
        if sw >> 4 == 0x63C:
            return "SIM PIN"
        if sw == 0x6983:
            return "SIM PUK"
        raise CardGone()

    def cmd_cpin(self, rest):
        if not self.card.present.is_set():
            return self.error(10)
        if rest == "?":
            self.line(f"+CPIN: {self.pin_state()}")
            return self.ok()
        m = re.fullmatch(r'="(\d{4,8})"', rest)
        if not m:
            return self.error(50)
        pin = m.group(1).encode() + b"\xff" * (8 - len(m.group(1)))
        r = self.card.transmit(bytes.fromhex("0020000108") + pin)
        sw = int.from_bytes(r[-2:], "big")
        if sw == 0x9000:
            return self.ok()
        return self.error(12 if sw == 0x6983 else 16)

    @staticmethod
    def parse_hex_arg(text):
        m = re.fullmatch(r'(\d+),"([0-9A-Fa-f]*)"', text)
        if not m or int(m.group(1)) != len(m.group(2)) or len(m.group(2)) % 2 or len(m.group(2)) < 8:
            return None
        return bytes.fromhex(m.group(2))

    def cmd_csim(self, rest):
        if rest == "=?":
            return self.ok()
        if not rest.startswith("="):
            return self.error(50)
        apdu = self.parse_hex_arg(rest[1:])
        if apdu is None:
            return self.error(50)
        if not self.card.present.is_set():
            return self.error(10)
        if self.args.refuse_csim_auth and apdu[1] in (0x88, 0x89):
            return self.error(3)
        if apdu[0] & 0x43:
            return self.error(3)     # logical channels belong to +CCHO/+CGLA
        answer = self.apdu(apdu)
        self.line(f'+CSIM: {len(answer) * 2},"{answer.hex().upper()}"')
        return self.ok()

    def cmd_ccho(self, rest):
        if rest == "=?":
            return self.ok()
        m = re.fullmatch(r'="([0-9A-Fa-f]{2,32})"', rest)
        if not m or len(m.group(1)) % 2:
            return self.error(50)
        if not self.card.present.is_set():
            return self.error(10)
        r = self.card.transmit(bytes.fromhex("0070000001"))
        if r[-2:] != b"\x90\x00" or len(r) != 3:
            return self.error(100)     # no channel free ("memory full" on some modems)
        channel = r[0]
        aid = bytes.fromhex(m.group(1))
        sel = self.card.transmit(bytes([channel, 0xA4, 0x04, 0x0C, len(aid)]) + aid)
        if sel[-2:] != b"\x90\x00":
            self.card.transmit(bytes([0x00, 0x70, 0x80, channel]))
            return self.error(100)
        sid = self.next_session
        self.next_session += self.args.session_step
        self.sessions[sid] = channel
        self.line(f"+CCHO: {sid}" if self.args.ccho_prefix else f"{sid}")
        return self.ok()

    def cmd_cgla(self, rest):
        if rest == "=?":
            return self.ok()
        m = re.fullmatch(r"=(\d+),(.*)", rest)
        if not m:
            return self.error(50)
        sid = int(m.group(1))
        apdu = self.parse_hex_arg(m.group(2))
        if apdu is None:
            return self.error(50)
        if sid not in self.sessions:
            return self.error(21)
        if not self.card.present.is_set():
            return self.error(10)
        channel = self.sessions[sid]
        # the MT sets the channel bits of CLA (TS 27.007 8.43; ETSI TS 102 221 10.1.1)
        cla = apdu[0]
        if channel <= 3:
            cla = (cla & 0xBC) | channel
        else:
            cla = (cla & 0xB0) | 0x40 | (channel - 4)
        answer = self.apdu(bytes([cla]) + apdu[1:])
        self.line(f'+CGLA: {len(answer) * 2},"{answer.hex().upper()}"')
        return self.ok()

    def cmd_cchc(self, rest):
        m = re.fullmatch(r"=(\d+)", rest)
        if not m:
            return self.error(50)
        sid = int(m.group(1))
        if sid not in self.sessions:
            return self.error(21)
        channel = self.sessions.pop(sid)
        r = self.card.transmit(bytes([0x00, 0x70, 0x80, channel]))
        return self.ok() if r[-2:] == b"\x90\x00" else self.error(100)


SWITCHES = {"refuse_csim_auth": bool, "ccho_prefix": bool, "raw_t0": bool, "max_line_cme": bool,
            "slow_ms": int, "max_line": int, "urc_before_answer": str}


def set_switch(args, name, value):
    kind = SWITCHES.get(name)
    if kind is None:
        return {"error": f"unknown switch {name}"}
    if kind is bool:
        setattr(args, name, value in ("1", "on", "true", "yes"))
    elif kind is int:
        setattr(args, name, int(value))
    else:
        setattr(args, name, value or None)
    return {"ok": True}


def serve_control(path, modem):
    """Line commands: urc TEXT (inject an unsolicited result code), set NAME VALUE, state."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(path)
    os.chmod(path, 0o600)
    srv.listen(4)
    while True:
        conn, _ = srv.accept()
        with conn, conn.makefile("rw") as f:
            for line in f:
                verb, _, rest = line.strip().partition(" ")
                if verb == "urc":
                    modem.urc(rest)
                    reply = {"ok": True}
                elif verb == "set":
                    name, _, value = rest.partition(" ")
                    reply = set_switch(modem.args, name.replace("-", "_"), value)
                elif verb == "state":
                    reply = {"card": modem.card.present.is_set(), "sessions": modem.sessions, "echo": modem.echo,
                             "cmee": modem.cmee}
                else:
                    reply = {"error": "unknown command"}
                f.write(json.dumps(reply, default=str) + "\n")
                f.flush()


def main():
    ap = argparse.ArgumentParser(description="AT modem on a pty in front of the virtual USIM")
    ap.add_argument("--link", required=True, help="symlink to create for the pty (the modem's device)")
    ap.add_argument("--card-port", type=int, default=0, help="TCP port the card connects to (0: any)")
    ap.add_argument("--control", help="Unix socket for run-time commands")
    ap.add_argument("--card-timeout", type=float, default=10.0)
    ap.add_argument("--refuse-csim-auth", action="store_true", help="+CSIM refuses AUTHENTICATE (88/89)")
    ap.add_argument("--ccho-prefix", action="store_true", help='+CCHO answers "+CCHO: n" instead of a bare id')
    ap.add_argument("--session-base", type=int, default=1, help="first session id +CCHO hands out")
    ap.add_argument("--session-step", type=int, default=1)
    ap.add_argument("--max-line", type=int, default=2048, help="longest command line accepted")
    ap.add_argument("--max-line-cme", action="store_true", help="too long: +CME ERROR 50, not ERROR")
    ap.add_argument("--slow-ms", type=int, default=0, help="wait before each answer")
    ap.add_argument("--raw-t0", action="store_true", help="pass 61xx/6Cxx to the TE instead of handling them")
    ap.add_argument("--urc-before-answer", default=None, help="an unsolicited code written before every answer")
    ap.add_argument("--sim-urc", action="store_true", help='"+CPIN: NOT READY" / "+CPIN: READY" on removal/insertion')
    args = ap.parse_args()

    master, slave = os.openpty()
    tty.setraw(slave)
    name = os.ttyname(slave)
    try:
        os.unlink(args.link)
    except FileNotFoundError:
        pass
    os.symlink(name, args.link)
    card = CardPort(args.card_port, args.card_timeout)
    modem = Modem(master, card, args)
    if args.sim_urc:
        card.on_change = lambda present: modem.urc("+CPIN: READY" if present else "+CPIN: NOT READY")
    if args.control:
        threading.Thread(target=serve_control, args=(args.control, modem), daemon=True).start()
    print(f"tty={name} card-port={card.port}", flush=True)
    try:
        modem.run()
    finally:
        os.unlink(args.link)
    return 0


if __name__ == "__main__":
    sys.exit(main())
