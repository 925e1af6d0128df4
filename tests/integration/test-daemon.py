#!/usr/bin/env python3
"""mbmsd as a user meets it: the real daemon on a private D-Bus, the lab network (BSF, BM-SC
with MSK pushes and an MTK stream) on loopback, a USD in its service directory, and gdbus (a
client we did not write) as the only way in. From the USD to "receiving" with the MSK pushed
over UDP and MTKs on the session's destination; SIGTERM deregisters; a restart registers again
from the persisted intent; another SIM wipes keys and registrations; hostile datagrams on the
MIKEY port change nothing."""
import grp, json, os, pwd, re, resource, shutil, signal, socket, subprocess, sys, tempfile, time, unittest

BUILD = os.environ["MBMS_BUILD_DIR"]
SRC = os.environ["MBMS_SOURCE_DIR"]
MBMSD = os.path.join(BUILD, "daemon", "mbmsd")
MBMSCTL = os.path.join(BUILD, "tools", "mbmsctl")
LABNET = os.path.join(BUILD, "tools", "lab", "mbms-labnet")
SRTP_SEND = os.path.join(BUILD, "tests", "srtp-send")
MIKEY_SAMPLES = os.path.join(BUILD, "tests", "mikey-samples")
SERVICE = "urn:mbmsd:test:news"
# Debian's python3 has PyGObject (python3-gi); a private python may not
PYTHON_GI = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
NAME, ROOT = "org.mbmsd.Mbmsd1", "/org/mbmsd/Mbmsd1"


USD_NS = "urn:3GPP:metadata:2005:MBMS:userServiceDescription"
SEC_NS = "urn:3GPP:metadata:2005:MBMS:securityDescription"


def usd(service_id, delivery):
    """A User Service Bundle Description of one service (TS 26.346 11.2.1.1)."""
    return (f'<bundleDescription xmlns="{USD_NS}"><userServiceDescription serviceId="{service_id}">'
            f'<name lang="en">News</name>{delivery}</userServiceDescription></bundleDescription>')


def security_description(server, flow, uicc="false"):
    """A security description (TS 26.346 11.3.1) with one flow under MSK 00f110/00010000;
    uicc=None leaves uiccKeyManagement at its default (true)."""
    attr = "" if uicc is None else f' uiccKeyManagement="{uicc}"'
    return (f'<securityDescription xmlns="{SEC_NS}"><keyManagement{attr}><serverURI>{server}</serverURI>'
            f'</keyManagement><keyId><mediaFlow flowID="{flow}"><MSK><keyDomainID>APEQ</keyDomainID>'
            '<MSKID>AAEAAA==</MSKID></MSK></mediaFlow></keyId></securityDescription>')


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout=15.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class Daemon(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name
        self.procs = []
        self.port = free_udp_port()
        bus = os.path.join(self.dir, "bus")
        self.bus = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--print-address",
                                     f"--address=unix:path={bus}"], stdout=subprocess.PIPE, text=True)
        self.env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=self.bus.stdout.readline().strip())
        # gdbus would print GLib's debug lines on stdout; mbmsd gets --verbose instead
        self.env.pop("G_MESSAGES_DEBUG", None)
        with open(os.path.join(SRC, "data", "lab", "labnet.conf")) as f:
            lab = self.lab_subscriber(f.read().split("[bmsc]")[0])
        # a multicast group of this host (as on the air, 6.3.3.2.2), or a loopback address of
        # this test's own, so that runs side by side never share a session's SRTP address
        self.group = f"239.255.{os.getpid() % 250}.{self.port % 250 + 1}" if "multicast" in self._testMethodName \
            else f"127.{os.getpid() % 250 + 1}.{self.port >> 8 & 255}.{self.port % 250 + 2}"
        # MTKs change fast, except where a real player needs one key for a while
        interval = 250
        # a handed-out key must outlive a sender started after GetKeys, on a loaded machine too
        if "player" in self._testMethodName or "and_keys" in self._testMethodName:
            interval = 2000
        # time to send a burst under each key; the GStreamer player's sender starts seconds after
        # GetKeys on a loaded machine (key handed out, packets 3 s later under the third MTK)
        if "srtpdec" in self._testMethodName or "gstreamer_player" in self._testMethodName:
            interval = 4000
        # multicast on lo, whatever the default route: mbmsd joins there, the lab sends there
        iface = "multicast-interface=lo\n" if "multicast" in self._testMethodName else ""
        # requests in flight long enough to change things under them
        slow = "delay-ms=1500\n" if "slow_bmsc" in self._testMethodName else ""
        lab += (f"[bmsc]\nfqdn=127.0.0.1\nue-port={self.port}\n{iface}{slow}[bmsc-service {SERVICE}]\nkey-domain=00f110\n"
                f"key-group=1\nstreaming=true\nmtk-to={self.group}:{self.port}\nmtk-interval-ms={interval}\n")
        if "lab_media" in self._testMethodName:
            lab += (f"[lab-media]\ndestination={self.group}:5004\nkey-domain=00f110\nkey-group=1\nrate=100\n"
                    "payload=500\nlead-ms=100\n")
        lab += self.lab_extra_config()
        self.write("labnet.conf", lab)
        with open(os.path.join(self.dir, "lab.log"), "w") as lab_log:
            self.lab = subprocess.Popen([LABNET, "--config", os.path.join(self.dir, "labnet.conf"),
                                         *self.lab_args()],
                                        stdout=subprocess.PIPE, stderr=lab_log, text=True)
        self.uri = self.lab.stdout.readline().split()[1].rstrip("/")
        os.makedirs(os.path.join(self.dir, "usd"), exist_ok=True)  # the lab may have written its download's
        self.write("usd/news.usd.xml", usd(SERVICE, '<deliveryMethod sessionDescriptionURI="news.sdp" '
                                                    'protectionDescriptionURI="news.prot.xml"/>'))
        self.write("usd/news.sdp", f"v=0\nc=IN IP4 {self.group}\nm=video 5004 RTP/SAVP 96\na=rtpmap:96 VP8/90000\n")
        self.write("usd/news.prot.xml", security_description(self.uri, f"{self.group}/5004"))
        self.usim = os.path.join(self.dir, "usim.conf")
        shutil.copy(os.path.join(SRC, "data", "lab", "soft-usim.conf"), self.usim)
        self.forward_base = free_udp_port() & ~1
        self.write("mbmsd.conf", f"[mbmsd]\nstate-directory={self.dir}/state\nservice-descriptions={self.dir}/usd\n"
                   f"runtime-directory={self.dir}/run\n{iface}"
                   f"[uicc]\nsoft-usim={self.usim}\n[gba]\nbsf={self.uri}/\n[mikey]\nport={self.port}\n"
                   f"listen=127.0.0.1\n[bridge]\nforward-port-base={self.forward_base}\n")

    def lab_subscriber(self, text):
        """The lab's [bsf] and subscriber part, as subclasses want it (GBA_U, UICC MBMS)."""
        return text

    def lab_extra_config(self):
        """More of the lab's configuration (after its [bmsc-service]), as subclasses want it."""
        return ""

    def lab_args(self):
        """More switches of the lab network (e.g. its download session), as subclasses want them."""
        return []

    def tearDown(self):
        for p in [*self.procs, self.lab, self.bus]:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
        self.lab.stdout.close()
        self.bus.stdout.close()
        self.tmp.cleanup()

    def write(self, name, text):
        with open(os.path.join(self.dir, name), "w") as f:
            f.write(text)

    def start(self, wrap=(), **popen):
        with open(os.path.join(self.dir, "mbmsd.log"), "a") as log:
            p = subprocess.Popen([*wrap, MBMSD, "--session-bus", "--verbose", "--config",
                                  os.path.join(self.dir, "mbmsd.conf")], env=self.env, stdout=log, stderr=log,
                                 **popen)
        self.procs.append(p)
        wait_for(lambda: self.gdbus("introspect", "--object-path", ROOT, check=False).returncode == 0,
                 what="mbmsd on the bus")
        return p

    def gdbus(self, verb, *args, check=True):
        r = subprocess.run(["gdbus", verb, "--session", "--dest", NAME, *args], env=self.env, capture_output=True,
                           text=True, timeout=20)
        if check and r.returncode != 0:
            raise AssertionError(f"gdbus {verb} {args}: {r.stderr}")
        return r

    def mbmsctl(self, *args):
        r = subprocess.run([MBMSCTL, "--session-bus", *args], env=self.env, capture_output=True, text=True, timeout=20)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    def prop(self, path, iface, name):
        r = self.gdbus("call", "--object-path", path, "--method", "org.freedesktop.DBus.Properties.Get",
                       f"{NAME}.{iface}", name, check=False)
        return r.stdout.strip() if r.returncode == 0 else ""

    def state(self):
        return re.sub(r"^\(<'(.*)'>,\)$", r"\1", self.prop(f"{ROOT}/Service/0", "Service", "State"))

    def lab_log(self):
        with open(os.path.join(self.dir, "lab.log")) as f:
            return f.read()

    def test_usd_to_keys_terminate_restart_sim_change(self):
        daemon = self.start()
        self.assertEqual(self.state(), "discovered")
        self.assertIn(SERVICE, self.prop(f"{ROOT}/Service/0", "Service", "ServiceId"))
        self.gdbus("call", "--object-path", f"{ROOT}/Service/0", "--method", f"{NAME}.Service.Register")
        wait_for(lambda: self.state() == "receiving", what="keys and MTKs")
        self.assertIn("bootstrapped", self.prop(ROOT, "Manager", "BootstrapState"))
        self.assertIn("@bsf.lab.mbmsd.test", self.prop(ROOT, "Manager", "BootstrapTransactionId"))
        groups = self.prop(f"{ROOT}/Service/0", "Service", "KeyGroups")
        self.assertRegex(groups, r"\('00f110', uint16 1, uint32 65537, ")  # MSK ID 0x00010001 from the push
        mtk = wait_for(lambda: int(re.sub(r"\D", "", self.prop(f"{ROOT}/Session/0", "Session", "CurrentMtkId")
                                          .replace("uint16", "")) or 0), what="an MTK")
        self.assertGreater(mtk, 0)
        self.assertIn("verified", self.lab_log())  # the V-bit acknowledgement reached the BM-SC
        # the push right after the registration found its MUK in MGV-S (issue 12, item 6)
        with open(os.path.join(self.dir, "mbmsd.log")) as f:
            self.assertNotIn("no MUK for", f.read())
        # the same through mbmsctl --json
        shown = json.loads(self.mbmsctl("--json", "show", SERVICE))
        self.assertEqual(shown["state"], "receiving")
        self.assertEqual(shown["key-groups"][0]["msk-id"], 0x00010001)
        self.assertEqual(shown["key-groups"][0]["seq-high"], 60000)
        self.assertGreater(shown["sessions"][0]["mtk-id"], 0)
        status = json.loads(self.mbmsctl("--json", "status"))
        self.assertEqual(status["bootstrap"], "bootstrapped")
        self.assertIn("receiving", self.mbmsctl("services"))
        # hostile datagrams on the MIKEY port: nothing changes, the daemon keeps going
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            for junk in (b"", b"\x01" * 3, os.urandom(200), b"\x01\x00\x15" + os.urandom(100), b"A" * 5000):
                s.sendto(junk, ("127.0.0.1", self.port))
        time.sleep(0.3)
        self.assertIsNone(daemon.poll())
        self.assertEqual(self.state(), "receiving")
        self.assertIn("00f110", self.prop(f"{ROOT}/Service/0", "Service", "KeyGroups"))
        # SIGTERM: deregistration with the BM-SC, a clean exit
        daemon.send_signal(signal.SIGTERM)
        self.assertEqual(daemon.wait(timeout=15), 0)
        self.assertIn(f"deregistered {SERVICE}", self.lab_log())
        # restart: registered again from the kept intent, without anyone asking
        self.start()
        wait_for(lambda: self.state() in ("registered", "keys-ready", "receiving"), what="restored registration")
        self.procs[-1].send_signal(signal.SIGTERM)
        self.procs[-1].wait(timeout=15)
        # another SIM: every key and registration is gone
        with open(self.usim) as f:
            usim = f.read().replace("imsi=001010123456789", "imsi=001010987654321")
        with open(self.usim, "w") as f:
            f.write(usim)
        self.start()
        time.sleep(0.5)
        self.assertEqual(self.state(), "discovered")
        self.assertIn("('00f110', uint16 1, uint32 0, uint32 0, uint32 0)", self.prop(f"{ROOT}/Service/0", "Service", "KeyGroups"))
        with open(os.path.join(self.dir, "mbmsd.log")) as f:
            self.assertIn("a different card", f.read())

    def player(self, service="Service/0"):
        """A stand-in media player: asks for the stream and holds it while it is on the bus."""
        code = ("import sys\nfrom gi.repository import Gio, GLib\n"
                "bus = Gio.bus_get_sync(Gio.BusType.SESSION)\n"
                f"r = bus.call_sync('{NAME}', '{ROOT}/{service}', '{NAME}.Service', 'StartStreaming', None,"
                " GLib.VariantType('(s)'), 0, 20000, None)\n"
                "print(r.unpack()[0], flush=True)\nsys.stdin.read()\n")
        p = subprocess.Popen([PYTHON_GI, "-c", code], env=self.env, stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
        self.procs.append(p)
        return p, p.stdout.readline().strip()

    def get_keys(self):
        """Session.GetKeys for the current MKI: srtp-key and mki as bytes, the rest as strings.
        GLib parses the answer (gdbus prints a byte array that ends in 0 as b'...')."""
        code = ("import json\nfrom gi.repository import Gio, GLib\n"
                "bus = Gio.bus_get_sync(Gio.BusType.SESSION)\n"
                f"r = bus.call_sync('{NAME}', '{ROOT}/Session/0', '{NAME}.Session', 'GetKeys',"
                " GLib.Variant('(ay)', (b'',)), None, 0, 20000, None).unpack()[0]\n"
                "print(json.dumps({k: bytes(v).hex() if isinstance(v, (bytes, list)) else v for k, v in r.items()}))\n")
        r = subprocess.run([PYTHON_GI, "-c", code], env=self.env, capture_output=True, text=True, timeout=20)
        self.assertEqual(r.returncode, 0, r.stderr)
        keys = json.loads(r.stdout)
        for field in ("srtp-key", "mki"):
            keys[field] = bytes.fromhex(keys[field])
        return keys

    def stream_state(self):
        return re.sub(r"^\(<'(.*)'>,\)$", r"\1", self.prop(f"{ROOT}/Service/0", "Service", "StreamState"))

    def test_streaming_held_by_callers_playback_sdp_and_keys(self):
        self.start()
        monitor = subprocess.Popen(["gdbus", "monitor", "--session", "--dest", NAME], env=self.env,
                                   stdout=subprocess.PIPE, text=True)
        self.procs.append(monitor)
        time.sleep(0.3)
        self.assertEqual(self.stream_state(), "stopped")
        # a caller that leaves at once: its hold goes with it
        r = self.gdbus("call", "--object-path", f"{ROOT}/Service/0", "--method", f"{NAME}.Service.StartStreaming")
        uri = re.sub(r"^\('(.*)',\)$", r"\1", r.stdout.strip())
        self.assertTrue(uri.startswith(f"file://{self.dir}/run/"), uri)
        wait_for(lambda: self.stream_state() == "stopped", what="stop when the caller left")
        self.assertFalse(os.path.exists(uri[len("file://"):]))
        # a player that stays: the service registers, keys come, the stream goes on
        player, uri = self.player()
        path = uri[len("file://"):]
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o644)  # players of any user read it
        with open(path) as f:
            sdp = f.read()
        self.assertIn("c=IN IP4 127.0.0.1", sdp)
        self.assertIn(f"m=video {self.forward_base} RTP/AVP 96", sdp)
        self.assertIn("a=rtpmap:96 VP8/90000", sdp)
        self.assertNotIn("SAVP", sdp)
        self.assertIn(str(self.forward_base), self.prop(f"{ROOT}/Session/0", "Session", "ForwardPort"))
        wait_for(lambda: self.stream_state() == "streaming", what="streaming once an MTK came")
        self.assertEqual(self.state(), "receiving")
        self.assertIn(uri, self.prop(f"{ROOT}/Service/0", "Service", "PlaybackUri"))
        # a second holder (mbmsctl stream), then the first one leaves: still streaming
        second = subprocess.Popen([MBMSCTL, "--session-bus", "--json", "stream", "--loopback", SERVICE], env=self.env,
                                  stdout=subprocess.PIPE, text=True)
        self.procs.append(second)
        self.assertEqual(json.loads(second.stdout.readline()),
                         {"playback-uri": uri, "stream": "streaming"})
        player.stdin.close()
        player.wait(timeout=10)
        time.sleep(0.3)
        self.assertEqual(self.stream_state(), "streaming")
        # the key hand-out for our own user: srtpdec's fields, the current MKI
        keys = self.get_keys()
        for field, value in (("srtp-cipher", "aes-128-icm"), ("srtp-auth", "hmac-sha1-80"),
                             ("srtcp-cipher", "aes-128-icm"), ("srtcp-auth", "hmac-sha1-80")):
            self.assertEqual(keys[field], value)
        key, mki = keys["srtp-key"], keys["mki"]
        self.assertEqual(len(key), 30)
        self.assertEqual(len(mki), 6)
        r = self.gdbus("call", "--object-path", f"{ROOT}/Session/0", "--method", f"{NAME}.Session.GetKeys",
                       "[byte 0, 0, 0, 0, 0, 0]", check=False)
        self.assertIn("org.mbmsd.Mbmsd1.Error.NoKey", r.stderr)
        with open(os.path.join(self.dir, "mbmsd.log")) as f:
            log = f.read()
        self.assertIn("handed to", log)
        self.assertNotIn(key.hex(), log)  # key IDs only in the log
        # SRTP from libsrtp2 under the handed-out key comes out of the bridge as plain RTP
        master = key.hex()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sink:
            sink.bind(("127.0.0.1", self.forward_base))
            sink.settimeout(5)
            subprocess.run([SRTP_SEND, self.group, "5004", master, mki.hex(), "40",
                            "100", "120"], check=True, timeout=20)
            got = set()
            while len(got) < 39:
                data = sink.recv(2048)
                seq = int.from_bytes(data[2:4], "big")
                self.assertEqual(data[12:], bytes((seq + 13 * i) % 256 for i in range(800)))
                got.add(seq)
        self.assertEqual(got, set(range(100, 140)) - {120})  # the tampered one never comes out
        wait_for(lambda: "uint64 39" in self.prop(f"{ROOT}/Session/0", "Session", "PacketsDecrypted"),
                 what="the decrypted count")
        self.assertIn("uint64 1", self.prop(f"{ROOT}/Session/0", "Session", "AuthenticationFailures"))
        # SRTP naming an MSK the UE lacks (key number 9 of the group): an MSK request (6.3.2.2.3)
        requests = self.lab_log().count("MSK request from")
        subprocess.run([SRTP_SEND, self.group, "5004", master, "000100090001", "3", "500"], check=True, timeout=20)
        wait_for(lambda: self.lab_log().count("MSK request from") > requests, what="an MSK request for the MKI")
        wait_for(lambda: "uint64 0" not in self.prop(f"{ROOT}/Session/0", "Session", "UnknownMki"),
                 what="packets under the unknown MKI counted")
        shown = json.loads(self.mbmsctl("--json", "show", SERVICE))
        self.assertEqual(shown["stream"], "streaming")
        self.assertEqual(shown["sessions"][0]["forward-port"], self.forward_base)
        # the last holder stops (Ctrl-C on mbmsctl stream calls StopStreaming)
        second.send_signal(signal.SIGINT)
        self.assertEqual(second.wait(timeout=10), 0)
        second.stdout.close()
        wait_for(lambda: self.stream_state() == "stopped", what="stop when the last holder stopped")
        self.assertFalse(os.path.exists(path))
        self.assertEqual(self.state(), "receiving")  # key management goes on without a stream
        monitor.terminate()
        signals = monitor.communicate(timeout=10)[0]
        self.assertIn("StreamStateChanged ('waiting-for-keys', 'registering')", signals)
        # 'mtk-received' when the player waited for the first MTK; 'started' when the pushed MSK
        # and an MTK were in before it asked (the push right after registration is accepted now)
        self.assertRegex(signals, r"StreamStateChanged \('streaming', '(mtk-received|started)'\)")
        self.assertIn("StreamStateChanged ('stopped', 'caller-left')", signals)
        self.assertIn("StreamStateChanged ('stopped', 'stopped')", signals)

    def test_gstreamer_player_plays_the_playback_uri(self):
        """The whole way of TS 33.246 6.6.2: srtpenc under the session's MTK -> the bridge -> a
        GStreamer player that knows nothing but the playback SDP."""
        if subprocess.run(["gst-inspect-1.0", "srtpenc"], capture_output=True).returncode != 0:
            self.skipTest("GStreamer's srtpenc is missing (tools/install-deps installs it)")
        self.start()
        holder, uri = self.player()
        wait_for(lambda: self.stream_state() == "streaming", what="streaming")
        keys = self.get_keys()
        key, mki = keys["srtp-key"], keys["mki"]
        code = ("import sys, gi\ngi.require_version('Gst', '1.0')\nfrom gi.repository import Gst, GLib\n"
                "Gst.init(None)\n"
                f"p = Gst.parse_launch('filesrc location={uri[len('file://'):]} ! sdpdemux latency=100 ! "
                "rtpvp8depay ! vp8dec ! fakesink name=sink signal-handoffs=true sync=false')\n"
                "n = [0]\nloop = GLib.MainLoop()\n"
                "p.get_by_name('sink').connect('handoff', lambda *a: n.__setitem__(0, n[0] + 1))\n"
                "GLib.timeout_add(6000, loop.quit)\np.set_state(Gst.State.PLAYING)\n"
                "print('playing', flush=True)\nloop.run()\np.set_state(Gst.State.NULL)\nprint(n[0])\n")
        viewer = subprocess.Popen([PYTHON_GI, "-c", code], stdout=subprocess.PIPE, text=True)
        self.procs.append(viewer)
        self.assertEqual(viewer.stdout.readline().strip(), "playing")
        time.sleep(0.5)
        pipeline = ("videotestsrc num-buffers=30 pattern=ball is-live=true ! video/x-raw,width=160,height=120,"
                    "framerate=30/1 ! vp8enc deadline=1 ! rtpvp8pay ssrc=4660 pt=96 mtu=1000 ! "
                    f"srtpenc key={key.hex()} mki={mki.hex()} rtp-cipher=aes-128-icm rtp-auth=hmac-sha1-80 "
                    "rtcp-cipher=aes-128-icm rtcp-auth=hmac-sha1-80 ! udpsink host=" + self.group + " port=5004")
        subprocess.run(["gst-launch-1.0", "-q", *pipeline.split()], check=True, timeout=30)
        frames = int(viewer.communicate(timeout=20)[0].split()[-1])
        self.assertGreaterEqual(frames, 25)  # 30 sent; the jitter buffer may hold the last ones
        holder.stdin.close()

    def test_srtpdec_example_asks_mbmsd_for_keys_and_follows_key_changes(self):
        """data/examples/play-with-srtpdec.py in its D-Bus mode: srtpdec's request-key answered by
        GetKeys, KeyChanged clears srtpdec's keys so the next MTK is asked for (6.6.2)."""
        if subprocess.run(["gst-inspect-1.0", "srtpenc"], capture_output=True).returncode != 0:
            self.skipTest("GStreamer's srtpenc is missing (tools/install-deps installs it)")
        self.start()
        self.mbmsctl("register", SERVICE)
        wait_for(lambda: self.state() == "receiving", what="MTKs")
        example = os.path.join(SRC, "data", "examples", "play-with-srtpdec.py")
        # not streaming: the session's own port is free for the player, which decrypts itself
        player = subprocess.Popen([PYTHON_GI, example, "--session-bus", "--session", f"{ROOT}/Session/0",
                                   "--headless", "--frames", "40", "--timeout", "40"], env=self.env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.procs.append(player)
        self.assertEqual(player.stdout.readline().strip(), f"listening on {self.group}:5004")
        mkis = []
        for burst in range(2):
            # each burst right after a key change, under the key that just became current
            current = self.prop(f"{ROOT}/Session/0", "Session", "CurrentMtkId")
            wait_for(lambda: self.prop(f"{ROOT}/Session/0", "Session", "CurrentMtkId") != current,
                     what="a new MTK")
            time.sleep(0.3)
            keys = self.get_keys()
            key, mki = keys["srtp-key"], keys["mki"]
            mkis.append(mki)
            pipeline = ("videotestsrc num-buffers=30 pattern=ball is-live=true ! video/x-raw,width=160,"
                        "height=120,framerate=30/1 ! vp8enc deadline=1 ! "
                        f"rtpvp8pay ssrc=4660 pt=96 mtu=1000 seqnum-offset={1000 + 2000 * burst} ! "
                        f"srtpenc key={key.hex()} mki={mki.hex()} rtp-cipher=aes-128-icm rtp-auth=hmac-sha1-80 "
                        "rtcp-cipher=aes-128-icm rtcp-auth=hmac-sha1-80 ! udpsink host=" + self.group + " port=5004")
            subprocess.run(["gst-launch-1.0", "-q", *pipeline.split()], check=True, timeout=30)
        self.assertNotEqual(mkis[0], mkis[1])
        out, err = player.communicate(timeout=60)
        # 30 frames a burst: 40 decoded needs frames under both MTKs
        self.assertEqual(player.returncode, 0, err)
        self.assertRegex(out, r"decoded (4\d|5\d|60) frames")
        with open(os.path.join(self.dir, "mbmsd.log")) as f:
            self.assertGreaterEqual(f.read().count("handed to"), 2)

    def test_lab_media_decrypted_across_key_changes_without_loss(self):
        """The lab's SRTP sender follows the BM-SC's MTKs (a new one every 250 ms, used 100 ms
        after its MTK message); everything it sends after the first decrypted packet comes out.
        NSS (the crypto of Debian's libsrtp2) is not in mbmsd, with its SRTP contexts in use."""
        self.lab_media_without_loss()
        with open(f"/proc/{self.procs[-1].pid}/maps") as f:
            mapped = {line.split()[-1] for line in f if ".so" in line}
        nss = [m for m in mapped if re.search(r"/lib(nss3|nssutil3|nspr4|softokn3|freebl[^/]*|smime3|ssl3)\.so", m)]
        self.assertEqual(nss, [])

    def test_lab_media_and_mtks_over_multicast(self):
        """MTK messages and SRTP on the session's multicast group: mbmsd joins the group on the
        MIKEY port for the MTKs (6.3.3.2.2) and on the media port while streaming, both on the
        configured interface (lo here; the default route goes elsewhere)."""
        self.lab_media_without_loss()
        self.assertIn(self.group, self.prop(f"{ROOT}/Session/0", "Session", "DestinationAddress"))

    def lab_media_without_loss(self):
        self.start()
        holder, _ = self.player()
        wait_for(lambda: self.stream_state() == "streaming", what="streaming")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sink:
            sink.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
            sink.bind(("127.0.0.1", self.forward_base))
            sink.settimeout(2)
            seqs = []
            deadline = time.monotonic() + 3
            while time.monotonic() < deadline:
                data = sink.recv(2048)
                seq = int.from_bytes(data[2:4], "big")
                self.assertEqual(data[12:], bytes((seq + 13 * i) % 256 for i in range(500)))
                seqs.append(seq)
        self.assertGreater(len(seqs), 200)
        gaps = [(a, b) for a, b in zip(seqs, seqs[1:]) if (b - a) % 65536 != 1]
        self.assertEqual(gaps, [])  # in order, none lost, across about a dozen MTKs
        keys = int(re.sub(r"\D", "", self.prop(f"{ROOT}/Session/0", "Session", "MtkMessages").replace("uint64", "")))
        self.assertGreaterEqual(keys, 10)
        self.assertIn("uint64 0", self.prop(f"{ROOT}/Session/0", "Session", "AuthenticationFailures"))
        holder.stdin.close()

    def test_address_change_registers_again(self):
        """6.3.2.1A: the BM-SC must learn the UE's new address."""
        if os.getuid() != 0 or shutil.which("ip") is None:
            self.skipTest("needs root and ip(8) to add an address")
        self.start()
        self.mbmsctl("register", SERVICE)
        wait_for(lambda: self.state() == "receiving", what="keys")
        registered = f"registered {SERVICE}"
        self.assertEqual(self.lab_log().count(registered) - self.lab_log().count("de" + registered), 1)
        address = f"127.{os.getpid() % 200 + 20}.{os.getpid() % 250 + 1}.9/32"
        subprocess.run(["ip", "address", "add", address, "dev", "lo"], check=True)
        try:
            wait_for(lambda: self.lab_log().count(registered) == 2, what="registration after the address change")
        finally:
            subprocess.run(["ip", "address", "del", address, "dev", "lo"], check=False)
        self.assertEqual(self.state(), "receiving")  # nothing lost on the way
        with open(os.path.join(self.dir, "mbmsd.log")) as f:
            self.assertIn("registered again (local address changed)", f.read())

    def test_mbmsctl_register_deregister(self):
        self.start()
        self.mbmsctl("register", "0")
        wait_for(lambda: json.loads(self.mbmsctl("--json", "show", SERVICE))["state"] in ("keys-ready", "receiving"),
                 what="keys through mbmsctl")
        self.mbmsctl("deregister", SERVICE)
        self.assertEqual(json.loads(self.mbmsctl("--json", "show", SERVICE))["state"], "discovered")
        self.assertIn(f"deregistered {SERVICE}", self.lab_log())
        r = subprocess.run([MBMSCTL, "--session-bus", "show", "urn:none"], env=self.env, capture_output=True,
                           text=True, timeout=20)
        self.assertEqual(r.returncode, 1)
        self.assertIn("no service", r.stderr)

    def open_bus(self):
        """A bus that lets another user connect, reachable by that user (callers drop to nobody)."""
        if os.getuid() != 0 or shutil.which("setpriv") is None:
            self.skipTest("needs root to act as an unprivileged user")
        conf = os.path.join(self.dir, "open-bus.conf")
        self.write("open-bus.conf", '<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN" '
                   '"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd"><busconfig><type>session</type>'
                   f'<listen>unix:path={self.dir}/open-bus</listen>'
                   '<policy context="default"><allow user="*"/><allow own="*"/>'
                   '<allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/></policy></busconfig>')
        os.chmod(self.dir, 0o755)
        self.bus.terminate()
        self.bus.wait(timeout=10)
        self.bus.stdout.close()
        self.bus = subprocess.Popen(["dbus-daemon", "--nofork", "--print-address", f"--config-file={conf}"],
                                    stdout=subprocess.PIPE, text=True)
        self.env["DBUS_SESSION_BUS_ADDRESS"] = self.bus.stdout.readline().strip()
        os.chmod(os.path.join(self.dir, "open-bus"), 0o777)

    def test_unprivileged_caller_denied(self):
        """Reading state is open to everyone; changing it needs root, mbmsd's user or the control group."""
        self.open_bus()
        self.start()
        nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"]
        read = subprocess.run(nobody + [MBMSCTL, "--session-bus", "--json", "show", SERVICE], env=self.env,
                              capture_output=True, text=True, timeout=20)
        self.assertEqual(read.returncode, 0, read.stderr)
        self.assertEqual(json.loads(read.stdout)["state"], "discovered")
        change = subprocess.run(nobody + [MBMSCTL, "--session-bus", "register", SERVICE], env=self.env,
                                capture_output=True, text=True, timeout=20)
        self.assertEqual(change.returncode, 1)
        self.assertIn("Only members of group", change.stderr)
        r = subprocess.run(nobody + ["gdbus", "call", "--session", "--dest", NAME, "--object-path",
                                     f"{ROOT}/Service/0", "--method", f"{NAME}.Service.Register"],
                           env=self.env, capture_output=True, text=True, timeout=20)
        self.assertIn("org.mbmsd.Mbmsd1.Error.AccessDenied", r.stderr)
        self.assertEqual(self.state(), "discovered")
        # keys only for the key group
        r = subprocess.run(nobody + ["gdbus", "call", "--session", "--dest", NAME, "--object-path",
                                     f"{ROOT}/Session/0", "--method", f"{NAME}.Session.GetKeys", "@ay []"],
                           env=self.env, capture_output=True, text=True, timeout=20)
        self.assertIn("org.mbmsd.Mbmsd1.Error.AccessDenied", r.stderr)
        self.assertIn("receive keys", r.stderr)

    def msk_requests(self):
        return self.lab_log().count("MSK request from")

    def forged_mtk_messages(self, count):
        """MTK messages (TS 33.246 6.4.6) naming MSKs of the registered key group 1 that nobody
        pushed: our builder's sample with the key IDs rewritten (its MAC no longer matches, but
        without the MSK nothing can check it)."""
        out = subprocess.run([MIKEY_SAMPLES], capture_output=True, text=True, check=True).stdout
        sample = bytes.fromhex(dict(line.split() for line in out.splitlines())["mtk"])
        # HDR (10 octets), EXT header (4), key IDs: domain (2+3), MSK (2+4), MTK (2+2)
        self.assertEqual((sample[14:16], sample[19:21], sample[25:27]), (b"\x00\x03", b"\x01\x04", b"\x02\x02"))
        return [sample[:21] + ((1 << 16) | (0x100 + i)).to_bytes(4, "big") + sample[25:27]
                + (i + 1).to_bytes(2, "big") + sample[29:] for i in range(count)]

    def send_spread(self, datagrams, port):
        """To the session's destination from several loopback sources, none over its rate limit."""
        sources = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(5)]
        try:
            for n, s in enumerate(sources):
                s.bind((f"127.0.{os.getpid() % 200 + 20}.{n + 10}", 0))
            for i, d in enumerate(datagrams):
                sources[i % len(sources)].sendto(d, (self.group, port))
                time.sleep(0.01)
        finally:
            for s in sources:
                s.close()

    def test_forged_mtk_messages_give_one_msk_request(self):
        """Issue 13 item 3: 100 forged MTK messages naming unknown MSKs of a registered key group
        ask the BM-SC once; MSKs stored in between do not open the way again (6.3.2.2.3)."""
        self.start()
        self.mbmsctl("register", SERVICE)
        wait_for(lambda: self.state() == "receiving", what="keys and MTKs")
        before = self.msk_requests()
        self.send_spread(self.forged_mtk_messages(100), self.port)
        wait_for(lambda: self.msk_requests() > before, what="the first triggered MSK request")
        # the lab answers with a push: the MSK it stores must not reset the limit
        wait_for(lambda: self.lab_log().count("pushed MSK") >= 2, what="the answer pushed")
        time.sleep(1.5)
        self.assertEqual(self.msk_requests() - before, 1, self.lab_log())
        with open(os.path.join(self.dir, "mbmsd.log")) as f:
            self.assertIn("no MSK request for key group 00f110/1", f.read())
        self.assertEqual(self.state(), "receiving")

    def forged_srtp(self, count):
        """SRTP packets (RFC 3711) whose MKI (MSK ID || MTK ID, TS 33.246 6.6.2.1) names unknown
        MSKs of key group 1; the tag is noise, but there is no key to check it with."""
        return [bytes([0x80, 96]) + (i + 1).to_bytes(2, "big") + (1000 * i).to_bytes(4, "big")
                + (0x4660).to_bytes(4, "big") + os.urandom(40)
                + ((1 << 16) | (0x200 + i)).to_bytes(4, "big") + (1).to_bytes(2, "big") + os.urandom(10)
                for i in range(count)]

    def test_forged_srtp_gives_one_msk_request_per_interval(self):
        """Issue 13 item 3: 100 SRTP packets naming unknown MSKs ask once; the interval is
        [mikey] msk-request-interval, after which traffic may ask again (once)."""
        with open(os.path.join(self.dir, "mbmsd.conf")) as f:
            conf = f.read().replace("[mikey]\n", "[mikey]\nmsk-request-interval=4\n")
        self.write("mbmsd.conf", conf)
        self.start()
        holder, _ = self.player()
        wait_for(lambda: self.stream_state() == "streaming", what="streaming")
        time.sleep(4.5)  # whatever was asked while registering is an interval behind
        before = self.msk_requests()
        started = time.monotonic()
        self.send_spread(self.forged_srtp(100), 5004)
        wait_for(lambda: self.msk_requests() > before, what="the first triggered MSK request")
        time.sleep(max(0.0, 3.0 - (time.monotonic() - started)))
        self.assertEqual(self.msk_requests() - before, 1, self.lab_log())
        # the interval over: the next forged packet may ask again, and only once
        time.sleep(max(0.0, 4.5 - (time.monotonic() - started)))
        self.send_spread(self.forged_srtp(100)[50:], 5004)
        wait_for(lambda: self.msk_requests() > before + 1, what="a request after the interval")
        time.sleep(1.0)
        self.assertEqual(self.msk_requests() - before, 2, self.lab_log())
        holder.stdin.close()

    def test_crash_writes_no_core(self):
        """Issue 13 item 5: with dumps allowed (RLIMIT_CORE unlimited, a core_pattern writing to
        the working directory) a crash of mbmsd holding keys leaves no core: it is not dumpable.
        A process beside it under the same limits shows that this machine does write cores."""
        with open("/proc/sys/kernel/core_pattern") as f:
            pattern = f.read().strip()
        hard = resource.getrlimit(resource.RLIMIT_CORE)[1] if os.getuid() != 0 else resource.RLIM_INFINITY
        if pattern.startswith("|") or "/" in pattern or hard == 0:
            self.skipTest(f"core_pattern {pattern!r} / hard limit {hard}: no core this test could find")

        def dumps_allowed():
            resource.setrlimit(resource.RLIMIT_CORE, (hard, hard))

        cwd = os.path.join(self.dir, "cwd")
        os.makedirs(cwd)
        cores = lambda: [n for n in os.listdir(cwd) if n.startswith("core")]
        control = subprocess.Popen(["sleep", "60"], cwd=cwd, preexec_fn=dumps_allowed)
        time.sleep(0.2)
        control.send_signal(signal.SIGSEGV)
        self.assertEqual(control.wait(timeout=10), -signal.SIGSEGV)
        if not cores():  # the kernel has written it by the time the parent sees the exit
            self.skipTest(f"a process beside mbmsd left no core either (core_pattern {pattern!r})")
        for name in cores():
            os.unlink(os.path.join(cwd, name))
        for sig in (signal.SIGSEGV, signal.SIGABRT):
            daemon = self.start(cwd=cwd, preexec_fn=dumps_allowed)
            with open(f"/proc/{daemon.pid}/limits") as f:
                if re.search(r"Max core file size\s+0\s", f.read()):
                    # AddressSanitizer's disable_coredump: nothing this test could show
                    self.skipTest("mbmsd set its own core size limit to 0 (a sanitizer build)")
            if sig == signal.SIGSEGV:  # keys in memory: the MSK, MTKs, the USIM's K and OPc
                self.mbmsctl("register", SERVICE)
                wait_for(lambda: self.state() == "receiving", what="keys and MTKs")
            daemon.send_signal(sig)
            self.assertEqual(daemon.wait(timeout=10), -sig)
            time.sleep(0.5)
            self.assertEqual(cores(), [], f"mbmsd left a core after signal {sig}")

    def start_with_groups(self, members):
        """mbmsd with a control and a key group of this test's own (gids nobody uses) that list
        members in /etc/group: mbmsd runs in a mount namespace whose /etc/group is ours."""
        if shutil.which("unshare") is None:
            self.skipTest("needs unshare(1) for a private /etc/group")
        used = {g.gr_gid for g in grp.getgrall()}
        base = 40000 + 2 * (os.getpid() % 10000)
        while base in used or base + 1 in used:
            base += 2
        self.control_gid, self.key_gid = base, base + 1
        names = (f"mbmst{os.getpid()}c", f"mbmst{os.getpid()}k")
        with open("/etc/group") as f:
            self.write("group", f.read() + f"{names[0]}:x:{base}:{members}\n{names[1]}:x:{base + 1}:{members}\n")
        with open(os.path.join(self.dir, "mbmsd.conf"), "a") as f:
            f.write(f"[dbus]\ncontrol-group={names[0]}\nkey-group={names[1]}\n")
        probe = subprocess.run(["unshare", "--mount", "--propagation", "private", "true"], capture_output=True)
        if probe.returncode != 0:
            self.skipTest(f"no mount namespace here: {probe.stderr.decode().strip()}")
        self.start(wrap=["unshare", "--mount", "--propagation", "private", "--", "sh", "-c",
                         'mount --bind "$0" /etc/group && exec "$@"', os.path.join(self.dir, "group")])

    def call_as(self, ids, path, method, *args):
        """gdbus as nobody with the given real and effective gid and supplementary groups."""
        gid, groups = ids
        drop = ["setpriv", "--reuid=65534", f"--regid={gid}",
                f"--groups={','.join(map(str, groups))}" if groups else "--clear-groups", "--"]
        return subprocess.run(drop + ["gdbus", "call", "--session", "--dest", NAME, "--object-path", path,
                                      "--method", f"{NAME}.{method}", *args],
                              env=self.env, capture_output=True, text=True, timeout=20)

    def get_keys_as(self, ids):
        return self.call_as(ids, f"{ROOT}/Session/0", "Session.GetKeys", "@ay []")

    def stop_streaming_as(self, ids):
        # a control method that changes nothing for a caller who holds no stream
        return self.call_as(ids, f"{ROOT}/Service/0", "Service.StopStreaming")

    def assert_allowed(self, r):
        self.assertEqual(r.returncode, 0, r.stderr)

    def assert_denied(self, r):
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("org.mbmsd.Mbmsd1.Error.AccessDenied", r.stderr)

    def test_authorisation_from_caller_credentials(self):
        """Issue 13 item 6: the groups the calling process holds, as the bus recorded them
        (GetConnectionCredentials), not what /etc/group lists for its user; no polkit here."""
        self.open_bus()
        self.start_with_groups(members="nobody")
        self.mbmsctl("register", SERVICE)
        wait_for(lambda: self.state() == "receiving", what="keys and MTKs")
        nogroup = pwd.getpwuid(65534).pw_gid
        # the key group as a supplementary group, and as the primary group
        r = self.get_keys_as((nogroup, [self.key_gid]))
        self.assert_allowed(r)
        self.assertIn("srtp-key", r.stdout)
        self.assert_allowed(self.get_keys_as((self.key_gid, [])))
        # every group dropped: nobody is listed in /etc/group as a member of both, and is refused
        self.assert_denied(self.get_keys_as((nogroup, [])))
        self.assert_denied(self.stop_streaming_as((nogroup, [])))
        # each action its own group
        self.assert_denied(self.stop_streaming_as((nogroup, [self.key_gid])))
        self.assert_allowed(self.stop_streaming_as((nogroup, [self.control_gid])))
        self.assert_denied(self.get_keys_as((nogroup, [self.control_gid])))
        with open(os.path.join(self.dir, "mbmsd.log")) as f:
            log = f.read()
        self.assertIn("key hand-out refused to", log)
        self.assertIn("org.mbmsd.Mbmsd1.keys by", log)

    def test_polkit_decides_for_callers_outside_the_groups(self):
        """Issue 13 item 6: a caller without the groups is asked about at polkit
        (python-dbusmock's polkitd), for the method's action, without user interaction."""
        if subprocess.run([PYTHON_GI, "-c", "import dbusmock"], capture_output=True).returncode != 0:
            self.skipTest("python3-dbusmock is missing (tools/install-deps installs it)")
        self.open_bus()
        polkit_log = os.path.join(self.dir, "polkitd.log")
        polkitd = subprocess.Popen([PYTHON_GI, "-m", "dbusmock", "--session", "--template", "polkitd",
                                    "--logfile", polkit_log], env=self.env, stdout=subprocess.DEVNULL)
        self.procs.append(polkitd)
        authority = ["--dest", "org.freedesktop.PolicyKit1", "--object-path", "/org/freedesktop/PolicyKit1/Authority"]
        wait_for(lambda: subprocess.run(["gdbus", "introspect", "--session", *authority], env=self.env,
                                        capture_output=True).returncode == 0, what="the polkitd mock")

        def allow(*actions):
            subprocess.run(["gdbus", "call", "--session", *authority, "--method", "org.freedesktop.DBus.Mock.SetAllowed",
                            "[" + ", ".join(f"'{a}'" for a in actions) + "]" if actions else "@as []"],
                           env=self.env, check=True, capture_output=True, timeout=20)

        self.start_with_groups(members="")
        self.mbmsctl("register", SERVICE)
        wait_for(lambda: self.state() == "receiving", what="keys and MTKs")
        outsider = (pwd.getpwuid(65534).pw_gid, [])
        # polkit says no (the mock's default, as the policy's defaults)
        self.assert_denied(self.get_keys_as(outsider))
        self.assert_denied(self.stop_streaming_as(outsider))
        with open(polkit_log) as f:
            checks = f.read()
        # CheckAuthorization ((system-bus-name, {name}), action, details, flags 0: no interaction, "")
        self.assertRegex(checks, r"CheckAuthorization .*'system-bus-name'.*\"org\.mbmsd\.Mbmsd1\.keys\" \{\} 0 \"\"")
        self.assertRegex(checks, r"CheckAuthorization .*'system-bus-name'.*\"org\.mbmsd\.Mbmsd1\.control\" \{\} 0 \"\"")
        # polkit allows the keys: GetKeys passes, the control action still does not
        allow("org.mbmsd.Mbmsd1.keys")
        r = self.get_keys_as(outsider)
        self.assert_allowed(r)
        self.assertIn("srtp-key", r.stdout)
        self.assert_denied(self.stop_streaming_as(outsider))
        allow("org.mbmsd.Mbmsd1.control")
        self.assert_allowed(self.stop_streaming_as(outsider))
        self.assert_denied(self.get_keys_as(outsider))
        # root and the groups are decided without asking polkit
        with open(polkit_log) as f:
            asked = f.read().count("CheckAuthorization")
        self.assert_allowed(self.get_keys_as((self.key_gid, [])))
        self.get_keys()
        with open(polkit_log) as f:
            self.assertEqual(f.read().count("CheckAuthorization"), asked)

    def test_unprotected_service_cannot_register(self):
        self.write("usd/weather.usd.xml", usd("urn:w", '<deliveryMethod sessionDescriptionURI="news.sdp"/>'))
        self.start()
        paths = self.prop(ROOT, "Manager", "Services")
        self.assertIn("Service/1", paths)
        r = self.gdbus("call", "--object-path", f"{ROOT}/Service/1", "--method", f"{NAME}.Service.Register",
                       check=False)
        if "urn:w" not in self.prop(f"{ROOT}/Service/1", "Service", "ServiceId"):
            r = self.gdbus("call", "--object-path", f"{ROOT}/Service/0", "--method", f"{NAME}.Service.Register",
                           check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("org.mbmsd.Mbmsd1.Error.NotProtected", r.stderr)
        # streaming it needs no keys: the playback URI is the service's own SDP (the player joins)
        weather = "Service/1" if "urn:w" in self.prop(f"{ROOT}/Service/1", "Service", "ServiceId") else "Service/0"
        holder, uri = self.player(weather)
        with open(uri[len("file://"):]) as f, open(os.path.join(self.dir, "usd", "news.sdp")) as g:
            self.assertEqual(f.read(), g.read())
        self.assertIn("streaming", self.prop(f"{ROOT}/{weather}", "Service", "StreamState"))
        holder.stdin.close()

    def test_uicc_key_management_required_is_not_registered(self):
        """uiccKeyManagement left at its default (true, TS 26.346 11.3.1): mbmsd manages keys in
        the ME only, so the service is shown unavailable with its reason and never registered
        (TS 33.246 6.3.2.1A), while the ME-managed service beside it still is."""
        self.write("usd/card.usd.xml", usd("urn:card", '<deliveryMethod sessionDescriptionURI="news.sdp" '
                                                        'protectionDescriptionURI="card.prot.xml"/>'))
        self.write("usd/card.prot.xml", security_description(self.uri, f"{self.group}/5004", uicc=None))
        self.start()
        card = "Service/0" if "urn:card" in self.prop(f"{ROOT}/Service/0", "Service", "ServiceId") else "Service/1"
        state = self.prop(f"{ROOT}/{card}", "Service", "State")
        self.assertIn("unavailable", state)
        self.assertIn("uicc-key-management-required", self.prop(f"{ROOT}/{card}", "Service", "StateReason"))
        r = self.gdbus("call", "--object-path", f"{ROOT}/{card}", "--method", f"{NAME}.Service.Register",
                       check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("org.mbmsd.Mbmsd1.Error.NotSupported", r.stderr)
        self.assertIn("UICC-based key management", r.stderr)
        self.assertIn("unavailable", self.prop(f"{ROOT}/{card}", "Service", "State"))
        self.assertNotIn("urn:card", self.lab_log())

    def test_add_description_and_busctl_style_introspection(self):
        self.start()
        bad = os.path.join(self.dir, "bad.usd.xml")
        self.write("bad.usd.xml", f'<bundleDescription xmlns="{USD_NS}"><userServiceDescription/></bundleDescription>')
        r = self.gdbus("call", "--object-path", ROOT, "--method", f"{NAME}.Manager.AddServiceDescription", bad,
                       check=False)
        self.assertIn("org.mbmsd.Mbmsd1.Error.InvalidDescription", r.stderr)
        if shutil.which("busctl") is not None:
            # busctl, as a developer uses it, on the same bus
            address = self.env["DBUS_SESSION_BUS_ADDRESS"]
            t = subprocess.run(["busctl", f"--address={address}", "tree", NAME], env=self.env, capture_output=True,
                               text=True, timeout=20)
            self.assertEqual(t.returncode, 0, t.stderr)
            self.assertIn(f"{ROOT}/Service/0", t.stdout)
            self.assertIn(f"{ROOT}/Session/0", t.stdout)
            g = subprocess.run(["busctl", f"--address={address}", "get-property", NAME, f"{ROOT}/Service/0",
                                f"{NAME}.Service", "State"], env=self.env, capture_output=True, text=True, timeout=20)
            self.assertEqual(g.stdout.strip(), 's "discovered"', g.stderr)
        tree = self.gdbus("introspect", "--object-path", ROOT, "--recurse").stdout
        for needle in ("interface org.mbmsd.Mbmsd1.Manager", "interface org.mbmsd.Mbmsd1.Service",
                       "interface org.mbmsd.Mbmsd1.Session", "org.freedesktop.DBus.ObjectManager"):
            self.assertIn(needle, tree)

    def test_state_directory_found_open_is_made_0700(self):
        """Issue 14 item 7: a state directory that exists with mode 0777 is made 0700 (keys and
        registrations live there), and the log says so."""
        state = os.path.join(self.dir, "state")
        os.makedirs(state)
        os.chmod(state, 0o777)
        self.start()
        self.assertEqual(os.stat(state).st_mode & 0o7777, 0o700)
        with open(os.path.join(self.dir, "mbmsd.log")) as f:
            self.assertIn(f"state directory {state} had mode 0777; set to 0700", f.read())

if __name__ == "__main__":
    unittest.main(verbosity=2)
