"""MBMS security context (USIM service n°69), TS 31.102 7.1.1.6-7.1.1.10 / 7.1.2.5 with MGV-F
per TS 33.246 Annex D. Not written yet: every mode answers 'function not supported'."""
from apdu import ApduError, SW_FUNCTION_NOT_SUPPORTED


class MbmsContext:
    def __init__(self, card):
        self.card = card

    def process(self, payload: bytes) -> bytes:
        raise ApduError(SW_FUNCTION_NOT_SUPPORTED, "MBMS security context not implemented yet")
