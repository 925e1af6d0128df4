"""Command APDU parsing (ISO/IEC 7816-4 short form, as ETSI TS 102 221 clause 10.1 uses it) and
the status words the card answers with. Every command is hostile: bad framing is an error SW,
never an exception that reaches the transport."""

# Status words (ETSI TS 102 221 10.2.1, TS 31.102 7.3)
SW_OK = 0x9000
SW_WRONG_LENGTH = 0x6700
SW_CLA_NOT_SUPPORTED = 0x6E00
SW_INS_NOT_SUPPORTED = 0x6D00
SW_WRONG_P1P2 = 0x6B00
SW_INCORRECT_P1P2 = 0x6A86
SW_WRONG_DATA = 0x6A80
SW_FILE_NOT_FOUND = 0x6A82
SW_RECORD_NOT_FOUND = 0x6A83
SW_REF_DATA_NOT_FOUND = 0x6A88
SW_SECURITY_STATUS = 0x6982
SW_PIN_BLOCKED = 0x6983
SW_CONDITIONS_OF_USE = 0x6985
SW_NO_EF_SELECTED = 0x6986
SW_FUNCTION_NOT_SUPPORTED = 0x6A81
SW_CHANNEL_NOT_SUPPORTED = 0x6881
SW_AUTH_MAC = 0x9862          # authentication error, incorrect MAC
SW_KEY_FRESHNESS = 0x9865     # key freshness failure
SW_NO_MEMORY_MSK = 0x9866     # authentication error, no memory space available (EF_MSK)
SW_NO_MEMORY_MUK = 0x9867     # authentication error, no memory space available in EF_MUK
SW_RESPONSE_DATA_AVAILABLE = 0x62F3   # ODD INS: authentication response data available
SW_MORE_DATA = 0x62F1                 # ODD INS: more response data available
SW_OFFSET_OUT_OF_FILE = 0x6B00


class ApduError(Exception):
    def __init__(self, sw: int, why: str = ""):
        super().__init__(f"{sw:04X} {why}")
        self.sw = sw


class Command:
    """A short command APDU. case: 1 (no data, no Le), 2 (Le), 3 (data), 4 (data and Le)."""

    __slots__ = ("cla", "ins", "p1", "p2", "data", "le", "case")

    def __init__(self, raw: bytes):
        if len(raw) < 4:
            raise ApduError(SW_WRONG_LENGTH, "shorter than a header")
        self.cla, self.ins, self.p1, self.p2 = raw[0], raw[1], raw[2], raw[3]
        body = raw[4:]
        self.data = b""
        self.le = None
        if len(body) == 0:
            self.case = 1
        elif len(body) == 1:
            self.case = 2
            self.le = body[0] or 256
        else:
            lc = body[0]
            if lc == 0:
                # extended length (or a malformed short APDU): this card speaks short APDUs only
                raise ApduError(SW_WRONG_LENGTH, "extended length not supported")
            if len(body) == 1 + lc:
                self.case = 3
            elif len(body) == 2 + lc:
                self.case = 4
                self.le = body[-1] or 256
            else:
                raise ApduError(SW_WRONG_LENGTH, "Lc does not match the data")
            self.data = bytes(body[1:1 + lc])

    @property
    def channel(self) -> int:
        """Logical channel from CLA (ETSI TS 102 221 10.1.1): b7 = 0: b1-b2; b7 = 1: 4 + b1-b4."""
        if self.cla & 0x40:
            return 4 + (self.cla & 0x0F)
        return self.cla & 0x03

    def __repr__(self):
        return f"{self.cla:02X}{self.ins:02X}{self.p1:02X}{self.p2:02X} case {self.case} Lc {len(self.data)} Le {self.le}"


def sw_bytes(sw: int) -> bytes:
    return bytes([sw >> 8, sw & 0xFF])


def tlv(tag: int, value: bytes) -> bytes:
    """BER-TLV with a one-octet tag and a definite length (ISO/IEC 8825-1), as TS 31.101 uses."""
    n = len(value)
    if n < 0x80:
        length = bytes([n])
    elif n < 0x100:
        length = bytes([0x81, n])
    elif n < 0x10000:
        length = bytes([0x82, n >> 8, n & 0xFF])
    else:
        length = bytes([0x83, n >> 16, (n >> 8) & 0xFF, n & 0xFF])
    return bytes([tag]) + length + value


def parse_ber_length(buf: bytes, pos: int):
    """Returns (length, position after the length octets) or raises ApduError."""
    if pos >= len(buf):
        raise ApduError(SW_WRONG_DATA, "TLV truncated")
    first = buf[pos]
    if first < 0x80:
        return first, pos + 1
    n = first & 0x7F
    if n == 0 or n > 3 or pos + 1 + n > len(buf):
        raise ApduError(SW_WRONG_DATA, "bad BER length")
    return int.from_bytes(buf[pos + 1:pos + 1 + n], "big"), pos + 1 + n
