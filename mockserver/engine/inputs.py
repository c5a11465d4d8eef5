"""Input images clients send for edits: inline data, or URLs.

The emulator never fetches the open internet. It reads inline images
(data URIs, bare base64) and recognises its own output URLs; any other URL
has an unknown size and the caller falls back to the requested aspect ratio.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urlsplit

from contracts import is_http_url
from mockserver.engine.emulator import Emulator
from mockserver.engine.imaging import ImageInfo, InputImageError, decode_inline, inspect

__all__ = ["ImageInfo", "InputImageError", "input_image"]


@lru_cache(maxsize=16)
def _media_pattern(media_path: str) -> re.Pattern[str]:
    escaped = re.escape(media_path)
    escaped = escaped.replace(re.escape("{job_id}"), r"(?P<job_id>[^/]+)")
    escaped = escaped.replace(re.escape("{token}"), r"(?P<token>[A-Za-z0-9_-]+)")
    escaped = escaped.replace(re.escape("{ext}"), r"(?P<ext>\w+)")
    return re.compile(escaped + "$")


def input_image(emulator: Emulator, text: str) -> ImageInfo | None:
    """The input's size and format; None for an outside URL.

    Raises InputImageError for inline data that is not a JPEG, PNG or WebP image.
    """
    if is_http_url(text):
        return _own_media(emulator, text)
    if text.startswith(("http:", "https:", "ftp:", "file:")):
        raise InputImageError("not a valid http(s) URL")
    return inspect(decode_inline(text))


def _own_media(emulator: Emulator, url: str) -> ImageInfo | None:
    path = urlsplit(url).path
    for contract in emulator.contracts.values():
        match = _media_pattern(contract.media_path).search(path)
        if match is None:
            continue
        ref = emulator.resolve_media(match["job_id"], match["token"])
        if ref is not None:
            return ImageInfo(ref.width, ref.height, ref.format)
    return None
