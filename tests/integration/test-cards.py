#!/usr/bin/env python3
"""mbmsd with a real card path: the peer's virtual USIM (tests/virtual-usim, written from
TS 31.102 / TS 102 221, not from mbmsd) in vsmartcard's vpcd reader behind a private pcscd of
this test's own, and the same lab network and D-Bus checks as test-daemon.py. GBA_ME through
PC/SC from the USD to "receiving" (T=0 and T=1), a PIN-locked card (reported, never
unlocked, taken up once the user disabled the PIN), removal and insertion of the same card,
and another card (mbmsd exits 75 and a restart wipes the old card's keys); the same through the
pty modem (two variants); GBA_U bootstrapping through both with mbms-bootstrap."""
import configparser, importlib.util, json, os, re, shutil, socket, subprocess, sys, tempfile, time, unittest

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("test_daemon", os.path.join(HERE, "test-daemon.py"))
td = importlib.util.module_from_spec(spec)
spec.loader.exec_module(td)

WITH_PCSCD = os.path.join(td.SRC, "tests", "virtual-usim", "with-pcscd")
WITH_MODEM = os.path.join(td.SRC, "tests", "pty-modem", "with-modem")
DEBIAN_PYTHON = "/usr/bin/python3"
ROOT, SERVICE = td.ROOT, td.SERVICE


def have_pcsc():
    return (os.path.exists("/usr/sbin/pcscd") and os.path.exists("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")
            and shutil.which("unshare") is not None)


@unittest.skipUnless(have_pcsc(), "pcscd, vsmartcard-vpcd or unshare missing")
class PcscCard(td.Daemon):
    protocol = "t1"
    backend = "pcsc"
    modem_options = ()

    def peer_command(self, card_opts):
        if self.backend == "pcsc":
            return [DEBIAN_PYTHON, WITH_PCSCD, *card_opts]
        return [DEBIAN_PYTHON, WITH_MODEM, *self.modem_options, *[f"--card={o}" for o in card_opts]]

    usim_services = None  # "68,69": the virtual USIM offers GBA_U and MBMS security

    def setUp(self):
        super().setUp()
        self.envfile = os.path.join(self.dir, "pcsc.env")
        if self.usim_services:
            with open(self.usim, "a") as f:
                f.write(f"services={self.usim_services}\n")
        opts = ["--config", self.usim, "--protocol", self.protocol]
        if "pin_locked" in self._testMethodName:
            opts += ["--pin-state", "enabled"]
        self.card_log = open(os.path.join(self.dir, "card.log"), "w")
        # the card's world lives while this cat does: closing its stdin ends it
        self.pcsc = subprocess.Popen([*self.peer_command(opts), "--", "/bin/sh", "-c",
                                      f"env > {self.envfile}.tmp && mv {self.envfile}.tmp {self.envfile} && exec cat"],
                                     stdin=subprocess.PIPE, stdout=self.card_log, stderr=self.card_log)
        td.wait_for(lambda: os.path.exists(self.envfile) or self.pcsc.poll() is not None, timeout=30,
                    what="the private pcscd and the card")
        self.assertIsNone(self.pcsc.poll(), self.card_text())
        with open(self.envfile) as f:
            cardenv = dict(line.rstrip("\n").split("=", 1) for line in f if "=" in line)
        self.control_path = cardenv["VUSIM_CONTROL"]
        if self.backend == "pcsc":
            self.env["PCSCLITE_CSOCK_NAME"] = cardenv["PCSCLITE_CSOCK_NAME"]
            uicc = f"backend=pcsc\npcsc-reader={cardenv['VUSIM_READER']}\n"
        else:
            uicc = f"backend=at\nat-device={cardenv['MODEM_TTY']}\nat-timeout=5000\n"
        with open(os.path.join(self.dir, "mbmsd.conf")) as f:
            conf = f.read().replace(f"[uicc]\nsoft-usim={self.usim}\n", f"[uicc]\n{uicc}poll-interval=100\n")
        self.write("mbmsd.conf", conf)

    def tearDown(self):
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
                p.wait(timeout=10)
        self.pcsc.stdin.close()
        try:
            self.pcsc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.pcsc.kill()
        self.card_log.close()
        super().tearDown()

    def card_text(self):
        self.card_log.flush()
        with open(os.path.join(self.dir, "card.log")) as f:
            return f.read()

    def daemon_log(self):
        with open(os.path.join(self.dir, "mbmsd.log")) as f:
            return f.read()

    def control(self, line):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(10)
            s.connect(self.control_path)
            f = s.makefile("rw", encoding="utf-8", newline="\n")
            f.write(line + "\n")
            f.flush()
            return json.loads(f.readline())

    def manager(self, name):
        return self.prop(ROOT, "Manager", name)

    def card_state(self):
        return self.manager("CardState").replace("(<'", "").replace("'>,)", "")

    def register_until_receiving(self):
        td.wait_for(lambda: self.state() == "discovered", what="the service")
        self.gdbus("call", "--object-path", f"{ROOT}/Service/0", "--method", f"{td.NAME}.Service.Register")
        td.wait_for(lambda: self.state() == "receiving", timeout=30, what="keys and MTKs through the card")

    def test_gba_me_through_the_card_to_receiving(self):
        self.start()
        self.register_until_receiving()
        self.assertEqual(self.card_state(), "ready")
        self.assertIn(self.backend, self.manager("CardBackend"))
        self.assertIn("…0001", self.manager("CardIccid"))  # ICCID 8988211000000000001, hidden
        self.assertEqual(self.manager("CardServices"), "(<@as []>,)")  # a plain USIM: no n°68, n°69
        self.assertIn("@bsf.lab.mbmsd.test", self.manager("BootstrapTransactionId"))
        status = json.loads(self.mbmsctl("--json", "status"))
        self.assertEqual(status["card"], {"backend": self.backend, "state": "ready", "iccid": "…0001",
                                          "usim-services": []})
        text = self.mbmsctl("status")
        self.assertIn(f"card      {self.backend}, ready, ICCID …0001, USIM services used: none", text)
        self.assertNotIn("8988211000000000001", text + self.daemon_log())
        # the card answered the AUTHENTICATE: its SQN moved
        self.assertGreater(self.control("state")["sqn_ms"], 0)
        with open(os.path.join(self.dir, "state", "keys.mgv"), "rb") as f:
            self.assertIn(bytes.fromhex("00f1100001"), f.read())  # ME key management: the MSK in MGV-S
        self.assertIn("me", self.manager("KeyManagement"))
        self.assertIn("'me'", self.prop(f"{ROOT}/Service/0", "Service", "KeyManagement"))

    def test_pin_locked_card_is_reported_and_never_unlocked(self):
        self.start()
        td.wait_for(lambda: self.card_state() == "card-locked", what="card-locked")
        self.assertEqual(self.manager("Services"), "(<@ao []>,)")
        time.sleep(1.5)  # mbmsd looks again now and then: never with a PIN
        state = self.control("state")
        self.assertTrue(state["pin_enabled"], state)
        self.assertEqual(state["pin_tries"], 3, state)  # VERIFY without data only: no try spent
        self.assertIn("card-locked", self.daemon_log())
        # the user disables the PIN elsewhere: mbmsd takes the card up and the services come
        self.control("pin disabled")
        td.wait_for(lambda: self.card_state() == "ready", timeout=20, what="the unlocked card taken up")
        self.register_until_receiving()

    def test_removed_and_inserted_again(self):
        self.start()
        self.register_until_receiving()
        first_btid = self.manager("BootstrapTransactionId")
        self.assertIn("@bsf.lab.mbmsd.test", first_btid)
        sqn = self.control("state")["sqn_ms"]
        self.control("remove")
        td.wait_for(lambda: self.card_state() == "absent", what="the removal noticed")
        td.wait_for(lambda: self.state() == "unavailable", what="the service unavailable")
        # TS 33.220 4.4.11: Ks, B-TID and the NAF-specific keys (the MUK) are deleted
        self.assertEqual(self.manager("BootstrapState"), "(<'none'>,)")
        self.assertEqual(self.manager("BootstrapTransactionId"), "(<''>,)")
        self.assertIn("Ks, B-TID and MUKs deleted", self.daemon_log())
        self.assertIn("card-absent", self.prop(f"{ROOT}/Service/0", "Service", "StateReason"))
        r = self.gdbus("call", "--object-path", f"{ROOT}/Service/0", "--method", f"{td.NAME}.Service.Register",
                       check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("no card", r.stderr)
        self.control("insert")
        td.wait_for(lambda: self.control("state")["apdus"] > 0, what="the card selected and read again")
        td.wait_for(lambda: self.card_state() == "ready", timeout=20, what="the same card back")
        self.assertEqual(self.procs[-1].poll(), None)
        self.assertEqual(self.state(), "receiving")  # the MSKs stayed: the stream goes on
        self.assertEqual(len(self.control("state")["channels"]), 2)  # the USIM on a logical channel again
        # the next key management procedure bootstraps afresh with the card: a new B-TID
        self.gdbus("call", "--object-path", f"{ROOT}/Service/0", "--method", f"{td.NAME}.Service.Deregister")
        td.wait_for(lambda: self.state() == "discovered", timeout=30, what="deregistered")
        self.register_until_receiving()
        self.assertIn("@bsf.lab.mbmsd.test", self.manager("BootstrapTransactionId"))
        self.assertNotEqual(self.manager("BootstrapTransactionId"), first_btid)
        self.assertGreater(self.control("state")["sqn_ms"], sqn)

    def test_another_card_restarts_and_wipes(self):
        daemon = self.start()
        self.register_until_receiving()
        other = os.path.join(self.dir, "other-usim.conf")
        with open(self.usim) as f, open(other, "w") as g:
            g.write(f.read().replace("imsi=001010123456789", "imsi=001010987654321")
                    .replace("iccid=8988211000000000001", "iccid=8988211000000000002"))
        self.control("remove")
        td.wait_for(lambda: self.card_state() == "absent", what="the removal noticed")
        self.control(f"insert {other}")
        self.assertEqual(daemon.wait(timeout=20), 75, self.daemon_log())
        self.start()
        td.wait_for(lambda: self.card_state() == "ready", what="the new card")
        self.assertIn("…0002", self.manager("CardIccid"))
        self.assertIn("every stored MBMS key and registration was deleted", self.daemon_log())


class PcscCardT0(PcscCard):
    """The same over T=0: 61xx and GET RESPONSE for every answer with data."""
    protocol = "t0"


class AtModem(PcscCard):
    """The same card behind the pty modem: +CCHO (bare session id) and +CGLA."""
    backend = "at"


class AtModemQuirky(PcscCard):
    """A modem as many are: "+CCHO: n", AUTHENTICATE refused over +CSIM, session ids that are
    not channel numbers, a URC before every answer, the card's T=0 answers passed on raw."""
    backend = "at"
    protocol = "t0"
    modem_options = ("--ccho-prefix", "--refuse-csim-auth", "--session-base", "1465853795",
                     "--urc-before-answer", "+CREG: 1", "--raw-t0")


class UiccKeyManagement(PcscCard):
    """UICC key management end to end (TS 33.246 6.1, Annex D): the lab BSF runs GBA_U for the
    subscriber and its BM-SC takes MUK = Ks_int_NAF, MRK = Ks_ext_NAF; the virtual USIM offers
    n°68 and n°69 and does MGV-F itself. mbmsd bootstraps with GBA_U, registers a service whose
    security description leaves uiccKeyManagement at its default (true), hands the pushed MSK
    message to the card (which answers the verification message the lab BM-SC checks) and the
    MTK messages to it in MTK generation mode; the lab's SRTP comes out decrypted with the
    card's MTKs, and MGV-S (keys.mgv) holds no MSK and no MUK of it. A card without n°69 leaves
    such a service unavailable."""
    own_tests = True
    usim_services = "68,69"

    def lab_subscriber(self, text):
        if "gba_u_off" in self._testMethodName:
            return text  # a GBA_ME subscriber
        text = text.replace("#gba-u=false", "gba-u=true")
        if "me_key_management" not in self._testMethodName:
            text = text.replace("#uicc-mbms=false", "uicc-mbms=true")
        return text

    def setUp(self):
        if "without_n69" in self._testMethodName:
            self.usim_services = "68"
        super().setUp()
        # uiccKeyManagement left at its default (true, TS 26.346 11.3.1), or false
        uicc = "false" if "me_key_management" in self._testMethodName else None
        self.write("usd/news.prot.xml", td.security_description(self.uri, f"{self.group}/5004", uicc=uicc))
        if "gba_u_off" in self._testMethodName:
            with open(os.path.join(self.dir, "mbmsd.conf")) as f:
                conf = f.read().replace("[gba]\n", "[gba]\ngba-u=false\n")
            self.write("mbmsd.conf", conf)

    def service(self, name):
        return re.sub(r"^\(<'(.*)'>,\)$", r"\1", self.prop(f"{ROOT}/Service/0", "Service", name))

    def keys_mgv(self):
        path = os.path.join(self.dir, "state", "keys.mgv")
        if not os.path.exists(path):
            return b""
        with open(path, "rb") as f:
            return f.read()

    def test_uicc_lab_media_through_the_card(self):
        self.start()
        td.wait_for(lambda: self.card_state() == "ready", what="the card")
        self.assertIn("uicc", self.manager("KeyManagement"))
        self.assertIn("'gba-u'", self.manager("CardServices"))
        self.assertIn("'mbms-security'", self.manager("CardServices"))
        td.wait_for(lambda: self.state() == "discovered", what="the service")
        self.assertEqual(self.service("KeyManagement"), "uicc")
        holder, _ = self.player()
        td.wait_for(lambda: self.state() == "receiving", timeout=40, what="MSK on the card and MTKs from it")
        card = self.control("state")
        self.assertTrue(card["gba"]["bootstrapped"], card)
        btid = card["gba"]["btid"]
        self.assertIn(btid, self.manager("BootstrapTransactionId"))  # GBA_U: the card's B-TID
        msks = [m for m in card["mbms"]["msks"] if m["domain"] == "00f110"]
        self.assertTrue(msks and all(m["msk_id"].startswith("0001") for m in msks), card)
        self.assertEqual([m["idr"] for m in card["mbms"]["muks"]], [btid])  # the MUK last used: ours
        # the lab BM-SC got the card's verification message (it checks it, 6.4.5.2)
        td.wait_for(lambda: f"acknowledgement from {btid} verified" in self.lab_log(),
                    what="the card's verification message accepted by the lab BM-SC")
        # decrypted RTP at the player's port, as the GBA_ME path delivers it
        td.wait_for(lambda: self.stream_state() == "streaming", what="streaming")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sink:
            sink.bind(("127.0.0.1", self.forward_base))
            sink.settimeout(5)
            seqs = []
            deadline = time.monotonic() + 3
            while time.monotonic() < deadline and len(seqs) < 100:
                data = sink.recv(2048)
                seq = int.from_bytes(data[2:4], "big")
                self.assertEqual(data[12:], bytes((seq + 13 * i) % 256 for i in range(500)))
                seqs.append(seq)
        self.assertGreaterEqual(len(seqs), 50)
        holder.stdin.close()
        # MGV-S holds no MSK (Key Domain ID || MSK ID of group 1) and no MUK of this B-TID
        store = self.keys_mgv()
        self.assertNotIn(bytes.fromhex("00f1100001"), store)
        self.assertNotIn(btid.encode(), store)
        # an MSK request of the user's: the NAF keys of this Ks are reused, not derived again (a
        # new derivation would be a new MUK to the card, its MSK counter back to 0)
        requests = self.lab_log().count("MSK request from")
        self.mbmsctl("request-keys", "0")
        td.wait_for(lambda: self.lab_log().count("MSK request from") > requests, what="the MSK request")
        self.assertEqual(self.daemon_log().count("NAF keys for 127.0.0.1 derived on the card"), 1)
        shown = json.loads(self.mbmsctl("--json", "show", "0"))
        self.assertEqual(shown["key-management"], "uicc")
        self.assertIn("keys in   the UICC (TS 33.246 Annex D)", self.mbmsctl("show", "0"))
        log = self.daemon_log()
        self.assertIn("UICC key management", log)
        self.assertIn("stored on the card", log)

    def test_uicc_deregistration_deletes_keys_on_the_card(self):
        """The user's deregistration: MSK deletion mode for the service's key group and, with no
        service registered any more, MUK deletion mode (the card drops Ks_int_NAF and Ks of that
        B-TID with it); registering again bootstraps again and the card gets the MSK again."""
        self.start()
        self.register_until_receiving()
        card = self.control("state")
        first = card["gba"]["btid"]
        self.assertTrue(card["mbms"]["msks"] and card["mbms"]["muks"], card)
        self.assertIn("'00f110', uint16 1, uint32 65537", self.prop(f"{ROOT}/Service/0", "Service", "KeyGroups"))
        self.mbmsctl("deregister", SERVICE)
        td.wait_for(lambda: self.state() == "discovered", what="deregistered")
        td.wait_for(lambda: not self.control("state")["mbms"]["msks"], what="MSK deletion on the card")
        td.wait_for(lambda: not self.control("state")["mbms"]["muks"], what="MUK deletion on the card")
        self.assertFalse(self.control("state")["gba"]["bootstrapped"])  # Ks of that B-TID went with the MUK
        self.assertEqual(self.manager("BootstrapState"), "(<'none'>,)")
        self.assertEqual(self.manager("BootstrapTransactionId"), "(<''>,)")
        self.register_until_receiving()
        card = self.control("state")
        self.assertNotEqual(card["gba"]["btid"], first)
        self.assertTrue(card["mbms"]["msks"], card)

    def test_uicc_restart_registers_again_through_the_card(self):
        """6.3.2.1A at power on: the kept registration is sent again (a new NAF derivation on
        the card), the BM-SC pushes the MSK to the card again and MTKs come from it; the
        deregistration at shutdown (6.3.2.1B) deleted nothing on the card."""
        daemon = self.start()
        self.register_until_receiving()
        daemon.terminate()
        self.assertEqual(daemon.wait(timeout=20), 0)
        card = self.control("state")
        self.assertTrue(card["mbms"]["msks"] and card["mbms"]["muks"], card)  # kept on the card
        pushes = self.lab_log().count("pushed MSK")
        self.start()
        td.wait_for(lambda: self.state() == "receiving", timeout=40, what="receiving again through the card")
        self.assertGreater(self.lab_log().count("pushed MSK"), pushes)
        self.assertEqual(self.service("KeyManagement"), "uicc")
        self.assertNotIn(bytes.fromhex("00f1100001"), self.keys_mgv())

    def test_gba_u_with_me_key_management_without_n69(self):
        """GBA_U with a card that offers n°68 but not n°69 (TS 33.246 6.1): MUK = Ks_ext_NAF in
        the ME, MRK from Annex F, a service with uiccKeyManagement false managed in the ME."""
        self.start()
        self.register_until_receiving()
        self.assertIn("me", self.manager("KeyManagement"))
        self.assertEqual(self.service("KeyManagement"), "me")
        card = self.control("state")
        self.assertTrue(card["gba"]["bootstrapped"], card)
        self.assertIn(card["gba"]["btid"], self.manager("BootstrapTransactionId"))  # the GBA_U run's
        self.assertIn(bytes.fromhex("00f1100001"), self.keys_mgv())  # the MSK in MGV-S
        self.assertIn("keys in   the ME\n", self.mbmsctl("show", "0"))

    def test_gba_u_off_keys_in_the_me_with_a_capable_card(self):
        """[gba] gba-u=false: GBA_ME even with n°68 and n°69, keys in the ME; a service that
        requires UICC key management is then unavailable, one that does not is received."""
        self.start()
        td.wait_for(lambda: self.card_state() == "ready", what="the card")
        self.assertIn("me", self.manager("KeyManagement"))
        td.wait_for(lambda: self.state() == "unavailable", what="uiccKeyManagement true: unavailable")
        self.assertEqual(self.service("StateReason"), "uicc-key-management-required")
        self.write("usd/news.prot.xml", td.security_description(self.uri, f"{self.group}/5004", uicc="false"))
        self.gdbus("call", "--object-path", ROOT, "--method", f"{td.NAME}.Manager.Rescan")
        self.register_until_receiving()
        self.assertEqual(self.service("KeyManagement"), "me")
        self.assertFalse(self.control("state")["gba"]["bootstrapped"])  # 3G AUTHENTICATE, not the GBA context
        self.assertIn(bytes.fromhex("00f1100001"), self.keys_mgv())

    def test_uicc_key_management_required_without_n69(self):
        self.start()
        td.wait_for(lambda: self.card_state() == "ready", what="the card")
        self.assertIn("me", self.manager("KeyManagement"))
        td.wait_for(lambda: self.state() == "unavailable", what="the service unavailable")
        self.assertEqual(self.service("StateReason"), "uicc-key-management-required")
        self.assertEqual(self.service("KeyManagement"), "")
        r = self.gdbus("call", "--object-path", f"{ROOT}/Service/0", "--method", f"{td.NAME}.Service.Register",
                       check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("UICC-based key management", r.stderr)


class UiccKeyManagementAt(UiccKeyManagement):
    """The same through the pty modem (+CCHO/+CGLA carry the MBMS context's ODD AUTHENTICATE)."""
    backend = "at"


PODCASTS = "urn:mbmsd:lab:service:podcasts"


class UiccDownload(UiccKeyManagement):
    """A protected download under UICC key management (TS 33.246 6.3.3.2.1, Annex D): the lab's
    FLUTE session with its MIKEY object, the MSK of its key group pushed to the card; the MIKEY
    object goes to the card in MTK generation mode, the card's MTK (the TGK, its download keys
    derived in the ME, 6.5.4) opens the DCFs: each file as the lab sent it, the forged one
    refused, and MGV-S holds no MSK of the group."""

    def lab_extra_config(self):
        return f"[bmsc-service {PODCASTS}]\nkey-domain=00f110\nkey-group=3\nstreaming=false\n"

    def lab_args(self):
        dport = td.free_udp_port()
        self.dump = os.path.join(self.dir, "dump")
        os.makedirs(self.dump, exist_ok=True)
        return ["--download-to", f"239.254.{os.getpid() % 250}.{dport % 250 + 1}:{dport}", "--download-tsi", "9",
                "--rounds", "0", "--rate", "4000", "--big-file-mib", "2", "--mikey-from-round", "2",
                "--dump-dir", self.dump, "--usd-dir", os.path.join(self.dir, "usd")]

    def setUp(self):
        super().setUp()
        self.downloads = os.path.join(self.dir, "dl")
        with open(os.path.join(self.dir, "mbmsd.conf"), "a") as f:
            f.write(f"[download]\ndirectory={self.downloads}\n")

    def sent(self):
        """{toi: section} of the DCF files the lab sends (its dump's session.ini)."""
        ini = configparser.ConfigParser(interpolation=None)
        ini.read(os.path.join(self.dump, "session.ini"))
        return {int(name.split()[1]): ini[name] for name in ini.sections() if name.startswith("toi ")}

    def test_uicc_multicast_download_through_the_card(self):
        self.start()
        td.wait_for(lambda: self.card_state() == "ready", what="the card")
        self.assertIn("uicc", self.manager("KeyManagement"))
        td.wait_for(lambda: PODCASTS in self.mbmsctl("services"), what="the lab's download service")
        self.mbmsctl("register", PODCASTS)
        sent = self.sent()
        good = {toi: sec for toi, sec in sent.items() if sec.getboolean("bad-signature") is False}
        bad = [sec["content-location"] for sec in sent.values() if sec.getboolean("bad-signature")]
        self.assertGreaterEqual(len(good), 4)
        self.assertEqual(len(bad), 1)
        want = {sec["content-location"] for sec in good.values()}

        def delivered():
            shown = json.loads(self.mbmsctl("--json", "downloads", PODCASTS))
            listed = {f["content-location"] for f in shown["files"]}
            return shown if want <= listed and shown["refused"] >= len(bad) else None

        try:
            shown = td.wait_for(delivered, timeout=150, what="the lab's files through the card")
        except AssertionError:
            lines = [ln for ln in self.daemon_log().splitlines() if "download" in ln or "0x0003" in ln]
            raise AssertionError("mbmsd.log (its download lines):\n" + "\n".join(lines)[-6000:])
        files = {f["content-location"]: f for f in shown["files"]}
        self.assertEqual(set(files), want)  # the forged one refused, never listed
        for toi, sec in good.items():
            f = files[sec["content-location"]]
            self.assertTrue(f["verified"])
            with open(os.path.join(self.dump, f"{toi}.plain"), "rb") as a, open(f["path"], "rb") as b:
                self.assertEqual(b.read(), a.read(), sec["content-location"])
        self.assertFalse(any("forged" in n for _, _, names in os.walk(self.downloads) for n in names))
        # the MSK of group 3 is on the card, not in MGV-S; the MTK came from the card
        card = self.control("state")
        self.assertTrue(any(m["msk_id"].startswith("0003") for m in card["mbms"]["msks"]), card)
        self.assertNotIn(bytes.fromhex("00f1100003"), self.keys_mgv())
        self.assertIn("from the card", self.daemon_log())


class UiccDownloadAt(UiccDownload):
    """The same protected download through the pty modem (+CCHO/+CGLA carry the MIKEY objects
    to the card's MBMS context)."""
    backend = "at"


BOOTSTRAP = os.path.join(td.BUILD, "tools", "mbms-bootstrap")
LABNET = os.path.join(td.BUILD, "tools", "lab", "mbms-labnet")


@unittest.skipUnless(have_pcsc(), "pcscd, vsmartcard-vpcd or unshare missing")
class GbaUThroughTheCard(unittest.TestCase):
    """GBA_U (TS 33.220 5.3.2) with a card offering n°68 and n°69 against the lab BSF that runs
    GBA_U for the subscriber: the card answers in the GBA context, keeps Ks, gets the B-TID
    in EF_GBABP, derives Ks_ext_NAF and keeps Ks_int_NAF (the MUK, TS 33.246 6.1)."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        d = self.tmp.name
        with open(os.path.join(td.SRC, "data", "lab", "labnet.conf")) as f:
            lab = f.read().replace("#gba-u=false", "gba-u=true").replace("#uicc-mbms=false", "uicc-mbms=true")
        with open(os.path.join(td.SRC, "data", "lab", "soft-usim.conf")) as f:
            usim = f.read() + "services=68,69\n"
        for name, text in (("lab.conf", lab), ("usim.conf", usim)):
            with open(os.path.join(d, name), "w") as f:
                f.write(text)
        self.lab = subprocess.Popen([LABNET, "--config", os.path.join(d, "lab.conf")], stdout=subprocess.PIPE,
                                    stderr=subprocess.DEVNULL, text=True)
        self.bsf = self.lab.stdout.readline().split()[1]
        self.usim = os.path.join(d, "usim.conf")

    def tearDown(self):
        self.lab.terminate()
        self.lab.wait(timeout=10)
        self.lab.stdout.close()
        self.tmp.cleanup()

    def run_through(self, peer, card_arg):
        state = ("/usr/bin/python3 -c 'import socket,os; s=socket.socket(socket.AF_UNIX); "
                 "s.connect(os.environ[\"VUSIM_CONTROL\"]); f=s.makefile(\"rw\"); f.write(\"state\\n\"); "
                 "f.flush(); print(\"STATE \" + f.readline())'")
        cmd = f"{BOOTSTRAP} {card_arg} --gba-u --bsf {self.bsf} --bmsc 127.0.0.1 && {state}"
        r = subprocess.run([*peer, "--", "/bin/sh", "-c", cmd], capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("(GBA_U)", r.stdout)
        btid = re.search(r"B-TID\s+(\S+)", r.stdout).group(1)
        self.assertIn("MUK            Ks_int_NAF, on the card", r.stdout)
        card = json.loads(r.stdout.split("STATE ", 1)[1])
        self.assertEqual(card["gba"]["btid"], btid)  # written into EF_GBABP by mbms-bootstrap
        self.assertEqual(card["gba"]["naf_ids"], [b"127.0.0.1\x01\x00\x00\x00\x01".hex()])

    def test_gba_u_through_pcsc(self):
        self.run_through([DEBIAN_PYTHON, WITH_PCSCD, "--config", self.usim, "--protocol", "t0"], "--pcsc")

    def test_gba_u_through_the_modem(self):
        self.run_through([DEBIAN_PYTHON, WITH_MODEM, f"--card=--config={self.usim}", "--ccho-prefix"],
                         "--at \"$MODEM_TTY\"")


CLASSES = {c.__name__: c for c in (PcscCard, PcscCardT0, AtModem, AtModemQuirky, GbaUThroughTheCard,
                                    UiccKeyManagement, UiccKeyManagementAt, UiccDownload, UiccDownloadAt)}

if __name__ == "__main__":
    # arguments name classes; each runs only the tests of this file (not those inherited)
    chosen = [CLASSES[a] for a in sys.argv[1:]] or list(CLASSES.values())
    names = sorted(n for n in PcscCard.__dict__ if n.startswith("test_"))
    suite = unittest.TestSuite()
    for cls in chosen:
        if cls is GbaUThroughTheCard:
            suite.addTests(unittest.defaultTestLoader.loadTestsFromTestCase(cls))
        elif issubclass(cls, UiccDownload):
            suite.addTests(cls(n) for n in sorted(UiccDownload.__dict__) if n.startswith("test_"))
        elif getattr(cls, "own_tests", False):
            suite.addTests(cls(n) for n in sorted(UiccKeyManagement.__dict__) if n.startswith("test_"))
        else:
            suite.addTests(cls(n) for n in names)
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    sys.exit(0 if result.wasSuccessful() else 1)
