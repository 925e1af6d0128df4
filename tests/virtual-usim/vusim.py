#!/usr/bin/python3
"""vusim: a virtual USIM for vsmartcard's vpcd (TS 31.102 / ETSI TS 102 221 over the vpcd wire
protocol). See README.md for the command line, the switches and what each EF holds.

vpcd protocol: each message is a 2-octet big-endian length and a payload; a 1-octet payload is a
control code (00 power off, 01 power on, 02 reset, 04 send the ATR), anything longer an APDU
whose answer goes back framed the same way. The card is the TCP client; vpcd listens."""
import argparse
import json
import logging
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from usim_card import Card, Switches      # noqa: E402
from usim_profile import Profile          # noqa: E402

log = logging.getLogger("vusim")

CTRL_OFF, CTRL_ON, CTRL_RESET, CTRL_ATR = 0, 1, 2, 4
MAX_MESSAGE = 65535 + 7


def recv_exact(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


class Link:
    """One card on one vpcd slot; removal closes the connection, insertion opens a new one."""

    def __init__(self, host, port, card_factory, switches):
        self.host, self.port = host, port
        self.card_factory = card_factory
        self.switches = switches
        self.card = card_factory(None)
        self.inserted = threading.Event()
        self.inserted.set()
        self.sock = None
        self.lock = threading.Lock()
        self.apdus = 0

    def _connect(self):
        while True:
            try:
                s = socket.create_connection((self.host, self.port), timeout=5)
                s.settimeout(None)
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                return s
            except OSError:
                time.sleep(0.1)

    def remove(self):
        self.inserted.clear()
        with self.lock:
            if self.sock is not None:
                try:
                    self.sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def insert(self, config=None):
        if config:
            self.card = self.card_factory(config)
        self.inserted.set()

    def run(self):
        while True:
            self.inserted.wait()
            sock = self._connect()
            with self.lock:
                self.sock = sock
            log.info("connected to vpcd %s:%d", self.host, self.port)
            try:
                self._serve(sock)
            except OSError as e:
                log.info("vpcd connection: %s", e)
            finally:
                with self.lock:
                    self.sock = None
                sock.close()
            if self.inserted.is_set():
                time.sleep(0.2)   # vpcd went away: try again

    def _serve(self, sock):
        while True:
            head = recv_exact(sock, 2)
            if head is None:
                return
            n = int.from_bytes(head, "big")
            payload = recv_exact(sock, n) if n else b""
            if payload is None:
                return
            # re-arm delayed-ACK suppression after each receive (Linux clears it)
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
            except (OSError, AttributeError):
                pass
            if len(payload) == 1:
                code = payload[0]
                if code == CTRL_ATR:
                    atr = self.card.atr()
                    sock.sendall(len(atr).to_bytes(2, "big") + atr)
                elif code in (CTRL_ON, CTRL_RESET, CTRL_OFF):
                    self.card.reset()
                continue
            sw = self.switches
            if sw.remove_on_ins is not None and len(payload) >= 2 and payload[1] == sw.remove_on_ins:
                log.info("removal injected on INS %02X", payload[1])
                sw.remove_on_ins = None
                self.inserted.clear()
                return
            if sw.slow_ms:
                time.sleep(sw.slow_ms / 1000.0)
            self.apdus += 1
            answer = self.card.process(payload)
            log.debug("C: %s R: %s", payload.hex(), answer.hex())
            sock.sendall(len(answer).to_bytes(2, "big") + answer)


def serve_control(path, link):
    """Line commands on a Unix socket: remove | insert [CONFIG] | set SWITCH VALUE | pin STATE |
    state | naf-key NAF_ID KEY BTID (a test hook)."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    os.chmod(path, 0o600)
    srv.listen(4)

    def handle(conn):
        with conn, conn.makefile("rw", encoding="utf-8", newline="\n") as f:
            for line in f:
                words = line.split()
                try:
                    reply = command(link, words)
                except (ValueError, KeyError, IndexError) as e:
                    reply = {"error": str(e)}
                f.write(json.dumps(reply) + "\n")
                f.flush()

    while True:
        conn, _ = srv.accept()
        threading.Thread(target=handle, args=(conn,), daemon=True).start()


def command(link, words):
    if not words:
        raise ValueError("empty command")
    verb = words[0]
    if verb == "remove":
        link.remove()
        return {"ok": True}
    if verb == "insert":
        link.insert(words[1] if len(words) > 1 else None)
        return {"ok": True}
    if verb == "set":
        link.switches.set(words[1], words[2] if len(words) > 2 else "")
        return {"ok": True}
    if verb == "pin":
        card = link.card
        card.pin_enabled = words[1] != "disabled"
        card.pin_tries = 0 if words[1] == "blocked" else card.profile.pin_tries
        return {"ok": True}
    if verb == "state":
        return state_of(link)
    if verb == "naf-key":
        # test hook: a Ks_int_NAF as a GBA_U NAF derivation would leave it (NAF_ID hex, key hex, B-TID)
        import gba_u
        card = link.card
        if card.gba is None:
            raise ValueError("no GBA on this card")
        naf_id = bytes.fromhex(words[1])
        card.gba.naf[naf_id] = gba_u.NafKey(naf_id, bytes.fromhex(words[2]), words[3].encode(), card.gba.generation)
        return {"ok": True}
    raise ValueError(f"unknown command {verb}")


def state_of(link):
    card = link.card
    out = {
        "inserted": link.inserted.is_set(), "apdus": link.apdus, "protocol": card.protocol,
        "iccid": card.profile.iccid, "imsi": card.profile.imsi,
        "sqn_ms": card.aka.sqn_ms(), "pin_enabled": card.pin_enabled, "pin_tries": card.pin_tries,
        "channels": sorted(card.channels),
    }
    if card.gba is not None:
        out["gba"] = {"bootstrapped": card.gba.ks is not None, "btid": card.gba.btid().decode(errors="replace"),
                      "naf_ids": [n.hex() for n in card.gba.naf]}
    if card.mbms is not None and hasattr(card.mbms, "state"):
        out["mbms"] = card.mbms.state()
    return out


def main():
    ap = argparse.ArgumentParser(description="virtual USIM for vsmartcard's vpcd")
    ap.add_argument("--config", required=True, help="card profile (key file, [usim] group)")
    ap.add_argument("--vpcd-host", default="127.0.0.1")
    ap.add_argument("--vpcd-port", type=int, default=0x8C7B)
    ap.add_argument("--protocol", choices=("t0", "t1"), default="t1", help="protocol the ATR offers")
    ap.add_argument("--control", help="Unix socket for run-time commands (see README.md)")
    ap.add_argument("--mac-failure", action="store_true")
    ap.add_argument("--sync-failure", action="store_true")
    ap.add_argument("--remove-on-ins", help="drop the card when a command with this INS (hex) arrives")
    ap.add_argument("--slow-ms", type=int, default=0)
    ap.add_argument("--odd-block", type=int, default=255)
    ap.add_argument("--pin-state", choices=("disabled", "enabled", "blocked"))
    ap.add_argument("--verbose", "-v", action="count", default=0)
    args = ap.parse_args()
    logging.basicConfig(level=logging.DEBUG if args.verbose > 1 else logging.INFO if args.verbose else logging.WARNING,
                        format="vusim: %(message)s", stream=sys.stderr)
    switches = Switches()
    switches.mac_failure = args.mac_failure
    switches.sync_failure = args.sync_failure
    if args.remove_on_ins:
        switches.set("remove_on_ins", args.remove_on_ins)
    switches.slow_ms = args.slow_ms
    switches.set("odd_block", str(args.odd_block))

    def factory(config):
        profile = Profile(config or args.config)
        if args.pin_state and config is None:
            profile.pin_state = args.pin_state
        return Card(profile, args.protocol, switches)

    try:
        link = Link(args.vpcd_host, args.vpcd_port, factory, switches)
    except (OSError, ValueError) as e:
        print(f"vusim: {args.config}: {e}", file=sys.stderr)
        return 1
    if args.control:
        threading.Thread(target=serve_control, args=(args.control, link), daemon=True).start()
    try:
        link.run()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
