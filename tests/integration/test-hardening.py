#!/usr/bin/env python3
"""Issue 13 items 2 and 4 against the real daemon and the lab network (the fixture of
test-daemon.py): mbmsd's UDP sockets are its own (EADDRINUSE for anyone else, a second mbmsd
refused), configurations that would make two of its sockets share a port are refused naming
both, decrypted media reach only the player that asked (StartStreamingToSockets, nothing on
the loopback port), and a flood from the BM-SC's own address on every socket costs neither an
MTK nor an SRTP packet, its drops counted on D-Bus per reason."""
import errno, importlib.util, json, os, queue, re, signal, socket, subprocess, sys, threading, time, unittest

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("test_daemon", os.path.join(HERE, "test-daemon.py"))
td = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(td)
NAME, ROOT, SERVICE, PYTHON_GI, MBMSD, MBMSCTL = td.NAME, td.ROOT, td.SERVICE, td.PYTHON_GI, td.MBMSD, td.MBMSCTL
wait_for = td.wait_for


def hostile_bind(address, port):
    """What a local unprivileged process would try: both reuse options, then bind. Returns
    the errno (0: it got the address)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        try:
            s.bind((address, port))
            return 0
        except OSError as e:
            return e.errno


def counters(text):
    """a{st} as gdbus prints it -> dict."""
    return {k: int(v) for k, v in re.findall(r"'([a-z-]+)': <?(?:uint64 )?(\d+)>?", text)}


class Hardening(td.Daemon):
    """The fixture of test-daemon.py, none of its tests (they run there)."""
    def drops(self, path, iface):
        return counters(self.prop(path, iface, "DropCounters"))

    def test_sockets_are_exclusive_and_a_second_mbmsd_refused(self):
        self.start()
        self.mbmsctl("register", SERVICE)
        wait_for(lambda: self.state() == "receiving", what="keys")
        holder, _ = self.player()
        wait_for(lambda: self.stream_state() == "streaming", what="streaming")
        # the MIKEY push socket, the session's MTK socket, its SRTP and SRTCP sockets
        for address, port in (("127.0.0.1", self.port), ("0.0.0.0", self.port), (self.group, self.port),
                              (self.group, 5004), (self.group, 5005)):
            self.assertEqual(hostile_bind(address, port), errno.EADDRINUSE, f"{address}:{port}")
        # a second mbmsd with the same configuration does not start, and says why
        r = subprocess.run([MBMSD, "--session-bus", "--config", os.path.join(self.dir, "mbmsd.conf")],
                           env=self.env, capture_output=True, text=True, timeout=20)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn(f"MIKEY push socket ([mikey] listen 127.0.0.1, port {self.port})", r.stderr)
        self.assertIn("Address already in use", r.stderr)
        holder.stdin.close()
        holder.wait(timeout=10)
        wait_for(lambda: self.stream_state() == "stopped", what="stopped")
        # someone holds the session's SRTP address first: streaming is refused, not shared
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as thief:
            thief.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            thief.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            thief.bind((self.group, 5004))
            r = self.gdbus("call", "--object-path", f"{ROOT}/Service/0", "--method",
                           f"{NAME}.Service.StartStreaming", check=False)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("org.mbmsd.Mbmsd1.Error.Failed", r.stderr)
            self.assertIn(f"cannot bind {self.group}:5004: Address already in use", r.stderr)
        self.assertEqual(self.stream_state(), "stopped")

    def add_description(self, name, address, ports):
        """A service whose protected RTP sessions are at address, one per port."""
        self.write(f"usd/{name}.sdp", f"v=0\nc=IN IP4 {address}\n"
                   + "".join(f"m=video {p} RTP/SAVP 96\n" for p in ports))
        flows = "".join(f'<mediaFlow flowID="{address}/{p}"><MSK><keyDomainID>APEQ</keyDomainID>'
                        '<MSKID>AAEAAA==</MSKID></MSK></mediaFlow>' for p in ports)
        self.write(f"usd/{name}.prot.xml", f'<securityDescription xmlns="{td.SEC_NS}"><keyManagement '
                   f'uiccKeyManagement="false"><serverURI>{self.uri}</serverURI></keyManagement><keyId>{flows}'
                   '</keyId></securityDescription>')
        self.write(f"usd/{name}.usd.xml", td.usd(f"urn:mbmsd:test:{name}", f'<deliveryMethod sessionDescriptionURI='
                                                 f'"{name}.sdp" protectionDescriptionURI="{name}.prot.xml"/>'))
        return self.gdbus("call", "--object-path", ROOT, "--method", f"{NAME}.Manager.AddServiceDescription",
                          os.path.join(self.dir, "usd", f"{name}.usd.xml"), check=False)

    def test_configuration_sharing_a_port_refused(self):
        """Issue 13 item 7: two of mbmsd's own sockets on one port are refused, naming both."""
        self.start()
        services = self.prop(ROOT, "Manager", "Services")
        # a unicast session destination equal to [mikey] listen: its MTK socket would be the push socket's twin
        r = self.add_description("twin", "127.0.0.1", [5010])
        self.assertIn("org.mbmsd.Mbmsd1.Error.InvalidDescription", r.stderr)
        self.assertIn(f"MTK messages of urn:mbmsd:test:twin at 127.0.0.1:{self.port}", r.stderr)
        self.assertIn(f"[mikey] listen 127.0.0.1:{self.port}", r.stderr)
        # a second service on the first one's SRTP address and port
        r = self.add_description("copy", self.group, [5005])
        self.assertIn(f"SRTP of urn:mbmsd:test:copy at {self.group}:5005", r.stderr)
        self.assertIn(f"SRTCP of {SERVICE} at {self.group}:5005", r.stderr)
        # two sessions of one service on one port; SRTP on the MIKEY port of its own address
        r = self.add_description("pair", self.group, [5020, 5021])
        self.assertIn(f"SRTP of urn:mbmsd:test:pair at {self.group}:5021", r.stderr)
        self.assertIn(f"SRTCP of urn:mbmsd:test:pair at {self.group}:5021", r.stderr)
        self.assertIn("would share UDP port 5021", r.stderr)
        r = self.add_description("mikey", self.group, [self.port])
        self.assertIn(f"SRTP of urn:mbmsd:test:mikey at {self.group}:{self.port}", r.stderr)
        self.assertIn(f"MTK messages of {SERVICE} at {self.group}:{self.port}", r.stderr)
        self.assertEqual(self.prop(ROOT, "Manager", "Services"), services)  # nothing added
        # a refused service can be fixed: another port is fine
        r = self.add_description("fixed", self.group, [5030])
        self.assertEqual(r.returncode, 0, r.stderr)

    def sockets_player(self):
        """A player that asks for sockets of its own and reads RTP from them: prints each RTP
        sequence number, after checking the payload is the lab's plain pattern."""
        code = ("import os, socket, sys\nfrom gi.repository import Gio, GLib\n"
                "bus = Gio.bus_get_sync(Gio.BusType.SESSION)\n"
                f"r, fds = bus.call_with_unix_fd_list_sync('{NAME}', '{ROOT}/Service/0', '{NAME}.Service',"
                " 'StartStreamingToSockets', GLib.Variant('(a{sv})', ({},)), GLib.VariantType('(a(ohh))'), 0, 20000,"
                " None, None)\n"
                "path, rtp, rtcp = r.unpack()[0][0]\n"
                "s = socket.socket(fileno=fds.get(rtp))\n"
                "print(path, s.family.name, s.type.name, flush=True)\n"
                "s.settimeout(3)\n"
                "while True:\n"
                "    try:\n        d = s.recv(4096)\n    except socket.timeout:\n        break\n"
                "    seq = int.from_bytes(d[2:4], 'big')\n"
                "    ok = d[12:] == bytes((seq + 13 * i) % 256 for i in range(500))\n"
                "    print(seq if ok else f'bad {seq}', flush=True)\n")
        p = subprocess.Popen([PYTHON_GI, "-c", code], env=self.env, stdout=subprocess.PIPE, text=True)
        self.procs.append(p)
        return p

    def test_lab_media_to_the_players_own_sockets_not_loopback(self):
        """StartStreamingToSockets: the decrypted RTP in a connected AF_UNIX socket the caller
        alone holds, equal to the plain input, none lost; nothing on the loopback port."""
        self.start()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sink:
            sink.bind(("127.0.0.1", self.forward_base))
            sink.setblocking(False)
            player = self.sockets_player()
            self.assertEqual(player.stdout.readline().split(), [f"{ROOT}/Session/0", "AF_UNIX", "SOCK_DGRAM"])
            wait_for(lambda: self.stream_state() == "streaming", what="streaming")
            seqs = []
            deadline = time.monotonic() + 4
            while time.monotonic() < deadline:
                line = player.stdout.readline().strip()
                self.assertFalse(line.startswith("bad"), line)
                if line:
                    seqs.append(int(line))
            self.assertGreater(len(seqs), 200)
            self.assertEqual([(a, b) for a, b in zip(seqs, seqs[1:]) if (b - a) % 65536 != 1], [])
            with self.assertRaises(BlockingIOError):
                sink.recv(2048)  # the loopback port got nothing
        player.terminate()
        wait_for(lambda: self.stream_state() == "stopped", what="stopped when the player left")

    def test_lab_media_through_a_flood_from_the_bmsc_address(self):
        """Issue 13 item 4: 1000+ garbage datagrams at a high rate from 127.0.0.1, the address the
        lab's BM-SC sends MTK messages and pushes from, on the MIKEY push socket, the session's
        MTK socket and its SRTP and SRTCP sockets: MTKs keep coming, no SRTP packet is lost,
        and the drops are counted per reason on the Manager and the Session."""
        self.start()
        self.mbmsctl("register", SERVICE)
        wait_for(lambda: self.state() == "receiving", what="keys")
        holder, _ = self.player()
        wait_for(lambda: self.stream_state() == "streaming", what="streaming")
        mtks = lambda: int(re.sub(r"\D", "", self.prop(f"{ROOT}/Session/0", "Session", "MtkMessages")
                                  .replace("uint64", "")))
        flood = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        flood.bind(("127.0.0.1", 0))
        targets = [("127.0.0.1", self.port), (self.group, self.port), (self.group, 5004), (self.group, 5005)]
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sink:
            sink.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
            sink.bind(("127.0.0.1", self.forward_base))
            sink.settimeout(2)
            seqs, sent = [], 0
            keys_before = mtks()
            started = time.monotonic()
            while time.monotonic() - started < 4:
                # 1200 datagrams per target in about 3 s (400/s each), the media read in between
                if sent < 1200 and time.monotonic() - started > sent / 400:
                    for t in targets:
                        flood.sendto(os.urandom(60 + sent % 100), t)
                    sent += 1
                    continue
                try:
                    data = sink.recv(2048)
                except socket.timeout:
                    break
                seq = int.from_bytes(data[2:4], "big")
                self.assertEqual(data[12:], bytes((seq + 13 * i) % 256 for i in range(500)))
                seqs.append(seq)
        flood.close()
        self.assertEqual(sent, 1200)
        self.assertGreater(len(seqs), 250)
        self.assertEqual([(a, b) for a, b in zip(seqs, seqs[1:]) if (b - a) % 65536 != 1], [])  # none lost
        self.assertGreaterEqual(mtks() - keys_before, 10)  # a new MTK every 250 ms all along
        wait_for(lambda: self.drops(ROOT, "Manager").get("mikey-malformed", 0) >= 1200, what="push drops counted")
        session = self.drops(f"{ROOT}/Session/0", "Session")
        self.assertGreaterEqual(session["mikey-malformed"], 1200)
        self.assertGreaterEqual(sum(session[k] for k in ("srtp-malformed", "srtp-authentication-failure",
                                                          "srtp-unknown-mki", "srtp-replay")), 2000)
        self.assertEqual(session["mikey-rate-limited"], 0)
        # logged at a bounded rate: one summary line per reason and socket and interval
        wait_for(lambda: "datagrams dropped as malformed" in open(os.path.join(self.dir, "mbmsd.log")).read(),
                 timeout=15, what="the drop summary")
        with open(os.path.join(self.dir, "mbmsd.log")) as f:
            log = f.read()
        self.assertLessEqual(log.count(f"MIKEY on 127.0.0.1:{self.port} (MSK push)"), 2)
        holder.stdin.close()

    def test_lab_media_mbmsctl_stream_follows_a_daemon_restart(self):
        """mbmsctl stream (issue 14 item 7): the decrypted RTP through its own socket onto
        stdout (RFC 4571 framing); mbmsd stopped and started again, it says so and asks again,
        and the packets come again."""
        self.start()
        self.mbmsctl("register", SERVICE)
        wait_for(lambda: self.state() == "receiving", what="keys")
        ctl = subprocess.Popen([MBMSCTL, "--session-bus", "--json", "stream", SERVICE], env=self.env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.procs.append(ctl)
        frames, events = queue.Queue(), queue.Queue()

        def read_frames():
            while True:
                head = ctl.stdout.read(2)
                if len(head) < 2:
                    return
                frames.put(ctl.stdout.read(int.from_bytes(head, "big")))

        def read_events():
            for line in ctl.stderr:
                events.put(json.loads(line))
        for f in (read_frames, read_events):
            threading.Thread(target=f, daemon=True).start()

        def rtp_for(seconds):
            seqs, deadline = [], time.monotonic() + seconds
            while time.monotonic() < deadline:
                try:
                    data = frames.get(timeout=0.5)
                except queue.Empty:
                    continue
                seq = int.from_bytes(data[2:4], "big")
                self.assertEqual(data[12:], bytes((seq + 13 * i) % 256 for i in range(500)))
                seqs.append(seq)
            return seqs

        def event(name):
            while True:
                e = events.get(timeout=20)
                if e.get("event") == name:
                    return e
        self.assertIn("RFC 4571", event("streaming")["message"])
        before = rtp_for(2)
        self.assertGreater(len(before), 100, (self.drops(f"{ROOT}/Session/0", "Session"),
                                              self.prop(f"{ROOT}/Session/0", "Session", "PacketsDecrypted")))
        self.assertEqual([(a, b) for a, b in zip(before, before[1:]) if (b - a) % 65536 != 1], [])
        daemon = self.procs[0]
        daemon.terminate()
        daemon.wait(timeout=15)
        self.assertIn("mbmsd left the bus", event("daemon-left")["message"])
        rtp_for(0.5)  # what was on its way
        self.start()
        self.assertIn("stream asked for again", event("daemon-back")["message"])
        after = rtp_for(4)
        self.assertGreater(len(after), 100)
        self.assertEqual(self.stream_state(), "streaming")
        ctl.send_signal(signal.SIGINT)
        self.assertEqual(ctl.wait(timeout=10), 0)
        wait_for(lambda: self.stream_state() == "stopped", what="stopped by mbmsctl")

    def test_lab_media_gstreamer_reads_mbmsctl_stream(self):
        """The README's pipe, with a peer we did not write: GStreamer's rtpstreamdepay takes
        mbmsctl stream's RFC 4571 framing apart into the lab's plain RTP packets."""
        if subprocess.run(["gst-inspect-1.0", "rtpstreamdepay"], capture_output=True).returncode != 0:
            self.skipTest("GStreamer's rtpstreamdepay is missing")
        self.start()
        self.mbmsctl("register", SERVICE)
        wait_for(lambda: self.state() == "receiving", what="keys")
        out = os.path.join(self.dir, "gst")
        os.makedirs(out)
        ctl = subprocess.Popen([MBMSCTL, "--session-bus", "stream", SERVICE], env=self.env,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        gst = subprocess.Popen(["gst-launch-1.0", "-q", "fdsrc", "fd=0", "!",
                                "application/x-rtp-stream,media=video,clock-rate=90000,encoding-name=VP8", "!",
                                "rtpstreamdepay", "!", "multifilesink", f"location={out}/rtp-%05d"],
                               stdin=ctl.stdout, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        ctl.stdout.close()
        self.procs += [ctl, gst]
        wait_for(lambda: len(os.listdir(out)) > 150, timeout=20, what="packets out of GStreamer")
        ctl.send_signal(signal.SIGINT)
        self.assertEqual(ctl.wait(timeout=10), 0)
        gst.wait(timeout=10)
        seqs = []
        for name in sorted(os.listdir(out)):
            with open(os.path.join(out, name), "rb") as f:
                data = f.read()
            if not data:
                continue
            seq = int.from_bytes(data[2:4], "big")
            self.assertEqual(data[12:], bytes((seq + 13 * i) % 256 for i in range(500)))
            seqs.append(seq)
        self.assertGreater(len(seqs), 150)
        self.assertEqual([(a, b) for a, b in zip(seqs, seqs[1:]) if (b - a) % 65536 != 1], [])


for _name in dir(td.Daemon):
    if _name.startswith("test_"):
        setattr(Hardening, _name, None)  # not callable: the loader skips it

if __name__ == "__main__":
    unittest.main(verbosity=2)
