"""Media: what an output URL points at, signed, and which jobs still have media.

An output URL carries a short token holding the image's size, format,
variant, index and expiry, signed with a secret that is random per process
unless `media_secret` is set (the seed reproduces pixels, never the secret, so
a URL cannot be forged from what `/__mock/health` shows). Serving it needs no
job record, so media outlives the record as Segmind's output files do, and
nothing is held per job: only the emulator can mint a token, its expiry is in
it, and each reset signs with a key of its own, so a token for media that was
reset away or has expired answers not-found.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import struct
from collections.abc import Iterable
from typing import TYPE_CHECKING

from contracts.record import record
from mockserver.engine.imaging import ImageFactory

if TYPE_CHECKING:
    from mockserver.engine.jobs import MediaPlan

FORMATS = ("jpeg", "png", "webp")
MIME_TYPES = {"jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp"}

_PACK = struct.Struct(">BHHBIB")
_MAC_BYTES = 8


@record(slots=True)
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

    def __init__(self, secret: bytes, sizes: Iterable[tuple[int, int]] | None = None) -> None:
        self._secret = secret
        self._sizes = None if sizes is None else frozenset(sizes)

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
        if fmt >= len(FORMATS) or (self._sizes is not None and (width, height) not in self._sizes):
            return None
        return MediaRef(job_id, index, width, height, FORMATS[fmt], variant, expires_at)

    def _mac(self, job_id: str, packed: bytes) -> bytes:
        # One call into OpenSSL: `hmac.new(...).digest()` builds a Python object around it.
        digest = hmac.digest(self._secret, job_id.encode() + b"|" + packed, hashlib.sha256)
        return digest[:_MAC_BYTES]


def signing_key(configured: str | None, shared: bytes | None) -> bytes:
    """The key media URLs are signed with: the configured one; else the one every
    process sharing a state verifies with; else random, so that knowing the seed never
    lets anyone forge a media URL."""
    if configured:
        return configured.encode()
    return shared if shared is not None else secrets.token_bytes(32)


class MediaDesk:
    """Output media for one emulator (one reset): tokens and the bytes."""

    def __init__(
        self,
        secret: bytes,
        sizes: Iterable[tuple[int, int]],
        images: ImageFactory | None = None,
        *,
        epoch: int = 0,
    ) -> None:
        if epoch:  # after a reset: URLs from before it no longer verify
            secret = hmac.new(secret, b"epoch %d" % epoch, hashlib.sha256).digest()
        self.signer = MediaSigner(secret, sizes)
        # Rendered looks depend on nothing per run: a reset keeps them.
        self.images = images or ImageFactory()

    def refs(self, job_id: str, plan: MediaPlan, expires_at: float) -> list[MediaRef]:
        """The references to a job's images: `plan.count` of one look."""
        look = (plan.width, plan.height, plan.format, plan.variant)
        return [MediaRef(job_id, index, *look, int(expires_at)) for index in range(plan.count)]

    def resolve(self, job_id: str, token: str, now: float) -> MediaRef | None:
        """The media a URL names, or None: not ours (or from before a reset), not a
        producible size, or past retention."""
        ref = self.signer.parse(job_id, token)
        if ref is None or now >= ref.expires_at:
            return None
        return ref

    def image(self, provider: str, ref: MediaRef) -> bytes:
        return self.images.image(ref, _label(provider, ref))

    def cached_image(self, provider: str, ref: MediaRef) -> bytes | None:
        """The bytes when no rendering is needed (safe on an event loop), else None."""
        return self.images.cached_image(ref, _label(provider, ref))


def _label(provider: str, ref: MediaRef) -> str:
    return f"grok-imagine-mock {provider} {ref.job_id} #{ref.index}"
