"""One module per provider surface; each is a thin translation onto the engine."""

from __future__ import annotations

from mockserver.providers import apikley, openai_images, pixazo, segmind
from mockserver.surface import Surface

SURFACES: dict[str, Surface] = {
    s.contract.provider: s
    for s in (
        segmind.SURFACE,
        pixazo.SURFACE,
        apikley.SURFACE,
        apikley.KIE_SURFACE,
        openai_images.AGTCLOUD_SURFACE,
        openai_images.XAI_SURFACE,
    )
}

__all__ = ["SURFACES"]
