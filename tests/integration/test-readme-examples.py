#!/usr/bin/env python3
"""The README's examples as a newcomer runs them, against the demo, while a second demo runs
beside it (issue 14 items 7 and 8): every ```sh block of the README outside the two that set
up a machine is run line by line with the two variables the demo prints, and must succeed;
both demos must end with a working chain, so no two runs share an address or a port, nor a
download directory: each shows the lab's protected download session (every file verified and
as sent, the forged one refused, one opened through Service.OpenFile). The completion of
service IDs is checked against the same running daemon."""
import json, os, re, shlex, subprocess, sys, tempfile, threading, time, unittest

SRC = os.environ["MBMS_SOURCE_DIR"]
BUILD = os.environ["MBMS_BUILD_DIR"]
README = os.path.join(SRC, "README.md")
# sections whose sh blocks set up a machine or a build: run by CI itself, not here
NOT_HERE = {"", "Building by hand"}


def readme_blocks():
    """(section heading, [command lines]) for each ```sh block."""
    section, blocks, block = "", [], None
    for line in open(README):
        if block is None and line.startswith("## "):
            section = line[3:].strip()
        elif block is None and line.strip() == "```sh":
            block = []
        elif block is not None and line.strip() == "```":
            blocks.append((section, block))
            block = None
        elif block is not None and line.strip():
            block.append(line.rstrip("\n"))
    return blocks


class Demo:
    def __init__(self, keep):
        args = [os.path.join(SRC, "tools", "demo"), "--seconds", "8", "--build-dir", BUILD] + (["--keep"] if keep else [])
        env = dict(os.environ)
        for k in ("DBUS_SESSION_BUS_ADDRESS", "DBUS_SYSTEM_BUS_ADDRESS", "MBMSCTL_BUS", "G_MESSAGES_DEBUG"):
            env.pop(k, None)
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, cwd=SRC, env=env)
        self.lines = []
        self.export = None
        self.ready = threading.Event()
        threading.Thread(target=self.read, daemon=True).start()

    def read(self):
        for line in self.proc.stdout:
            self.lines.append(line)
            m = re.match(r"\s+export (DBUS_SYSTEM_BUS_ADDRESS=\S+) PATH=(\S+):\$PATH$", line)
            if m and "Enter stops" in "".join(self.lines[-4:]):
                self.export = (m.group(1).split("=", 1)[1], m.group(2))
                self.ready.set()
        self.ready.set()

    def output(self):
        return "".join(self.lines)


def assert_download_shown(test, out):
    """The demo's protected download (TS 33.246 6.6.3): files arriving, the forged one refused,
    one opened through Service.OpenFile and identical to what the lab sent, a summary row."""
    for name in ("news/bulletin.txt", "clips/clip.bin", "updates/firmware.bin"):
        test.assertRegex(out, rf"FileReceived  {re.escape(name)} +\d+ octets  verified\n", out)
    test.assertRegex(out, r"FileReceived  news/digest.txt +\d+ octets  verified \(sent gzip-encoded\)\n", out)
    test.assertRegex(out, r"news/forged.txt +signature made wrong by the lab: refused, not in the download directory")
    test.assertRegex(out, r"mbmsctl downloads: 4 delivered, 1 refused, 0 held")
    test.assertRegex(out, r"Service.OpenFile news/bulletin.txt: \"news/bulletin.txt line 0: ")
    test.assertRegex(out, r"SHA-256 ([0-9a-f]{32})\.\.\. received, \1\.\.\. sent by the lab: identical")
    test.assertRegex(out, r"download \(DCF\) +4 of 4 +files verified and as sent, 1 refused \(bad signature\), "
                          r"opened news/bulletin.txt")


class ReadmeExamples(unittest.TestCase):
    def test_every_readme_example_runs_against_the_demo_beside_another_demo(self):
        blocks = [(s, b) for s, b in readme_blocks() if s not in NOT_HERE]
        self.assertTrue(any(s == "The daemon and its D-Bus API" for s, _ in blocks), "the README lost its D-Bus examples")
        self.assertTrue(any(s == "Field debugging" for s, _ in blocks))
        kept, other = Demo(keep=True), Demo(keep=False)
        try:
            self.assertTrue(kept.ready.wait(120), kept.output())
            self.assertIsNotNone(kept.export, kept.output())
            bus, path = kept.export
            env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=bus, PATH=path + ":" + os.environ["PATH"])
            for k in ("DBUS_SESSION_BUS_ADDRESS", "MBMSCTL_BUS", "G_MESSAGES_DEBUG"):
                env.pop(k, None)
            for section, lines in blocks:
                for line in lines:
                    command = line.split("  #")[0].strip()
                    long_running = re.search(r"\bmbmsctl( --json)? monitor\b", command) is not None
                    run = ["timeout", "3", "bash", "-c", command] if long_running else ["bash", "-c", command]
                    r = subprocess.run(run, capture_output=True, text=True, cwd=SRC, env=env, timeout=60)
                    if long_running:
                        # runs until stopped; said what the daemon did in the meantime
                        self.assertEqual(r.returncode, 124, f"{section}: {command}: {r.stderr}")
                        self.assertRegex(r.stdout, r"\d\d:\d\d:\d\d ", f"{section}: {command}")
                    else:
                        self.assertEqual(r.returncode, 0, f"{section}: {command}:\n{r.stdout}\n{r.stderr}")
                        self.assertTrue(r.stdout.strip(), f"{section}: {command} printed nothing")
            # monitor in plain words, and one JSON object per line for machines (MTKs every 3 s)
            mon = subprocess.run(["timeout", "4", "mbmsctl", "monitor"], capture_output=True, text=True, env=env)
            self.assertRegex(mon.stdout, r"urn:mbmsd:lab:service:news: new key, MSK ID 0x00010001, MTK ID \d+")
            self.assertRegex(mon.stdout, r"urn:mbmsd:lab:service:news: \d+ decrypted")
            self.assertNotIn("PropertiesChanged", mon.stdout)
            mon = subprocess.run(["timeout", "4", "mbmsctl", "--json", "monitor"], capture_output=True, text=True,
                                 env=env)
            events = [json.loads(line) for line in mon.stdout.splitlines()]
            keys = [e for e in events if e["event"] == "key-changed" and e["service"] == "urn:mbmsd:lab:service:news"]
            self.assertTrue(keys, mon.stdout)
            self.assertRegex(keys[0]["mki"], r"^00010001[0-9a-f]{4}$")
            self.assertTrue(any(e["event"] == "counters" and e.get("decrypted", 0) > 0 for e in events), mon.stdout)
            # bash completes the running daemon's service IDs
            code = (f"source {shlex.quote(os.path.join(SRC, 'data', 'bash-completion', 'mbmsctl'))}\n"
                    "COMP_WORDS=(mbmsctl show urn:); COMP_CWORD=2; _mbmsctl; printf '%s\\n' \"${COMPREPLY[@]}\"\n")
            r = subprocess.run(["bash", "--norc", "-c", code], capture_output=True, text=True, env=env, timeout=30)
            self.assertEqual(sorted(r.stdout.split()), ["urn:mbmsd:lab:service:news", "urn:mbmsd:lab:service:podcasts"],
                             r.stderr)
            self.assertEqual(other.proc.wait(timeout=120), 0, other.output())
            self.assertIn("the chain works", other.output())
            assert_download_shown(self, other.output())
        finally:
            try:
                kept.proc.stdin.write("\n")
                kept.proc.stdin.flush()
            except BrokenPipeError:
                pass
            rc = kept.proc.wait(timeout=60)
            if other.proc.poll() is None:
                other.proc.kill()
        self.assertEqual(rc, 0, kept.output())
        self.assertIn("the chain works", kept.output())
        assert_download_shown(self, kept.output())


if __name__ == "__main__":
    unittest.main()
