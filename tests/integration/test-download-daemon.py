#!/usr/bin/env python3
"""mbmsd receiving a download service (TS 26.346 7) as a user meets it: the real daemon on a
private D-Bus joins the FLUTE session of the USD's SDP on a multicast group of lo; a FLUTE
sender written here from RFC 5651/5775/6726 and RFC 5445 sends an FDT and its files, with
loss-free repeats; the files appear under the download directory (atomically, 0640), in the
Service's Downloads property, as FileReceived signals, in `mbmsctl downloads`, and through
OpenFile to an authorised caller only. A Content-Location that tries to leave the download
directory is refused. (Protected download end to end needs the lab's FLUTE sender.)"""
import base64, configparser, gzip, hashlib, importlib.util, json, os, re, signal, socket, stat, struct, subprocess, \
    tempfile, time, unittest

# test-daemon.py's helpers and names, as test-stalls.py takes them
_spec = importlib.util.spec_from_file_location("daemon_fixture",
                                               os.path.join(os.path.dirname(__file__), "test-daemon.py"))
fx = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fx)
BUILD, SRC, MBMSD, MBMSCTL, PYTHON_GI = fx.BUILD, fx.SRC, fx.MBMSD, fx.MBMSCTL, fx.PYTHON_GI
NAME, ROOT, USD_NS, LABNET = fx.NAME, fx.ROOT, fx.USD_NS, fx.LABNET
free_udp_port, wait_for = fx.free_udp_port, fx.wait_for
SERVICE = "urn:mbmsd:test:podcasts"
NTP_UNIX = 2208988800
TSI = 77


def alc_packets(toi, data, fdt_instance=None, symbol=500, block=16, cenc=None):
    """ALC packets of one object: LCT header (RFC 5651 5.1: V=1, C=0, S=1, O=1, H=0) with
    EXT_FDT (RFC 6726 3.4.1) for TOI 0, EXT_FTI of Compact No-Code FEC (RFC 5445 3.4.1) and
    EXT_CENC (RFC 6726 3.4.3); FEC Payload ID SBN || ESI, symbols placed by RFC 5052 9.1."""
    L = len(data)
    T = -(-L // symbol)
    N = -(-T // block)
    a_large, a_small = -(-T // N), T // N
    I = T - a_small * N
    exts = b""
    if fdt_instance is not None:
        exts += struct.pack(">B", 192) + ((2 << 20) | fdt_instance).to_bytes(3, "big")
    exts += struct.pack(">BB", 64, 4) + L.to_bytes(6, "big") + struct.pack(">HHI", 0, symbol, block)
    if cenc is not None:
        exts += struct.pack(">BBH", 193, cenc, 0)
    out, first = [], 0
    for sbn in range(N):
        k = a_large if sbn < I else a_small
        for esi in range(k):
            start = (first + esi) * symbol
            last = sbn == N - 1 and esi == k - 1
            hdr = struct.pack(">BBBB", 0x10, 0x80 | 0x20 | (1 if last else 0), 0, 0)
            hdr += struct.pack(">III", 0, TSI, toi) + exts
            hdr = hdr[:2] + bytes([len(hdr) // 4]) + hdr[3:]
            out.append(hdr + struct.pack(">HH", sbn, esi) + data[start:start + symbol])
        first += k
    return out


class DownloadDaemon(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name
        self.port = free_udp_port()
        self.group = f"239.254.{os.getpid() % 250}.{self.port % 250 + 1}"
        # a bus another user may reach too: OpenFile is tried as nobody
        conf = os.path.join(self.dir, "bus.conf")
        self.write("bus.conf", '<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN" '
                   '"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd"><busconfig><type>session</type>'
                   f'<listen>unix:path={self.dir}/bus</listen>'
                   '<policy context="default"><allow user="*"/><allow own="*"/><allow send_destination="*"/>'
                   '<allow receive_sender="*"/><allow send_type="method_call"/><allow send_type="signal"/>'
                   '<allow send_type="method_return"/><allow send_type="error"/><allow receive_type="signal"/>'
                   '<allow receive_type="method_return"/><allow receive_type="error"/></policy></busconfig>')
        os.chmod(self.dir, 0o755)
        self.bus = subprocess.Popen(["dbus-daemon", "--nofork", "--print-address", f"--config-file={conf}"],
                                    stdout=subprocess.PIPE, text=True)
        self.env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=self.bus.stdout.readline().strip())
        os.chmod(os.path.join(self.dir, "bus"), 0o777)
        self.env.pop("G_MESSAGES_DEBUG", None)
        os.makedirs(os.path.join(self.dir, "usd"))
        self.write("usd/pod.usd.xml",
                   f'<bundleDescription xmlns="{USD_NS}"><userServiceDescription serviceId="{SERVICE}">'
                   '<name lang="en">Podcasts</name><deliveryMethod sessionDescriptionURI="pod.sdp"/>'
                   '</userServiceDescription></bundleDescription>')
        self.write("usd/pod.sdp", f"v=0\no=- 1 1 IN IP4 127.0.0.1\ns=Podcasts\nt=0 0\na=flute-tsi:{TSI}\n"
                   f"m=application {self.port} FLUTE/UDP 0\nc=IN IP4 {self.group}/1\n")
        usim = os.path.join(self.dir, "usim.conf")
        with open(os.path.join(SRC, "data", "lab", "soft-usim.conf")) as f:
            self.write("usim.conf", f.read())
        self.downloads = os.path.join(self.dir, "dl")
        self.write("mbmsd.conf", f"[mbmsd]\nstate-directory={self.dir}/state\nservice-descriptions={self.dir}/usd\n"
                   f"runtime-directory={self.dir}/run\nmulticast-interface=lo\n[uicc]\nsoft-usim={usim}\n"
                   f"[gba]\nbsf=http://127.0.0.1:9/\n[mikey]\nport={free_udp_port()}\nlisten=127.0.0.1\n"
                   f"[download]\ndirectory={self.downloads}\n")
        with open(os.path.join(self.dir, "mbmsd.log"), "w") as log:
            self.daemon = subprocess.Popen([MBMSD, "--session-bus", "--verbose", "--config",
                                            os.path.join(self.dir, "mbmsd.conf")], env=self.env, stdout=log,
                                           stderr=log)
        wait_for(lambda: self.gdbus("introspect", "--object-path", ROOT, check=False).returncode == 0,
                 what="mbmsd on the bus")
        self.monitor = subprocess.Popen(["gdbus", "monitor", "--session", "--dest", NAME], env=self.env,
                                        stdout=subprocess.PIPE, text=True)
        # gdbus monitor says whose signals it follows once it is subscribed
        wait_for(lambda: "is owned by" in self.monitor.stdout.readline(), what="gdbus monitor subscribed")
        wait_for(lambda: "receiving" in self.prop("DownloadState"), what="the FLUTE session joined")
        self.tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.tx.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 0)
        self.tx.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 1)
        self.tx.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("127.0.0.1"))

    def tearDown(self):
        self.tx.close()
        for p in (self.monitor, self.daemon, self.bus):
            if p.poll() is None:
                p.terminate()
                p.wait(timeout=10)
        self.monitor.stdout.close()
        self.bus.stdout.close()
        self.tmp.cleanup()

    def write(self, name, text):
        with open(os.path.join(self.dir, name), "w") as f:
            f.write(text)

    def gdbus(self, verb, *args, check=True):
        r = subprocess.run(["gdbus", verb, "--session", "--dest", NAME, *args], env=self.env, capture_output=True,
                           text=True, timeout=20)
        if check and r.returncode != 0:
            raise AssertionError(f"gdbus {verb} {args}: {r.stderr}")
        return r

    def prop(self, name):
        r = self.gdbus("call", "--object-path", f"{ROOT}/Service/0", "--method",
                       "org.freedesktop.DBus.Properties.Get", f"{NAME}.Service", name, check=False)
        return r.stdout.strip() if r.returncode == 0 else ""

    def send(self, packets):
        for i, p in enumerate(packets):
            self.tx.sendto(p, (self.group, self.port))
            if i % 64 == 63:
                time.sleep(0.002)  # the daemon reads between bursts; the socket buffer is bounded

    def open_file(self, location, as_nobody=False):
        script = ("import sys\nfrom gi.repository import Gio, GLib\n"
                  "bus = Gio.bus_get_sync(Gio.BusType.SESSION)\n"
                  f"r, fds = bus.call_with_unix_fd_list_sync('{NAME}', '{ROOT}/Service/0', '{NAME}.Service',"
                  " 'OpenFile', GLib.Variant('(s)', (sys.argv[1],)), GLib.VariantType('(h)'), 0, -1, None, None)\n"
                  "fd = fds.get(r.unpack()[0])\n"
                  "import os\nsys.stdout.buffer.write(os.read(fd, 1 << 20))\n")
        wrap = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"] if as_nobody else []
        return subprocess.run([*wrap, PYTHON_GI, "-c", script, location], env=self.env, capture_output=True,
                              timeout=20)

    def test_files_delivered_listed_signalled_opened(self):
        episode = os.urandom(20000)
        notes = ("show notes " * 500).encode()
        zipped = gzip.compress(notes)
        md5 = base64.b64encode(hashlib.md5(episode).digest()).decode()
        expires = int(time.time()) + NTP_UNIX + 600
        fdt = (f'<?xml version="1.0" encoding="UTF-8"?>\n<FDT-Instance xmlns="urn:IETF:metadata:2005:FLUTE:FDT" '
               f'Expires="{expires}" FEC-OTI-FEC-Encoding-ID="0" FEC-OTI-Maximum-Source-Block-Length="16" '
               f'FEC-OTI-Encoding-Symbol-Length="500">'
               f'<File TOI="1" Content-Location="http://pod.example/shows/ep1.bin" Content-Length="{len(episode)}" '
               f'Content-Type="application/octet-stream" Content-MD5="{md5}"/>'
               f'<File TOI="2" Content-Location="notes.txt" Content-Encoding="gzip" Content-Length="{len(notes)}" '
               f'Transfer-Length="{len(zipped)}" Content-Type="text/plain"/>'
               f'<File TOI="3" Content-Location="../../escape.txt" Content-Length="4"/>'
               '</FDT-Instance>').encode()
        packets = alc_packets(0, fdt, fdt_instance=1) + alc_packets(1, episode) + alc_packets(2, zipped) \
            + alc_packets(3, b"evil")
        self.send(packets[::-1])  # reversed: files before their FDT
        self.send(packets)        # the carousel's next round
        listed = wait_for(lambda: self.prop("Downloads").count("pod") and "notes.txt" in self.prop("Downloads")
                          and self.prop("Downloads"), what="two files in Downloads")
        ep = os.path.join(self.downloads, SERVICE, "shows", "ep1.bin")
        with open(ep, "rb") as f:
            self.assertEqual(f.read(), episode)
        self.assertEqual(stat.S_IMODE(os.stat(ep).st_mode), 0o640)
        with open(os.path.join(self.downloads, SERVICE, "notes.txt"), "rb") as f:
            self.assertEqual(f.read(), notes)
        self.assertNotIn("escape", listed)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "escape.txt")))
        self.assertFalse(os.path.exists(os.path.join(self.downloads, "escape.txt")))
        self.assertEqual(sorted(os.listdir(os.path.join(self.downloads, SERVICE))), ["notes.txt", "shows"])
        # FileReceived
        # both files are listed, so both signals went out: stop the monitor and read what it saw
        self.monitor.terminate()
        out = self.monitor.communicate(timeout=10)[0]
        seen = [line for line in out.splitlines() if "FileReceived" in line]
        self.assertEqual(len(seen), 2)
        for line in seen:
            self.assertRegex(line, r"FileReceived \(('notes.txt', (uint64 )?5500|'http://pod.example/shows/ep1.bin', "
                                   r"(uint64 )?20000), "
                                   r"'[^']+', false\)")
        # mbmsctl downloads, text and JSON
        r = subprocess.run([MBMSCTL, "--session-bus", "downloads", "0"], env=self.env, capture_output=True,
                           text=True, timeout=20)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"downloads receiving: 2 delivered, 1 refused")
        self.assertIn("http://pod.example/shows/ep1.bin", r.stdout)
        r = subprocess.run([MBMSCTL, "--session-bus", "--json", "downloads", SERVICE], env=self.env,
                           capture_output=True, text=True, timeout=20)
        shown = json.loads(r.stdout)
        self.assertEqual(shown["delivered"], 2)
        self.assertEqual({f["content-location"]: f["size"] for f in shown["files"]},
                         {"http://pod.example/shows/ep1.bin": 20000, "notes.txt": len(notes)})
        self.assertFalse(any(f["verified"] for f in shown["files"]))
        # OpenFile: a read-only descriptor for an authorised caller, AccessDenied for nobody
        r = self.open_file("http://pod.example/shows/ep1.bin")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, episode)
        r = self.open_file("no-such-file")
        self.assertIn(b"NotFound", r.stderr)
        if os.getuid() != 0:
            return  # acting as nobody needs root
        r = self.open_file("http://pod.example/shows/ep1.bin", as_nobody=True)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(b"AccessDenied", r.stderr)


PODCASTS = "urn:mbmsd:lab:service:podcasts"


class LabFixture(unittest.TestCase):
    """The lab network's protected download session (tools/lab, written from the specifications
    by another engineer) and mbmsd registered for it; LAB_ARGS are the lab's switches."""
    LAB_ARGS = []

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name
        self.procs = []
        bus = os.path.join(self.dir, "bus")
        self.bus = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--print-address",
                                     f"--address=unix:path={bus}"], stdout=subprocess.PIPE, text=True)
        self.env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=self.bus.stdout.readline().strip())
        self.env.pop("G_MESSAGES_DEBUG", None)
        ue_port, dport = free_udp_port(), free_udp_port()
        group = f"239.253.{os.getpid() % 250}.{dport % 250 + 1}"
        with open(os.path.join(SRC, "data", "lab", "labnet.conf")) as f:
            conf = f.read().replace("#multicast-interface=lo", "multicast-interface=lo") \
                           .replace("ue-port=2269", f"ue-port={ue_port}")
        self.write("labnet.conf", conf)
        self.dump, usd = os.path.join(self.dir, "dump"), os.path.join(self.dir, "usd")
        os.makedirs(self.dump)
        with open(os.path.join(self.dir, "lab.log"), "w") as log:
            self.lab = subprocess.Popen([LABNET, "--config", os.path.join(self.dir, "labnet.conf"),
                                         "--download-to", f"{group}:{dport}", "--download-tsi", "9", *self.LAB_ARGS,
                                         "--dump-dir", self.dump, "--usd-dir", usd],
                                        stdout=subprocess.PIPE, stderr=log, text=True)
        self.procs.append(self.lab)
        lines = {}
        while "DOWNLOAD" not in lines:
            line = self.lab.stdout.readline()
            self.assertTrue(line, "the lab network stopped")
            lines[line.split()[0]] = line.split()[1]
        self.downloads = os.path.join(self.dir, "dl")
        usim = os.path.join(self.dir, "usim.conf")
        with open(os.path.join(SRC, "data", "lab", "soft-usim.conf")) as f:
            self.write("usim.conf", f.read())
        self.write("mbmsd.conf", f"[mbmsd]\nstate-directory={self.dir}/state\nservice-descriptions={usd}\n"
                   f"runtime-directory={self.dir}/run\nmulticast-interface=lo\n[uicc]\nsoft-usim={usim}\n"
                   f"[gba]\nbsf={lines['BSF'].rstrip('/')}/\n[mikey]\nport={ue_port}\nlisten=127.0.0.1\n"
                   f"[download]\ndirectory={self.downloads}\n")
        with open(os.path.join(self.dir, "mbmsd.log"), "w") as log:
            self.procs.append(subprocess.Popen([MBMSD, "--session-bus", "--verbose", "--config",
                                                os.path.join(self.dir, "mbmsd.conf")], env=self.env, stdout=log,
                                               stderr=log))
        wait_for(lambda: subprocess.run(["gdbus", "introspect", "--session", "--dest", NAME, "--object-path", ROOT],
                                        env=self.env, capture_output=True, timeout=20).returncode == 0,
                 what="mbmsd on the bus")

    def tearDown(self):
        for p in [*self.procs, self.bus]:
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

    def mbmsctl(self, *args):
        r = subprocess.run([MBMSCTL, "--session-bus", *args], env=self.env, capture_output=True, text=True,
                           timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    def log(self):
        with open(os.path.join(self.dir, "mbmsd.log")) as f:
            return f.read()

    def sent(self):
        """What the lab sends, from its dump (session.ini): {toi: section} of the DCF files."""
        ini = configparser.ConfigParser(interpolation=None)
        ini.read(os.path.join(self.dump, "session.ini"))
        return {int(name.split()[1]): ini[name] for name in ini.sections() if name.startswith("toi ")}

    def wait_delivered(self, locations, refused, timeout):
        """mbmsctl downloads once every location is listed and `refused` files were refused."""
        def delivered():
            shown = json.loads(self.mbmsctl("--json", "downloads", PODCASTS))
            listed = {f["content-location"] for f in shown["files"]}
            return shown if set(locations) <= listed and shown["refused"] >= refused else None

        try:
            return wait_for(delivered, timeout=timeout, what=f"{sorted(locations)} delivered, {refused} refused")
        except AssertionError:
            raise AssertionError("mbmsd.log:\n" + self.log()[-4000:])

    def assert_as_sent(self, shown, toi, section):
        f = {f["content-location"]: f for f in shown["files"]}[section["content-location"]]
        self.assertTrue(f["verified"], section["content-location"])
        with open(os.path.join(self.dump, f"{toi}.plain"), "rb") as want, open(f["path"], "rb") as got:
            self.assertEqual(got.read(), want.read(), section["content-location"])
        self.assertEqual(stat.S_IMODE(os.stat(f["path"]).st_mode), 0o640)
        return f


class LabDownload(LabFixture):
    """mbmsd registers, gets the MSK pushed, takes the MTK from the session's MIKEY object (late:
    from the carousel's second round), verifies the FDT's DCF and each file's signature, and
    delivers every file the lab sends byte for byte (CBC, CTR, an 11 MiB one, the gzip-encoded
    one: Content-Encoding, TS 26.346 7.2.x) under loss, reordering and duplicates; the forged
    file is refused and counted."""
    LAB_ARGS = ["--rounds", "0", "--rate", "4000", "--loss", "3", "--reorder", "10", "--duplicate", "5",
                "--mikey-from-round", "2"]

    def test_protected_session_of_the_lab(self):
        self.mbmsctl("register", PODCASTS)
        sent = self.sent()
        good = {toi: sec for toi, sec in sent.items() if sec.getboolean("bad-signature") is False}
        bad = [sec["content-location"] for sec in sent.values() if sec.getboolean("bad-signature")]
        self.assertGreaterEqual(len(good), 4)  # CBC, CTR, the large one, the gzip-encoded one
        self.assertTrue(any(sec.getboolean("gzip") for sec in good.values()), "the lab sends a gzip-encoded file")
        self.assertEqual(len(bad), 1)
        shown = self.wait_delivered([sec["content-location"] for sec in good.values()], len(bad), 150)
        for toi, sec in good.items():
            self.assert_as_sent(shown, toi, sec)
        by_name = {f["content-location"].rsplit("/", 1)[-1]: f for f in shown["files"]}
        self.assertEqual(len(shown["files"]), len(good))
        self.assertNotIn("forged.txt", by_name)
        self.assertGreater(by_name["firmware.bin"]["size"], 10 * 1024 * 1024)
        self.assertFalse(any("forged" in n for _, _, files in os.walk(self.downloads) for n in files))


class LabMtkChange(LabFixture):
    """The lab's session changes its MTK between files (SIGUSR2: a new MIKEY object, a file under
    the new MTK, a new FDT Instance signed with it; TS 33.246 6.3.3.1, 6.3.3.2.1): the files
    before and after each change open with their own MTK, the earlier ones stay; after the second
    change a file still under MTK ID 1 is refused at once (the ME keeps the two most recent MTKs
    and MGV-F takes none at or below the current MTK ID, 6.5.4, 6.4.6.2). The first MIKEY object
    comes before the MSK is pushed: mbmsd takes it from the carousel's next round."""
    LAB_ARGS = ["--rounds", "0", "--rate", "4000", "--big-file-mib", "1"]

    def change_mtk_and_wait(self, mtk_id, refused):
        self.lab.send_signal(signal.SIGUSR2)
        name = f"news/under-mtk-{mtk_id}.txt"
        toi = wait_for(lambda: next((t for t, sec in self.sent().items() if sec["content-location"].endswith(name)),
                                    None), what=f"the lab's file under MTK ID {mtk_id}")
        sec = self.sent()[toi]
        self.assertEqual(sec.getint("mtk-id"), mtk_id)
        shown = self.wait_delivered([sec["content-location"]], refused, 60)
        self.assert_as_sent(shown, toi, sec)
        self.assertRegex(self.log(), re.escape(f"'{sec['content-location']}' verified with MTK ID {mtk_id},"))
        return shown

    def test_files_before_and_after_the_change_and_a_stale_one(self):
        # mbmsctl monitor tells the files and the counters in plain words
        monitor = subprocess.Popen([MBMSCTL, "--session-bus", "monitor"], env=self.env, stdout=subprocess.PIPE,
                                   text=True)
        self.procs.append(monitor)
        # a few carousel rounds (each well under a second) reach mbmsd before its MSK: their MIKEY
        # objects are refused as of an unknown MSK, and a later copy must still be taken
        wait_for(lambda: "receiving" in self.mbmsctl("downloads", PODCASTS), what="the FLUTE session joined")
        time.sleep(2)
        self.mbmsctl("register", PODCASTS)
        first = {toi: sec for toi, sec in self.sent().items() if not sec.getboolean("bad-signature")}
        shown = self.wait_delivered([sec["content-location"] for sec in first.values()], 1, 90)
        for toi, sec in first.items():
            self.assertEqual(sec.getint("mtk-id"), 1)
            self.assert_as_sent(shown, toi, sec)
        self.assertRegex(self.log(), r"verified with MTK ID 1,")
        self.change_mtk_and_wait(2, 1)
        shown = self.change_mtk_and_wait(3, 2)
        stale = [sec for sec in self.sent().values() if sec["content-location"].endswith("news/stale.txt")]
        self.assertEqual(len(stale), 1)
        self.assertEqual(stale[0].getint("mtk-id"), 1)
        # the stale file is refused, not held for an MTK that cannot come again
        wait_for(lambda: re.search(r"refused: DCF: MTK ID 1 of MSK ID 0x[0-9a-f]{8} is older than the session's MTKs",
                                   self.log()), what="the stale file refused")
        shown = json.loads(self.mbmsctl("--json", "downloads", PODCASTS))
        self.assertEqual(shown["refused"], 2)
        self.assertNotIn(stale[0]["content-location"], {f["content-location"] for f in shown["files"]})
        self.assertFalse(any("stale" in n for _, _, files in os.walk(self.downloads) for n in files))
        self.assertEqual(len(shown["files"]), len(first) + 2)
        self.assertIn("MTK ID 3 of MSK ID", self.log())
        # the refusal after the last delivered file reaches DownloadCounters (at the next sweep)
        wait_for(lambda: "2 refused" in self.mbmsctl("downloads", PODCASTS), timeout=15, what="2 refused on D-Bus")
        time.sleep(0.5)
        monitor.terminate()
        said = monitor.communicate(timeout=10)[0]
        self.assertRegex(said, rf"{PODCASTS}: file http://lab\.mbmsd\.test/download/news/under-mtk-3\.txt, \d+ octets, "
                               r"verified, in /\S+/under-mtk-3\.txt")
        self.assertRegex(said, rf"{PODCASTS}: downloads {len(first) + 2} delivered, 2 refused, 0 held")


if __name__ == "__main__":
    unittest.main()
