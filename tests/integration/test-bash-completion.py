#!/usr/bin/env python3
"""mbmsctl's bash completion as bash runs it: commands, global and per-command options, files
for add-usd and decode-mikey, and nothing (quietly) for SERVICE without a daemon. The service
IDs of a running daemon are completed in test-readme-examples, against the demo."""
import os, shlex, subprocess, tempfile, unittest

SRC = os.environ["MBMS_SOURCE_DIR"]
BUILD = os.environ["MBMS_BUILD_DIR"]
SCRIPT = os.path.join(SRC, "data", "bash-completion", "mbmsctl")


def complete(line, cwd=None, env=None):
    """What bash offers for the last word of line (as typed after `mbmsctl `)."""
    words = line.split(" ")
    quoted = " ".join(shlex.quote(w) for w in words)
    code = (f"source {SCRIPT}\nCOMP_WORDS=(mbmsctl {quoted})\nCOMP_CWORD={len(words)}\n_mbmsctl\n"
            + "printf '%s\\n' \"${COMPREPLY[@]}\"\n")
    r = subprocess.run(["bash", "--norc", "-c", code], capture_output=True, text=True, cwd=cwd, timeout=30,
                       env=env or dict(os.environ, PATH=os.path.join(BUILD, "tools") + ":" + os.environ["PATH"],
                                       DBUS_SYSTEM_BUS_ADDRESS="unix:path=/nonexistent"))
    return [w for w in r.stdout.split("\n") if w], r.stderr


class Completion(unittest.TestCase):
    def test_commands(self):
        words, err = complete("re")
        self.assertEqual(sorted(words), ["register", "request-keys"])
        self.assertEqual(err, "")
        words, _ = complete("")
        self.assertIn("decode-mikey", words)
        self.assertIn("monitor", words)

    def test_global_options_then_command(self):
        self.assertEqual(complete("--s")[0], ["--session-bus"])
        self.assertEqual(complete("--json sh")[0], ["show"])

    def test_command_options(self):
        self.assertEqual(sorted(complete("decode-mikey --m")[0]), ["--msk", "--muk"])
        self.assertEqual(complete("show --h")[0], ["--help"])

    def test_files(self):
        with tempfile.TemporaryDirectory() as d:
            open(os.path.join(d, "news.usd.xml"), "w").close()
            self.assertEqual(complete("add-usd ne", cwd=d)[0], ["news.usd.xml"])
            self.assertEqual(complete("decode-mikey --muk 00 ne", cwd=d)[0], ["news.usd.xml"])

    def test_service_without_a_daemon_is_quiet(self):
        words, err = complete("show ")
        self.assertEqual(words, [])
        self.assertEqual(err, "")


if __name__ == "__main__":
    unittest.main()
