#!/usr/bin/env python3
"""Play a protected MBMS stream by decrypting it in GStreamer's srtpdec, with keys from mbmsd.

Most players never see a key: mbmsd's StartStreaming hands them plain RTP and an SDP file.
A player that decrypts itself asks org.mbmsd.Mbmsd1.Session.GetKeys (members of mbmsd's
key group only; everyone else gets org.mbmsd.Mbmsd1.Error.AccessDenied) and answers
srtpdec's request-key signal with the answer, whose fields are named as srtpdec wants them.
When mbmsd signals KeyChanged (a new MTK, TS 33.246 6.6.2), the script clears srtpdec's keys
so that the next packet asks again.

  play-with-srtpdec.py [--session-bus] [--session /org/mbmsd/Mbmsd1/Session/0]
  play-with-srtpdec.py --key HEX --mki HEX --port N [--address A]   (keys by hand, for tests)

Needs python3-gi, gir1.2-gstreamer-1.0 and GStreamer's good and bad plugins.
"""
import argparse, sys

import gi
gi.require_version("Gst", "1.0")
from gi.repository import Gio, GLib, Gst

NAME, ROOT = "org.mbmsd.Mbmsd1", "/org/mbmsd/Mbmsd1"
DECODERS = {"VP8": "rtpvp8depay ! vp8dec", "H264": "rtph264depay ! avdec_h264"}


def caps_from_keys(keys):
    """GetKeys' answer (a{sv}) as the caps srtpdec's request-key wants."""
    fields = [f"srtp-key=(buffer){bytes(keys['srtp-key']).hex()}", f"mki=(buffer){bytes(keys['mki']).hex()}"]
    fields += [f"{k}=(string){keys[k]}" for k in ("srtp-cipher", "srtp-auth", "srtcp-cipher", "srtcp-auth")]
    return Gst.Caps.from_string("application/x-srtp, " + ", ".join(fields))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--session-bus", action="store_true", help="mbmsd runs on the session bus")
    ap.add_argument("--session", default=f"{ROOT}/Session/0", help="the Session object to play")
    ap.add_argument("--key", help="master key || salt in hex (instead of asking mbmsd)")
    ap.add_argument("--mki", help="MKI in hex, with --key")
    ap.add_argument("--address", default="127.0.0.1", help="with --key: where the SRTP arrives")
    ap.add_argument("--port", type=int, help="with --key: the SRTP port")
    ap.add_argument("--codec", default="VP8", choices=sorted(DECODERS))
    ap.add_argument("--headless", action="store_true", help="decode without showing")
    ap.add_argument("--frames", type=int, default=0, help="stop after this many decoded frames")
    ap.add_argument("--timeout", type=float, default=0, help="stop after this many seconds")
    args = ap.parse_args()
    Gst.init(None)

    session = None
    if args.key:
        keys = {"srtp-key": bytes.fromhex(args.key), "mki": bytes.fromhex(args.mki or ""),
                "srtp-cipher": "aes-128-icm", "srtp-auth": "hmac-sha1-80",
                "srtcp-cipher": "aes-128-icm", "srtcp-auth": "hmac-sha1-80"}
        address, port = args.address, args.port
        fetch = lambda: keys
    else:
        bus = Gio.bus_get_sync(Gio.BusType.SESSION if args.session_bus else Gio.BusType.SYSTEM)
        session = Gio.DBusProxy.new_sync(bus, 0, None, NAME, args.session, f"{NAME}.Session")
        address = session.get_cached_property("DestinationAddress").unpack()
        port = session.get_cached_property("DestinationPort").unpack()
        fetch = lambda: session.call_sync("GetKeys", GLib.Variant("(ay)", ([],)), 0, 5000, None).unpack()[0]

    sink = "fakesink name=sink signal-handoffs=true sync=false" if args.headless else "autovideosink name=sink"
    pipeline = Gst.parse_launch(
        f"udpsrc address={address} port={port} "
        f"caps=\"application/x-srtp, media=(string)video, payload=(int)96, clock-rate=(int)90000, "
        f"encoding-name=(string){args.codec}\" ! srtpdec name=dec ! {DECODERS[args.codec]} ! "
        f"videoconvert ! {sink}")
    dec = pipeline.get_by_name("dec")
    dec.connect("request-key", lambda _dec, _ssrc: caps_from_keys(fetch()))
    loop = GLib.MainLoop()
    decoded = [0]

    if session is not None:
        # a new MTK: forget the old key; srtpdec asks again with the next packet
        session.connect("g-signal", lambda _p, _s, name, _a: name == "KeyChanged" and dec.emit("clear-keys"))
    if args.headless:
        def on_frame(*_):
            decoded[0] += 1
            if args.frames and decoded[0] >= args.frames:
                GLib.idle_add(loop.quit)
        pipeline.get_by_name("sink").connect("handoff", on_frame)
    if args.timeout:
        GLib.timeout_add(int(args.timeout * 1000), loop.quit)
    pipeline.get_bus().add_signal_watch()
    pipeline.get_bus().connect("message::error", lambda _b, m: (print(m.parse_error()[0].message, file=sys.stderr),
                                                                 loop.quit()))
    pipeline.set_state(Gst.State.PLAYING)
    print(f"listening on {address}:{port}", flush=True)
    loop.run()
    pipeline.set_state(Gst.State.NULL)
    print(f"decoded {decoded[0]} frames")
    return 0 if not args.frames or decoded[0] >= args.frames else 1


if __name__ == "__main__":
    sys.exit(main())
