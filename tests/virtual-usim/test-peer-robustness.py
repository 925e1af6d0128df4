#!/usr/bin/python3
"""Hostile input to the peers' parsers (they are Python, so no libFuzzer target): seeded random
and mutated APDUs, ODD-INS data objects and MIKEY messages into the card, random AT lines into
the modem's interpreter. Every input must end in a status word / final result code; nothing may
raise. Seeded, bounded (a few thousand inputs, well under a second of CPU each part)."""
import os
import random
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "pty-modem"))
BUILD = os.environ.get("MBMS_BUILD_DIR", "")

import usim_card      # noqa: E402
import usim_profile   # noqa: E402

ROUNDS = 1500


def card(tmp, protocol):
    prof = os.path.join(tmp, "card.conf")
    with open(prof, "w") as f:
        f.write("[usim]\nimsi=001010123456789\niccid=8988211000000000001\n"
                "k=465b5ce8b199b49faa5f0a2ee238a6bc\nopc=cd63cb71954a9f4e48a5994e37a02baf\nservices=27,38,68,69\n")
    return usim_card.Card(usim_profile.Profile(prof), protocol)


def mutate(rng, data):
    b = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(3)
        if op == 0 and b:
            b[rng.randrange(len(b))] = rng.randrange(256)
        elif op == 1 and b:
            del b[rng.randrange(len(b)):rng.randrange(len(b) + 1)]
        else:
            pos = rng.randrange(len(b) + 1)
            b[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
    return bytes(b)


class Robustness(unittest.TestCase):
    def check_answer(self, r):
        self.assertIsInstance(r, bytes)
        self.assertGreaterEqual(len(r), 2)

    def test_random_apdus(self):
        rng = random.Random(16)
        with tempfile.TemporaryDirectory() as tmp:
            for protocol in ("t0", "t1"):
                c = card(tmp, protocol)
                c.process(bytes.fromhex("00A4040C07A0000000871002"))
                for _ in range(ROUNDS):
                    n = rng.choice([0, 1, 3, 4, 5, 6, 10, 40, 260, 300])
                    apdu = bytes(rng.randrange(256) for _ in range(n))
                    if n >= 2 and rng.random() < 0.7:
                        apdu = bytes([rng.choice([0, 1, 0x80])]) + bytes([rng.choice(
                            [0xA4, 0xB0, 0xB2, 0xD6, 0xDC, 0x20, 0x2C, 0x70, 0x88, 0x89, 0xC0, 0xF2])]) + apdu[2:]
                    self.check_answer(c.process(apdu))

    def test_mutated_mbms_data_objects(self):
        samples = os.path.join(BUILD, "tests", "mikey-samples")
        if not os.path.exists(samples):
            self.fail(f"{samples} is not built")
        msgs = [bytes.fromhex(l.split()[1]) for l in subprocess.run([samples], capture_output=True, text=True,
                                                                  check=True).stdout.splitlines()]
        rng = random.Random(69)
        with tempfile.TemporaryDirectory() as tmp:
            c = card(tmp, "t1")
            c.process(bytes.fromhex("00A4040C07A0000000871002"))
            import gba_u
            naf = b"bmsc.lab.mbmsd.test" + bytes.fromhex("0100000001")
            c.gba.naf[naf] = gba_u.NafKey(naf, bytes(range(1, 33)), b"MDEyMzQ1Njc4OWFiY2RlZg==@bsf.lab.mbmsd.test", 1)
            for _ in range(ROUNDS):
                mode = rng.choice([1, 2, 3, 4, rng.randrange(256)])
                body = bytes([mode]) + mutate(rng, rng.choice(msgs))
                do = b"\x53" + (bytes([len(body)]) if len(body) < 128 else bytes([0x81, len(body)])) + body
                if rng.random() < 0.2:
                    do = mutate(rng, do)
                for i in range(0, max(len(do), 1), 200):
                    chunk = do[i:i + 200]
                    self.check_answer(c.process(bytes([0, 0x89, 0x80 if i == 0 else 0, 0x85, len(chunk)]) + chunk
                                                if chunk else bytes([0, 0x89, 0x80, 0x85])))
                r = c.process(bytes.fromhex("0089A08500"))
                self.check_answer(r)

    def test_random_at_lines(self):
        import importlib.util
        spec = importlib.util.spec_from_file_location("pty_modem", os.path.join(HERE, "..", "pty-modem", "pty-modem.py"))
        pm = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(pm)
        rng = random.Random(27007)
        with tempfile.TemporaryDirectory() as tmp:
            c = card(tmp, "t0")

            class DirectCard:
                present = type("P", (), {"is_set": staticmethod(lambda: True)})()

                @staticmethod
                def transmit(apdu):
                    return c.process(apdu)

            out = []
            args = type("A", (), dict(raw_t0=False, slow_ms=0, urc_before_answer=None, max_line=2048,
                                      max_line_cme=False, refuse_csim_auth=False, ccho_prefix=False,
                                      session_base=1, session_step=1))()
            modem = pm.Modem(-1, DirectCard, args)
            modem.write = out.append
            words = ["AT", "ATE0", "AT+CMEE=", "AT+CPIN", "AT+CSIM=", "AT+CCHO=", "AT+CGLA=", "AT+CCHC=", "?",
                     "=?", '"', ",", "1", "14", "00A4000C022FE2", "A0000000871002", "\x00", "ZZ"]
            for _ in range(ROUNDS):
                line = "".join(rng.choice(words) for _ in range(rng.randint(1, 6)))
                del out[:]
                modem.execute(line)
                text = "".join(out)
                self.assertRegex(text, r"\r\n(OK|ERROR|\+CME ERROR: [^\r]*)\r\n$", repr(line))


if __name__ == "__main__":
    unittest.main(verbosity=2)
