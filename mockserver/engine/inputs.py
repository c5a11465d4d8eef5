"""Input images clients send for edits: inline data, or URLs.

The emulator never fetches the open internet. It reads inline images (data
URIs, bare base64), recognises its own output URLs, and fetches through the
outbound port, which admits loopback and allow-listed hosts only. A URL the
port refuses is not read at all (`NotFetched`: the caller says so and keeps
the requested ratio); one it admits but cannot fetch is an `InputImageError`.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urlsplit

from contracts import is_http_url
from mockserver.engine.emulator import Emulator
from mockserver.engine.errors import InputImageError, NotFetched, OutboundFailed, OutboundRefused
from mockserver.engine.imaging import ImageInfo, decode_inline, inspect

__all__ = ["ImageInfo", "InputImageError", "NotFetched", "input_image"]

FETCH_LIMIT = 20 * 1024 * 1024
_FETCH_TIMEOUT = 5.0


@lru_cache(maxsize=16)
def _media_pattern(media_path: str) -> re.Pattern[str]:
    escaped = re.escape(media_path)
    escaped = escaped.replace(re.escape("{job_id}"), r"(?P<job_id>[^/]+)")
    escaped = escaped.replace(re.escape("{token}"), r"(?P<token>[A-Za-z0-9_-]+)")
    escaped = escaped.replace(re.escape("{ext}"), r"(?P<ext>\w+)")
    return re.compile(escaped + "$")


async def input_image(emulator: Emulator, text: str) -> ImageInfo:
    """The input's size and format.

    Raises InputImageError for data that is not a JPEG, PNG or WebP image or a URL
    that cannot be fetched, and NotFetched for a URL the fence keeps us from.
    """
    if is_http_url(text):
        own = _own_media(emulator, text)
        if own is not None:
            return own
        return inspect(await _fetch(emulator, text))
    if text.startswith(("http:", "https:", "ftp:", "file:")):
        raise InputImageError("not a valid http(s) URL")
    return inspect(decode_inline(text))


async def _fetch(emulator: Emulator, url: str) -> bytes:
    outbound = emulator.outbound
    if outbound is None:
        raise NotFetched("no outbound port to fetch it with")
    try:
        reply = await outbound.send(
            "GET",
            url,
            allowed=emulator.settings.allowed_hosts,
            deadline=_FETCH_TIMEOUT,
            limit=FETCH_LIMIT,
        )
    except OutboundRefused as refused:
        raise NotFetched(f"the emulator did not fetch it ({refused})") from None
    except OutboundFailed as failed:
        raise InputImageError(f"it could not be fetched ({failed})") from None
    if reply.status != 200:
        raise InputImageError(f"fetching it answered HTTP {reply.status}")
    if reply.truncated:
        raise InputImageError(f"it is larger than {FETCH_LIMIT} bytes")
    return reply.body


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
