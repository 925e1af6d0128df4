#!/usr/bin/env python3
"""Stalls show (issue 14 item 5): a BM-SC that restarts and reuses MTK IDs and counters makes
MGV-F refuse every MTK as a replay; the service says keys-stale (mtk-replayed), the sessions
count the refusals, mbmsd asks for the MSK again and then registers again after a new GBA
run, and decryption resumes. Packets that arrive and never decrypt show as keys-stale
(no-decryption) with an MSK request. Manager.BootstrapState turns "expired" at the key
lifetime and the next procedure bootstraps again. The fixture (daemon, lab network, bus) is
test-daemon.py's; the daemon is reached through D-Bus and signals only."""
import importlib.util, json, os, re, signal, socket, subprocess, time, unittest

_spec = importlib.util.spec_from_file_location("daemon_fixture",
                                               os.path.join(os.path.dirname(__file__), "test-daemon.py"))
fx = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fx)
SERVICE, NAME, ROOT, LABNET, SRTP_SEND = fx.SERVICE, fx.NAME, fx.ROOT, fx.LABNET, fx.SRTP_SEND
wait_for = fx.wait_for


class Fixture(fx.Daemon):
    """test-daemon.py's set-up without its tests."""


for _name in [n for n in dir(fx.Daemon) if n.startswith("test_")]:
    setattr(Fixture, _name, None)


def number(text):
    m = re.search(r"(\d+)", text.replace("uint64", "").replace("uint16", ""))
    return int(m.group(1)) if m else 0


class Stalls(Fixture):
    def setUp(self):
        super().setUp()
        with open(os.path.join(self.dir, "mbmsd.conf")) as f:
            conf = f.read()
        conf = conf.replace("[mikey]\n", "[mikey]\nstale-after=3\nreregister-after=8\n")
        conf = conf.replace("[bridge]\n", "[bridge]\nstall-timeout=2\n")
        self.write("mbmsd.conf", conf)

    def monitor(self):
        p = subprocess.Popen(["gdbus", "monitor", "--session", "--dest", NAME], env=self.env, stdout=subprocess.PIPE,
                             text=True)
        self.procs.append(p)
        time.sleep(0.3)  # subscribed before anything happens
        return p

    def reason(self):
        return re.sub(r"^\(<'(.*)'>,\)$", r"\1", self.prop(f"{ROOT}/Service/0", "Service", "StateReason"))

    def counter(self, name):
        return number(self.prop(f"{ROOT}/Session/0", "Session", name))

    def decrypted_at_sink(self, sink, seconds):
        seqs = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                seqs.append(int.from_bytes(sink.recv(2048)[2:4], "big"))
            except socket.timeout:
                pass
        return seqs

    def test_lab_media_bmsc_restart_reusing_mtk_ids_shows_keys_stale_then_recovers(self):
        self.start()
        monitor = self.monitor()
        holder, _ = self.player()
        wait_for(lambda: self.stream_state() == "streaming" and self.state() == "receiving", timeout=20,
                 what="streaming and receiving")
        btid = self.prop(ROOT, "Manager", "BootstrapTransactionId")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sink:
            sink.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
            sink.bind(("127.0.0.1", self.forward_base))
            sink.settimeout(0.2)
            self.assertGreater(len(self.decrypted_at_sink(sink, 3)), 100)  # MTK counters well past 1
            self.lab.send_signal(signal.SIGUSR1)  # the BM-SC restarts: MTK IDs and counters from 1
            wait_for(lambda: self.state() == "keys-stale", what="keys-stale")
            self.assertEqual(self.reason(), "mtk-replayed")
            self.assertGreaterEqual(self.counter("MtkReplays"), 3)
            shown = json.loads(subprocess.run([fx.MBMSCTL, "--session-bus", "--json", "show", SERVICE], env=self.env,
                                              capture_output=True, text=True, check=True).stdout)
            self.assertGreaterEqual(shown["sessions"][0]["mtk-replays"], 3)  # mbmsctl says why too
            # recovery: an MSK request (refused: the restarted BM-SC knows no registration), then a
            # new GBA run and a registration, the new MSK pushed, MTKs accepted again
            wait_for(lambda: self.state() == "receiving", timeout=30, what="receiving again")
            self.assertNotEqual(self.prop(ROOT, "Manager", "BootstrapTransactionId"), btid)
            lab = self.lab_log()
            after = lab[lab.index("lab BM-SC: restarted"):]
            self.assertIn("MSK request from", after)
            self.assertIn(f"registered {SERVICE}", after)
            self.assertIn("pushed MSK 0x00010001", after)
            sink.settimeout(0.2)
            self.decrypted_at_sink(sink, 0.5)  # what was on its way
            resumed = self.decrypted_at_sink(sink, 2)
        self.assertGreater(len(resumed), 100, "decryption resumed")
        with open(os.path.join(self.dir, "mbmsd.log")) as f:
            self.assertIn("registered again (keys stale)", f.read())
        monitor.terminate()
        out = monitor.communicate(timeout=10)[0]
        self.assertRegex(out, r"'State': <'keys-stale'>")
        self.assertRegex(out, r"'StateReason': <'mtk-replayed'>")
        holder.stdin.close()

    def test_packets_that_never_decrypt_show_no_decryption_and_ask_for_the_msk(self):
        self.start()
        monitor = self.monitor()
        holder, _ = self.player()
        wait_for(lambda: self.stream_state() == "streaming" and self.state() == "receiving", timeout=20,
                 what="streaming and receiving")
        time.sleep(0.5)
        requests = self.lab_log().count("MSK request from")
        raw = self.prop(f"{ROOT}/Session/0", "Session", "CurrentMki")
        octets = [int(x, 16) for x in re.findall(r"0x([0-9a-f]{2})", raw)] or [int(x) for x in re.findall(r"\d+", raw)]
        mki = bytes(octets[-6:]).hex()
        # SRTP under the current MKI with a key that is not the MTK: every packet fails its MAC
        sender = subprocess.run([SRTP_SEND, self.group, "5004", "00" * 30, mki, "3500"], capture_output=True,
                                text=True, timeout=60)
        self.assertEqual(sender.returncode, 0, sender.stderr)
        wait_for(lambda: "no-decryption" in monitor_text(monitor, self), what="keys-stale (no-decryption)")
        # the counters say why: packets refused (their MAC, or an MKI out of use by the time they
        # came: the MTKs change every 250 ms) and none decrypted
        self.assertGreater(self.counter("AuthenticationFailures") + self.counter("UnknownMki"), 1000)
        self.assertEqual(self.counter("PacketsDecrypted"), 0)
        wait_for(lambda: self.lab_log().count("MSK request from") > requests, what="the MSK asked for again")
        holder.stdin.close()

    def test_bootstrap_state_expires_and_the_next_procedure_bootstraps_again(self):
        # a lab BSF whose B-TIDs live 4 s, on the same port (the URIs in the set-up stay right)
        port = int(self.uri.rsplit(":", 1)[1])
        self.lab.terminate()
        self.lab.wait(timeout=10)
        self.lab.stdout.close()
        with open(os.path.join(self.dir, "labnet.conf")) as f:
            lab = re.sub(r"lifetime-seconds=\d+", "lifetime-seconds=4", f.read())
        self.write("labnet.conf", lab)
        with open(os.path.join(self.dir, "lab.log"), "a") as lab_log:
            self.lab = subprocess.Popen([LABNET, "--config", os.path.join(self.dir, "labnet.conf"), "--bsf-port",
                                         str(port)], stdout=subprocess.PIPE, stderr=lab_log, text=True)
        self.assertIn(f":{port}", self.lab.stdout.readline())
        self.start()
        self.gdbus("call", "--object-path", f"{ROOT}/Service/0", "--method", f"{NAME}.Service.Register")
        wait_for(lambda: "bootstrapped" in self.prop(ROOT, "Manager", "BootstrapState"), what="bootstrapped")
        btid = self.prop(ROOT, "Manager", "BootstrapTransactionId")
        wait_for(lambda: "expired" in self.prop(ROOT, "Manager", "BootstrapState"), timeout=10, what="expired")
        self.assertEqual(self.prop(ROOT, "Manager", "BootstrapTransactionId"), btid)
        # the next procedure needs a valid B-TID: GBA runs first
        self.gdbus("call", "--object-path", f"{ROOT}/Service/0", "--method", f"{NAME}.Service.RequestKeys")
        wait_for(lambda: "bootstrapped" in self.prop(ROOT, "Manager", "BootstrapState"), what="bootstrapped again")
        self.assertNotEqual(self.prop(ROOT, "Manager", "BootstrapTransactionId"), btid)


def monitor_text(monitor, test):
    """What the monitor printed so far (read without blocking)."""
    fd = monitor.stdout.fileno()
    os.set_blocking(fd, False)
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            break
        if not chunk:
            break
        chunks.append(chunk.decode(errors="replace"))
    test._monitored = getattr(test, "_monitored", "") + "".join(chunks)
    return test._monitored

if __name__ == "__main__":
    unittest.main(verbosity=2)
