#!/usr/bin/env python3
"""Service descriptions are the source of truth (issue 14 item 2): SIGHUP and
AddServiceDescription apply edits of known service IDs (names, sessions, key groups), a
description that is gone deregisters its service and removes its objects, a bundle naming one
ID twice is refused, and a second bundle with a known ID applies. The daemon, the lab network
and the bus are test-daemon.py's fixture; only D-Bus (gdbus) and signals reach the daemon."""
import importlib.util, os, re, signal, subprocess, time, unittest

_spec = importlib.util.spec_from_file_location("daemon_fixture",
                                               os.path.join(os.path.dirname(__file__), "test-daemon.py"))
fx = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fx)
SERVICE, NAME, ROOT, USD_NS = fx.SERVICE, fx.NAME, fx.ROOT, fx.USD_NS
wait_for = fx.wait_for


class Fixture(fx.Daemon):
    """test-daemon.py's set-up without its tests."""


for _name in [n for n in dir(fx.Daemon) if n.startswith("test_")]:
    setattr(Fixture, _name, None)


def bundle(*services):
    """A bundle of (service_id, name, delivery) descriptions (TS 26.346 11.2.1.1)."""
    body = "".join(f'<userServiceDescription serviceId="{sid}"><name lang="en">{name}</name>{delivery}'
                   '</userServiceDescription>' for sid, name, delivery in services)
    return f'<bundleDescription xmlns="{USD_NS}">{body}</bundleDescription>'


DELIVERY = '<deliveryMethod sessionDescriptionURI="news.sdp" protectionDescriptionURI="news.prot.xml"/>'


def security_description(server, flow, msk_id_b64="AAEAAA=="):
    return (f'<securityDescription xmlns="{fx.SEC_NS}"><keyManagement uiccKeyManagement="false">'
            f'<serverURI>{server}</serverURI></keyManagement><keyId><mediaFlow flowID="{flow}"><MSK>'
            f'<keyDomainID>APEQ</keyDomainID><MSKID>{msk_id_b64}</MSKID></MSK></mediaFlow></keyId>'
            '</securityDescription>')


class UsdUpdates(Fixture):
    def hangup(self, daemon):
        daemon.send_signal(signal.SIGHUP)

    def strings(self, path, iface, name):
        return re.findall(r"'([^']*)'", self.prop(path, iface, name))

    def exists(self, path):
        r = self.gdbus("call", "--object-path", path, "--method", "org.freedesktop.DBus.Properties.GetAll",
                       f"{NAME}.{'Session' if '/Session/' in path else 'Service'}", check=False)
        return r.returncode == 0

    def services(self):
        return re.findall(r"'(/[^']*)'", self.prop(ROOT, "Manager", "Services"))

    def add(self, path, check=True):
        return self.gdbus("call", "--object-path", ROOT, "--method", f"{NAME}.Manager.AddServiceDescription", path,
                          check=check)

    def registered(self):
        self.gdbus("call", "--object-path", f"{ROOT}/Service/0", "--method", f"{NAME}.Service.Register")
        wait_for(lambda: self.state() == "receiving", what="keys and MTKs")

    def test_edited_name_applied_on_sighup(self):
        daemon = self.start()
        self.assertEqual(self.strings(f"{ROOT}/Service/0", "Service", "Names"), ["News"])
        self.write("usd/news.usd.xml", bundle((SERVICE, "News at Ten", DELIVERY)))
        self.hangup(daemon)
        wait_for(lambda: self.strings(f"{ROOT}/Service/0", "Service", "Names") == ["News at Ten"],
                 what="the edited name")
        self.assertEqual(self.services(), [f"{ROOT}/Service/0"])  # the same object, no second one

    def test_new_session_appears_old_one_vanishes_while_streaming(self):
        daemon = self.start()
        monitor = subprocess.Popen(["gdbus", "monitor", "--session", "--dest", NAME], env=self.env,
                                   stdout=subprocess.PIPE, text=True)
        self.procs.append(monitor)
        holder, uri = self.player()
        wait_for(lambda: self.stream_state() in ("waiting-for-keys", "streaming"), what="streaming asked for")
        self.assertTrue(self.exists(f"{ROOT}/Session/0"))
        moved = self.group.rsplit(".", 1)[0] + "." + str((int(self.group.rsplit(".", 1)[1]) + 1) % 250 + 2)
        self.write("usd/news.sdp", f"v=0\nc=IN IP4 {moved}\nm=video 5006 RTP/SAVP 96\na=rtpmap:96 VP8/90000\n")
        self.write("usd/news.prot.xml", security_description(self.uri, f"{moved}/5006"))
        self.hangup(daemon)
        wait_for(lambda: not self.exists(f"{ROOT}/Session/0"), what="the old session to vanish")
        self.assertTrue(self.exists(f"{ROOT}/Session/1"))
        self.assertIn(moved, self.prop(f"{ROOT}/Session/1", "Session", "DestinationAddress"))
        self.assertIn("uint16 5006", self.prop(f"{ROOT}/Session/1", "Session", "DestinationPort"))
        self.assertEqual(re.findall(r"'(/[^']*)'", self.prop(f"{ROOT}/Service/0", "Service", "Sessions")),
                         [f"{ROOT}/Session/1"])
        # the holder hears why, and the playback SDP names the new session's forward port
        monitor.terminate()
        out = monitor.communicate(timeout=10)[0]
        self.assertRegex(out, r"StreamStateChanged \('(streaming|waiting-for-keys)', 'description-changed'\)")
        with open(uri[len("file://"):]) as f:
            self.assertIn(f"m=video {self.forward_base + 2}", f.read())
        holder.stdin.close()

    def test_changed_key_group_updates_objects_and_asks_for_its_msk(self):
        daemon = self.start()
        self.registered()
        requests = self.lab_log().count("MSK request from")
        self.write("usd/news.prot.xml", security_description(self.uri, f"{self.group}/5004", "AAIAAA=="))
        self.hangup(daemon)
        wait_for(lambda: "uint16 2" in self.prop(f"{ROOT}/Service/0", "Service", "KeyGroups"), what="key group 2")
        self.assertNotIn("uint16 1,", self.prop(f"{ROOT}/Service/0", "Service", "KeyGroups"))
        wait_for(lambda: self.exists(f"{ROOT}/Session/1"), what="the session under key group 2")
        self.assertFalse(self.exists(f"{ROOT}/Session/0"))
        self.assertIn("uint16 2", self.prop(f"{ROOT}/Session/1", "Session", "KeyGroup"))
        # 6.3.2.2.1: the new group's MSK is requested from the BM-SC (which carries only group 1)
        wait_for(lambda: self.lab_log().count("MSK request from") > requests, what="an MSK request for group 2")

    def test_bmsc_no_longer_announced_is_left_for_an_announced_one(self):
        daemon = self.start()
        self.registered()
        self.assertIn(self.uri, self.prop(f"{ROOT}/Service/0", "Service", "KeyManagementServer"))
        registered = f"registered {SERVICE}"
        self.assertEqual(self.lab_log().count(registered) - self.lab_log().count("de" + registered), 1)
        # another serverURI (the lab answers under both): 6.3.2.1A keeps a BM-SC only while announced
        other = self.uri + "/"
        self.write("usd/news.prot.xml", security_description(other, f"{self.group}/5004"))
        self.hangup(daemon)
        wait_for(lambda: f"'{other}'" in self.prop(f"{ROOT}/Service/0", "Service", "KeyManagementServer"),
                 what="the announced BM-SC")
        wait_for(lambda: self.lab_log().count("de" + registered) == 1, what="deregistration at the old BM-SC")
        wait_for(lambda: self.lab_log().count(registered) - self.lab_log().count("de" + registered) == 2,
                 what="registration at the new one")
        wait_for(lambda: self.state() == "receiving", what="keys again")

    def test_deleted_description_deregisters_and_removes_the_objects(self):
        daemon = self.start()
        self.registered()
        os.unlink(os.path.join(self.dir, "usd", "news.usd.xml"))
        self.hangup(daemon)
        wait_for(lambda: f"deregistered {SERVICE}" in self.lab_log(), what="deregistration at the BM-SC")
        wait_for(lambda: self.services() == [], what="the service to leave Manager.Services")
        self.assertFalse(self.exists(f"{ROOT}/Service/0"))
        self.assertFalse(self.exists(f"{ROOT}/Session/0"))
        # the intent is gone too: a restart registers nothing
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=15)
        registrations = self.lab_log().count(f"registered {SERVICE}")
        self.write("usd/news.usd.xml", bundle((SERVICE, "News", DELIVERY)))
        self.start()
        time.sleep(1)  # give a restore the time it would take; there must be none
        self.assertEqual(self.lab_log().count(f"registered {SERVICE}"), registrations)
        self.assertEqual(self.state(), "discovered")

    def test_duplicate_ids_in_one_bundle_are_refused(self):
        self.start()
        before = self.services()
        self.write("usd/twice.xml", bundle((SERVICE, "One", DELIVERY), (SERVICE, "Two", DELIVERY)))
        r = self.add(os.path.join(self.dir, "usd", "twice.xml"), check=False)
        self.assertIn("org.mbmsd.Mbmsd1.Error.InvalidDescription", r.stderr)
        self.assertIn(SERVICE, r.stderr)
        self.assertIn("twice", r.stderr)
        self.assertEqual(self.services(), before)
        self.assertEqual(self.strings(f"{ROOT}/Service/0", "Service", "Names"), ["News"])

    def test_second_bundle_with_a_known_id_applies_and_wins(self):
        daemon = self.start()
        other = "urn:mbmsd:test:weather"
        os.makedirs(os.path.join(self.dir, "more"))
        for name in ("news.sdp", "news.prot.xml"):
            with open(os.path.join(self.dir, "usd", name)) as f:
                self.write(f"more/{name}", f.read())
        second = os.path.join(self.dir, "more", "second.usd.xml")
        self.write("more/second.usd.xml", bundle((SERVICE, "News (second)", DELIVERY), (other, "Weather", DELIVERY)))
        out = self.mbmsctl("add-usd", second)  # as a user adds one
        self.assertIn(f"{ROOT}/Service/0", out.split())  # the known ID keeps its object
        self.assertEqual(self.strings(f"{ROOT}/Service/0", "Service", "Names"), ["News (second)"])
        self.assertEqual(len(self.services()), 2)
        # SIGHUP reads both again: the bundle added last still holds (docs/interpretations.md)
        self.hangup(daemon)
        time.sleep(0.5)
        self.gdbus("call", "--object-path", ROOT, "--method", f"{NAME}.Manager.Rescan")
        self.assertEqual(self.strings(f"{ROOT}/Service/0", "Service", "Names"), ["News (second)"])
        # the second bundle again, without the other ID: the service only it described is gone
        self.write("more/second.usd.xml", bundle((SERVICE, "News (second)", DELIVERY)))
        self.add(second)
        wait_for(lambda: self.services() == [f"{ROOT}/Service/0"], what="the service the bundle dropped to go")
        self.assertFalse(self.exists(f"{ROOT}/Service/1"))
        # and without the known one: the directory's bundle still describes it, and holds again
        self.write("more/second.usd.xml", bundle((other, "Weather", DELIVERY)))
        self.add(second)
        wait_for(lambda: self.strings(f"{ROOT}/Service/0", "Service", "Names") == ["News"], what="the directory's name")

if __name__ == "__main__":
    unittest.main(verbosity=2)
