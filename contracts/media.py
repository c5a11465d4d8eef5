"""Output pixel sizes for every aspect ratio and resolution (docs/SOURCES.md §1.8).

The 1K column and most of the 2K column are Runware's published table. Cells
that table leaves out are marked inferred, each with its reason.
"""

from __future__ import annotations

import math

from contracts._model import Source, from_facts, inferred
from contracts.record import record

_RUNWARE = from_facts("§1.8 Output pixel dimensions (Runware model pages)")
_DOUBLED = inferred(
    "Runware's 2K table is cut off here; 2K = 2 x 1K holds for every 2K size that is documented"
)
_NO_SOURCE = inferred("no source gives sizes for this ratio; 2K is 2 x 1K as everywhere else")


@record
class PixelSize:
    width: int
    height: int
    source: Source


def _pair(w1: int, h1: int, w2: int, h2: int, source2: Source = _RUNWARE) -> dict[str, PixelSize]:
    return {"1k": PixelSize(w1, h1, _RUNWARE), "2k": PixelSize(w2, h2, source2)}


SIZES: dict[str, dict[str, PixelSize]] = {
    "1:1": _pair(1024, 1024, 2048, 2048),
    "3:4": _pair(896, 1280, 1792, 2560),
    "4:3": _pair(1280, 896, 2560, 1792),
    "9:16": _pair(768, 1408, 1536, 2816),
    "16:9": _pair(1408, 768, 2816, 1536),
    "2:3": _pair(864, 1296, 1728, 2592),
    "3:2": _pair(1296, 864, 2592, 1728),
    "9:19.5": _pair(576, 1248, 1152, 2496),
    "19.5:9": _pair(1248, 576, 2496, 1152, _DOUBLED),
    "9:20": _pair(576, 1280, 1152, 2560, _DOUBLED),
    "20:9": _pair(1280, 576, 2560, 1152, _DOUBLED),
    "1:2": _pair(704, 1408, 1408, 2816, _DOUBLED),
    "2:1": _pair(1408, 704, 2816, 1408, _DOUBLED),
}

# Ratios the newest xAI schema adds; no source gives their sizes. Widths and
# heights are multiples of 16 near one megapixel, like the documented ones.
SIZES["21:9"] = {
    "1k": PixelSize(1568, 672, _NO_SOURCE),
    "2k": PixelSize(3136, 1344, _NO_SOURCE),
}
SIZES["5:2"] = {
    "1k": PixelSize(1600, 640, _NO_SOURCE),
    "2k": PixelSize(3200, 1280, _NO_SOURCE),
}

AUTO_RATIO = "1:1"
AUTO_SOURCE = inferred(
    "no source says what 'auto' picks for a text-only prompt; the square is the neutral choice"
)
NEAREST_SOURCE = inferred(
    "an edit keeps its input's aspect ratio; the output takes the documented size of the "
    "nearest documented ratio, so every output size is one a real client can see"
)


_ONE_AND_A_HALF = inferred(
    "xAI's newest schema adds '1.5k' without sizes; 1.5 x the 1K size, to a multiple of 16"
)


def pixel_size(aspect_ratio: str, resolution: str) -> PixelSize:
    """The output size for a ratio ('auto' included) at '1k', '1.5k' or '2k'."""
    ratio = AUTO_RATIO if aspect_ratio == "auto" else aspect_ratio
    if resolution == "1.5k":
        base = SIZES[ratio]["1k"]
        width, height = (round(side * 1.5 / 16) * 16 for side in (base.width, base.height))
        return PixelSize(width, height, _ONE_AND_A_HALF)
    return SIZES[ratio][resolution]


def nearest_ratio(width: int, height: int, candidates: tuple[str, ...] | None = None) -> str:
    """The documented ratio closest to width:height (by log distance)."""
    target = math.log(width / height)
    names = candidates or tuple(SIZES)

    def distance(name: str) -> float:
        size = SIZES[name]["1k"]
        return abs(math.log(size.width / size.height) - target)

    return min(names, key=distance)


def producible_sizes() -> frozenset[tuple[int, int]]:
    """Every (width, height) some provider can answer with: each ratio at each resolution."""
    return frozenset(
        (size.width, size.height)
        for ratio in SIZES
        for resolution in ("1k", "1.5k", "2k")
        for size in (pixel_size(ratio, resolution),)
    )
