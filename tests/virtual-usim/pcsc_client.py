"""A small PC/SC client over ctypes and Debian's libpcsclite (pcsc-lite's winscard API), for
the peers' own tests. Independent of mbmsd's pcsc backend."""
import ctypes
import ctypes.util
import time

SCARD_SCOPE_SYSTEM = 2
SCARD_SHARE_SHARED = 2
SCARD_PROTOCOL_T0, SCARD_PROTOCOL_T1 = 1, 2
SCARD_LEAVE_CARD, SCARD_RESET_CARD = 0, 1
SCARD_STATE_PRESENT = 0x20
SCARD_STATE_EMPTY = 0x10
SCARD_E_TIMEOUT = 0x8010000A
SCARD_W_REMOVED_CARD = 0x80100069
SCARD_W_RESET_CARD = 0x80100068
SCARD_E_NO_SMARTCARD = 0x8010000C

DWORD = ctypes.c_ulong      # pcsc-lite: DWORD is unsigned long, LONG is long
LONG = ctypes.c_long


class SCARD_IO_REQUEST(ctypes.Structure):
    _fields_ = [("dwProtocol", DWORD), ("cbPciLength", DWORD)]


class SCARD_READERSTATE(ctypes.Structure):
    _fields_ = [("szReader", ctypes.c_char_p), ("pvUserData", ctypes.c_void_p),
                ("dwCurrentState", DWORD), ("dwEventState", DWORD), ("cbAtr", DWORD),
                ("rgbAtr", ctypes.c_ubyte * 33)]


_lib = ctypes.CDLL(ctypes.util.find_library("pcsclite") or "libpcsclite.so.1")
_lib.SCardEstablishContext.argtypes = [DWORD, ctypes.c_void_p, ctypes.c_void_p, ctypes.POINTER(LONG)]
_lib.SCardListReaders.argtypes = [LONG, ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(DWORD)]
_lib.SCardConnect.argtypes = [LONG, ctypes.c_char_p, DWORD, DWORD, ctypes.POINTER(LONG), ctypes.POINTER(DWORD)]
_lib.SCardTransmit.argtypes = [LONG, ctypes.POINTER(SCARD_IO_REQUEST), ctypes.c_char_p, DWORD,
                               ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(DWORD)]
_lib.SCardDisconnect.argtypes = [LONG, DWORD]
_lib.SCardReconnect.argtypes = [LONG, DWORD, DWORD, DWORD, ctypes.POINTER(DWORD)]
_lib.SCardGetStatusChange.argtypes = [LONG, DWORD, ctypes.POINTER(SCARD_READERSTATE), DWORD]
_lib.SCardReleaseContext.argtypes = [LONG]
for _f in ("SCardEstablishContext", "SCardListReaders", "SCardConnect", "SCardTransmit",
           "SCardDisconnect", "SCardReconnect", "SCardGetStatusChange", "SCardReleaseContext"):
    getattr(_lib, _f).restype = LONG


class PcscError(Exception):
    def __init__(self, what, rv):
        super().__init__(f"{what}: 0x{rv & 0xFFFFFFFF:08X}")
        self.rv = rv & 0xFFFFFFFF


def _check(what, rv):
    if rv != 0:
        raise PcscError(what, rv)


class Context:
    def __init__(self):
        self.h = LONG()
        _check("SCardEstablishContext", _lib.SCardEstablishContext(SCARD_SCOPE_SYSTEM, None, None, ctypes.byref(self.h)))

    def close(self):
        _lib.SCardReleaseContext(self.h)

    def readers(self):
        n = DWORD()
        rv = _lib.SCardListReaders(self.h, None, None, ctypes.byref(n))
        if rv & 0xFFFFFFFF == 0x8010002E:   # SCARD_E_NO_READERS_AVAILABLE
            return []
        _check("SCardListReaders", rv)
        buf = ctypes.create_string_buffer(n.value)
        _check("SCardListReaders", _lib.SCardListReaders(self.h, None, buf, ctypes.byref(n)))
        return [r.decode() for r in buf.raw[:n.value].split(b"\0") if r]

    def wait_state(self, reader, present, timeout=10.0):
        """Waits until the reader shows a card (present=True) or none; True when it did."""
        deadline = time.monotonic() + timeout
        st = SCARD_READERSTATE()
        st.szReader = reader.encode()
        st.dwCurrentState = 0
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            rv = _lib.SCardGetStatusChange(self.h, int(min(left, 1.0) * 1000), ctypes.byref(st), 1)
            if rv != 0 and rv & 0xFFFFFFFF != SCARD_E_TIMEOUT:
                raise PcscError("SCardGetStatusChange", rv)
            if bool(st.dwEventState & SCARD_STATE_PRESENT) == present:
                return True
            st.dwCurrentState = st.dwEventState & ~0x2   # clear SCARD_STATE_CHANGED


class Card:
    def __init__(self, ctx, reader, protocols=SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1):
        self.h = LONG()
        self.proto = DWORD()
        _check("SCardConnect", _lib.SCardConnect(ctx.h, reader.encode(), SCARD_SHARE_SHARED, protocols,
                                                 ctypes.byref(self.h), ctypes.byref(self.proto)))

    @property
    def protocol(self):
        return {SCARD_PROTOCOL_T0: "t0", SCARD_PROTOCOL_T1: "t1"}.get(self.proto.value, "?")

    def transmit(self, apdu: bytes) -> bytes:
        pci = SCARD_IO_REQUEST(self.proto.value, ctypes.sizeof(SCARD_IO_REQUEST))
        out = ctypes.create_string_buffer(258 + 65536)
        n = DWORD(len(out))
        _check("SCardTransmit", _lib.SCardTransmit(self.h, ctypes.byref(pci), apdu, len(apdu), None, out, ctypes.byref(n)))
        if n.value < 2:
            # vpcd answers a transmit that lost its card with no bytes at all
            raise PcscError("SCardTransmit: no status word", SCARD_W_REMOVED_CARD)
        return out.raw[:n.value]

    def reconnect(self, reset=False):
        _check("SCardReconnect", _lib.SCardReconnect(self.h, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
                                                     SCARD_RESET_CARD if reset else SCARD_LEAVE_CARD, ctypes.byref(self.proto)))

    def close(self, reset=False):
        _lib.SCardDisconnect(self.h, SCARD_RESET_CARD if reset else SCARD_LEAVE_CARD)


def split_sw(rapdu: bytes):
    return rapdu[:-2], int.from_bytes(rapdu[-2:], "big")


def transceive(card, apdu: bytes):
    """One command with the T=0 rules a terminal follows (ISO/IEC 7816-3 10.3): 61xx -> GET
    RESPONSE, 6Cxx -> resend with Le = xx. Returns (data, sw)."""
    data, sw = split_sw(card.transmit(apdu))
    if sw >> 8 == 0x6C:
        data, sw = split_sw(card.transmit(apdu[:4] + bytes([sw & 0xFF]) if len(apdu) <= 5
                                          else apdu[:-1] + bytes([sw & 0xFF])))
    acc = data
    cla = apdu[0] & 0x03 if not apdu[0] & 0x40 else apdu[0] & 0x4F
    while sw >> 8 == 0x61:
        more, sw = split_sw(card.transmit(bytes([cla, 0xC0, 0x00, 0x00, sw & 0xFF])))
        if sw >> 8 == 0x6C:
            more, sw = split_sw(card.transmit(bytes([cla, 0xC0, 0x00, 0x00, sw & 0xFF])))
        acc += more
    return acc, sw
