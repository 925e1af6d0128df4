#!/usr/bin/env python3
"""GStreamer as the independent SRTP peer of the bridge: srtpenc (with its mki property) sends a
VP8 stream, a tee sends the same RTP in the clear, and what the bridge forwards must be those
plain packets byte for byte, across a key change. The srtpdec example decodes srtpenc's stream
with keys handed to it the way GetKeys hands them."""
import json, os, shutil, socket, subprocess, tempfile, time, unittest

BUILD = os.environ["MBMS_BUILD_DIR"]
SRC = os.environ["MBMS_SOURCE_DIR"]
TOOL = os.path.join(BUILD, "tests", "srtp-bridge-tool")
EXAMPLE = os.path.join(SRC, "data", "examples", "play-with-srtpdec.py")
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else "python3"
SSRC = 0x11223344


def free_port_pair():
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as a:
            a.bind(("127.0.0.1", 0))
            port = a.getsockname()[1] & ~1
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as a, \
                 socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as b:
                a.bind(("127.0.0.1", port))
                b.bind(("127.0.0.1", port + 1))
                return port
        except OSError:
            continue


def listener(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind(("127.0.0.1", port))
    s.settimeout(0.5)
    return s


def drain(sock):
    packets = {}
    while True:
        try:
            data = sock.recv(4096)
        except socket.timeout:
            return packets
        packets[int.from_bytes(data[2:4], "big")] = data


def has_element(name):
    return shutil.which("gst-inspect-1.0") and subprocess.run(
        ["gst-inspect-1.0", name], capture_output=True).returncode == 0


def sender(key, mki, seq, frames, srtp_port, plain_port=None, live=False):
    """VP8 through rtpvp8pay; the same RTP in the clear to plain_port and through srtpenc."""
    src = (f"videotestsrc num-buffers={frames} pattern=ball is-live={'true' if live else 'false'} ! "
           "video/x-raw,width=160,height=120,framerate=30/1 ! vp8enc deadline=1 ! "
           f"rtpvp8pay ssrc={SSRC} seqnum-offset={seq} pt=96 mtu=1000 ! ")
    enc = (f"srtpenc key={key.hex()} mki={mki.hex()} rtp-cipher=aes-128-icm rtp-auth=hmac-sha1-80 "
           f"rtcp-cipher=aes-128-icm rtcp-auth=hmac-sha1-80 ! udpsink host=127.0.0.1 port={srtp_port} sync=false")
    if plain_port is None:
        pipeline = src + enc
    else:
        pipeline = (src + "tee name=t t. ! queue ! " f"udpsink host=127.0.0.1 port={plain_port} sync=false "
                    "t. ! queue ! " + enc)
    subprocess.run(["gst-launch-1.0", "-q", *pipeline.split()], check=True, timeout=60)


class GstSrtp(unittest.TestCase):
    def setUp(self):
        for element in ("srtpenc", "srtpdec", "vp8enc", "rtpvp8pay"):
            if not has_element(element):
                self.skipTest(f"GStreamer element {element} missing (tools/install-deps installs it)")
        self.procs = []

    def tearDown(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()

    def bridge(self, listen_port, forward_port, keys):
        args = [TOOL, "127.0.0.1", str(listen_port), "127.0.0.1", str(forward_port)]
        args += [f"{mki.hex()}:{key.hex()}" for mki, key in keys]
        p = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        self.procs.append(p)
        self.assertEqual(p.stdout.readline().strip(), "ready")
        return p

    def stop(self, p):
        p.terminate()
        out = p.communicate(timeout=10)[0]
        return json.loads(out)

    def test_srtpenc_through_the_bridge_is_the_plain_stream(self):
        k1, k2 = os.urandom(30), os.urandom(30)
        mki1, mki2 = bytes.fromhex("000100020005"), bytes.fromhex("000100020006")
        srtp_port, plain_port, out_port = free_port_pair(), free_port_pair(), free_port_pair()
        plain, out = listener(plain_port), listener(out_port)
        bridge = self.bridge(srtp_port, out_port, [(mki1, k1), (mki2, k2)])
        # two MTKs in a row (TS 33.246 6.6.2): the second run continues the sequence numbers
        sender(k1, mki1, 1000, 40, srtp_port, plain_port)
        sent = drain(plain)
        sender(k2, mki2, max(sent) + 1, 40, srtp_port, plain_port)
        sent.update(drain(plain))
        got = drain(out)
        counters = self.stop(bridge)
        self.assertGreaterEqual(len(sent), 80)
        self.assertEqual(set(got), set(sent))
        for seq, data in sent.items():
            self.assertEqual(got[seq], data, f"packet {seq} differs")
        self.assertEqual(counters["rtp-ok"], len(sent))
        self.assertEqual(counters["auth-fail"], 0)
        plain.close()
        out.close()

    def test_wrong_key_forwards_nothing(self):
        key, wrong = os.urandom(30), os.urandom(30)
        mki = bytes.fromhex("000100020007")
        srtp_port, out_port = free_port_pair(), free_port_pair()
        out = listener(out_port)
        bridge = self.bridge(srtp_port, out_port, [(mki, wrong)])
        sender(key, mki, 1, 10, srtp_port)
        got = drain(out)
        counters = self.stop(bridge)
        self.assertEqual(got, {})
        self.assertGreaterEqual(counters["auth-fail"], 10)
        self.assertEqual(counters["rtp-ok"], 0)
        out.close()

    def test_srtpdec_example_decodes_with_handed_out_keys(self):
        key, mki = os.urandom(30), bytes.fromhex("0001000200a1")
        port = free_port_pair()
        player = subprocess.Popen([PYTHON, EXAMPLE, "--key", key.hex(), "--mki", mki.hex(), "--port", str(port),
                                   "--frames", "15", "--timeout", "20", "--headless"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.procs.append(player)
        self.assertIn("listening", player.stdout.readline())
        sender(key, mki, 5000, 40, port, live=True)
        out, err = player.communicate(timeout=30)
        self.assertEqual(player.returncode, 0, err)
        self.assertRegex(out, r"decoded (1[5-9]|[2-9]\d) frames")


if __name__ == "__main__":
    unittest.main(verbosity=2)
