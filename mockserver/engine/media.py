"""Media references: what an output URL points at, signed, with no per-job storage.

An output URL carries a short signed token holding the image's size, format,
variant, index and expiry. Serving it needs no lookup, so media outlives the
job record (as Segmind's output files do) without memory growing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import struct
from dataclasses import dataclass

FORMATS = ("jpeg", "png", "webp")
MIME_TYPES = {"jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp"}

_PACK = struct.Struct(">BHHBIB")
_MAC_BYTES = 8


@dataclass(frozen=True, slots=True)
class MediaRef:
    job_id: str
    index: int
    width: int
    height: int
    format: str
    variant: int
    expires_at: int

    @property
    def mime_type(self) -> str:
        return MIME_TYPES[self.format]


class MediaSigner:
    """Makes and checks output-URL tokens under one emulator's secret."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def token(self, ref: MediaRef) -> str:
        packed = _PACK.pack(
            FORMATS.index(ref.format),
            ref.width,
            ref.height,
            ref.index,
            min(ref.expires_at, 2**32 - 1),
            ref.variant % 256,
        )
        raw = packed + self._mac(ref.job_id, packed)
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")

    def parse(self, job_id: str, token: str) -> MediaRef | None:
        """The reference a token names, or None when it is not one of ours."""
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (binascii.Error, ValueError):
            return None
        if len(raw) != _PACK.size + _MAC_BYTES:
            return None
        packed, mac = raw[: _PACK.size], raw[_PACK.size :]
        if not hmac.compare_digest(mac, self._mac(job_id, packed)):
            return None
        fmt, width, height, index, expires_at, variant = _PACK.unpack(packed)
        if fmt >= len(FORMATS):
            return None
        return MediaRef(job_id, index, width, height, FORMATS[fmt], variant, expires_at)

    def _mac(self, job_id: str, packed: bytes) -> bytes:
        digest = hmac.new(self._secret, job_id.encode() + b"|" + packed, hashlib.sha256)
        return digest.digest()[:_MAC_BYTES]
