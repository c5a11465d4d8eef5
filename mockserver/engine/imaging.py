"""Real image bytes, cheaply: render once per look, stamp per job.

Encoding a 2K image takes tens of milliseconds, so each (size, format,
variant) is rendered once and cached, with a fixed-length placeholder in its
metadata (a PNG tEXt chunk, a JPEG comment, WebP XMP). Each job's bytes are
the cached bytes with that placeholder overwritten by the job's own label:
distinct per job, decodable, and a copy away from free. Callers asking for a
look that is being rendered wait for that render instead of starting another.

Pillow is imported on first use only.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import threading
import zlib
from collections import OrderedDict
from concurrent.futures import Future
from typing import Protocol

from contracts.record import record
from mockserver.engine.errors import InputImageError

LABEL_BYTES = 96
_PLACEHOLDER = b"grok-imagine-mock:" + b"~" * (LABEL_BYTES - len(b"grok-imagine-mock:"))
_PALETTES = (
    ((18, 32, 96), (236, 176, 64), (214, 48, 96)),
    ((12, 80, 72), (224, 232, 168), (40, 120, 200)),
    ((64, 16, 88), (248, 144, 120), (248, 232, 96)),
    ((24, 24, 32), (120, 200, 232), (240, 96, 48)),
    ((96, 40, 16), (248, 216, 168), (32, 96, 64)),
    ((16, 56, 120), (200, 240, 255), (255, 200, 40)),
    ((56, 72, 24), (232, 240, 200), (168, 40, 72)),
    ((40, 24, 64), (176, 232, 208), (248, 120, 184)),
)
VARIANTS = len(_PALETTES)
_DATA_URI = re.compile(
    r"^data:(?P<mime>[\w.+-]+/[\w.+-]+)?(?P<params>(;[^,;]*)*),(?P<data>.*)$", re.S
)
_INPUT_FORMATS = {"JPEG": "jpeg", "PNG": "png", "WEBP": "webp"}


@record(slots=True)
class ImageInfo:
    width: int
    height: int
    format: str


@record(slots=True)
class _Rendered:
    data: bytes
    label_at: int
    crc_from: int  # PNG only: where the tEXt chunk type starts; -1 otherwise


class Look(Protocol):
    """What an image looks like: its size, format and palette variant (a MediaRef)."""

    @property
    def width(self) -> int: ...
    @property
    def height(self) -> int: ...
    @property
    def format(self) -> str: ...
    @property
    def variant(self) -> int: ...


_Key = tuple[int, int, str, int]


class ImageFactory:
    """Decodable images for media references, from a bounded cache."""

    def __init__(self, cache_size: int = 48) -> None:
        self._cache: OrderedDict[_Key, _Rendered] = OrderedDict()
        self._rendering: dict[_Key, Future[_Rendered]] = {}
        self._cache_size = cache_size
        self._lock = threading.Lock()
        # How many looks were rendered (not served from the cache or a render in flight).
        self.renders = 0

    def image(self, look: Look, label: str) -> bytes:
        return _stamp(self._rendered(_key(look)), label)

    def cached_image(self, look: Look, label: str) -> bytes | None:
        """The image if its look is already rendered (cheap), else None."""
        with self._lock:
            rendered = self._cache.get(_key(look))
        return None if rendered is None else _stamp(rendered, label)

    def _rendered(self, key: _Key) -> _Rendered:
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
            pending = self._rendering.get(key)
            mine = pending is None
            if pending is None:
                pending = self._rendering[key] = Future()
                self.renders += 1
        if not mine:
            return pending.result()
        try:
            rendered = _render(*key)
        except BaseException as exc:
            pending.set_exception(exc)
            raise
        finally:
            with self._lock:
                self._rendering.pop(key, None)
        with self._lock:
            self._cache[key] = rendered
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        pending.set_result(rendered)
        return rendered


def _key(look: Look) -> _Key:
    return (look.width, look.height, look.format, look.variant % VARIANTS)


def _stamp(rendered: _Rendered, label: str) -> bytes:
    """The rendered image with `label` written over its placeholder (and, in a PNG, the
    text chunk's CRC made anew): one copy of the bytes, however many downloads."""
    text = label.encode("utf-8", "replace")[:LABEL_BYTES].ljust(LABEL_BYTES)
    data = memoryview(rendered.data)
    at = rendered.label_at
    end = at + LABEL_BYTES
    if rendered.crc_from < 0:
        return b"".join((data[:at], text, data[end:]))
    crc = zlib.crc32(text, zlib.crc32(data[rendered.crc_from : at])) & 0xFFFFFFFF
    return b"".join((data[:at], text, crc.to_bytes(4, "big"), data[end + 4 :]))


def _render(width: int, height: int, fmt: str, variant: int) -> _Rendered:
    from PIL import Image, ImageDraw, ImageOps, PngImagePlugin

    dark, light, accent = _PALETTES[variant]
    # Colour the small gradient, then scale: far cheaper than colouring 2K pixels. Nearest
    # neighbour scaling is four times faster than smoothing, and its even bands make the
    # PNG encoder's work half as long (a 2K PNG in about 100 ms instead of 230).
    gradient = Image.linear_gradient("L").rotate(variant * 45, fillcolor=128)
    colored = ImageOps.colorize(gradient, dark, light)
    image = colored.resize((width, height), Image.Resampling.NEAREST)
    draw = ImageDraw.Draw(image)
    side = min(width, height)
    cx = width * (0.3 + 0.05 * variant)
    cy = height * (0.65 - 0.04 * variant)
    r = side * 0.18
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=accent)
    draw.rectangle(
        (width * 0.62, height * 0.2, width * 0.62 + side * 0.2, height * 0.2 + side * 0.12),
        fill=light,
    )
    buffer = io.BytesIO()
    if fmt == "png":
        info = PngImagePlugin.PngInfo()
        info.add_text("Comment", _PLACEHOLDER.decode())
        image.save(buffer, "PNG", pnginfo=info, compress_level=1)
    elif fmt == "jpeg":
        image.save(buffer, "JPEG", quality=85, comment=_PLACEHOLDER)
    else:
        image.save(buffer, "WEBP", quality=80, method=0, xmp=_PLACEHOLDER)
    data = buffer.getvalue()
    label_at = data.index(_PLACEHOLDER)
    crc_from = data.rindex(b"tEXt", 0, label_at) if fmt == "png" else -1
    return _Rendered(data, label_at, crc_from)


def inspect(data: bytes) -> ImageInfo:
    """Size and format of a JPEG, PNG or WebP image, without decoding its pixels."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            fmt = _INPUT_FORMATS.get(image.format or "")
            width, height = image.size
    except Image.DecompressionBombError as exc:
        raise InputImageError(f"the image is too large to read ({exc})") from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise InputImageError("the data is not a readable image") from exc
    if fmt is None:
        raise InputImageError(f"images must be JPEG, PNG or WebP, got {image.format}")
    return ImageInfo(width, height, fmt)


def decode_inline(text: str) -> bytes:
    """The bytes of a `data:image/...;base64,...` URI or of bare base64 text."""
    match = _DATA_URI.match(text)
    if match is not None:
        if ";base64" not in match.group("params"):
            raise InputImageError("data URIs must be base64-encoded (';base64,')")
        payload = match.group("data")
    else:
        payload = text
    payload = "".join(payload.split())
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InputImageError("not valid base64") from exc
    if not data:
        raise InputImageError("the image data is empty")
    return data


def is_data_uri(text: str) -> bool:
    return text.startswith("data:")
