"""Input images clients send for edits: inline data, or URLs.

The emulator never fetches the open internet. It reads inline images
(data URIs, bare base64), recognises its own output URLs, and fetches only
from hosts the settings allow-list. Any other URL has an unknown size and
the caller falls back to the requested aspect ratio.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urlsplit

from contracts import is_http_url
from mockserver.engine.emulator import Emulator
from mockserver.engine.imaging import ImageInfo, InputImageError, decode_inline, inspect
from mockserver.engine.webhooks import host_listed

__all__ = ["ImageInfo", "InputImageError", "input_image"]

_FETCH_LIMIT = 20 * 1024 * 1024
_FETCH_TIMEOUT = 5.0


@lru_cache(maxsize=16)
def _media_pattern(media_path: str) -> re.Pattern[str]:
    escaped = re.escape(media_path)
    escaped = escaped.replace(re.escape("{job_id}"), r"(?P<job_id>[^/]+)")
    escaped = escaped.replace(re.escape("{token}"), r"(?P<token>[A-Za-z0-9_-]+)")
    escaped = escaped.replace(re.escape("{ext}"), r"(?P<ext>\w+)")
    return re.compile(escaped + "$")


async def input_image(emulator: Emulator, text: str) -> ImageInfo | None:
    """The input's size and format; None for a URL the emulator may not fetch.

    Raises InputImageError for data that is not a JPEG, PNG or WebP image, and
    for an allow-listed URL that cannot be fetched.
    """
    if is_http_url(text):
        own = _own_media(emulator, text)
        # Loopback is not implied here: only hosts the user listed are fetched.
        if own is not None or not host_listed(text, emulator.settings.allowed_hosts):
            return own
        return inspect(await _fetch(text))
    if text.startswith(("http:", "https:", "ftp:", "file:")):
        raise InputImageError("not a valid http(s) URL")
    return inspect(decode_inline(text))


async def _fetch(url: str) -> bytes:
    import httpx

    try:
        async with (
            httpx.AsyncClient(timeout=_FETCH_TIMEOUT) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code != 200:
                raise InputImageError(f"fetching it answered HTTP {response.status_code}")
            data = bytearray()
            async for chunk in response.aiter_bytes():
                data += chunk
                if len(data) > _FETCH_LIMIT:
                    raise InputImageError(f"it is larger than {_FETCH_LIMIT} bytes")
            return bytes(data)
    except httpx.HTTPError as exc:
        raise InputImageError(f"it could not be fetched ({type(exc).__name__})") from exc


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
