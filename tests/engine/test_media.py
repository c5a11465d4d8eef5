from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from contracts import SIZES, nearest_ratio, pixel_size
from mockserver.engine.imaging import ImageFactory, InputImageError, decode_inline, inspect
from mockserver.engine.media import MediaRef, MediaSigner
from tests.conftest import decode


def _ref(**changes: object) -> MediaRef:
    fields: dict[str, object] = {
        "job_id": "job-1",
        "index": 0,
        "width": 1408,
        "height": 768,
        "format": "png",
        "variant": 5,
        "expires_at": 1_800_000_000,
    }
    fields.update(changes)
    return MediaRef(**fields)  # type: ignore[arg-type]


def test_tokens_round_trip_and_refuse_tampering() -> None:
    signer = MediaSigner(b"secret")
    ref = _ref()
    token = signer.token(ref)
    assert signer.parse("job-1", token) == ref
    assert signer.parse("job-2", token) is None
    assert MediaSigner(b"other").parse("job-1", token) is None
    assert signer.parse("job-1", token[:-2] + ("AA" if token[-2:] != "AA" else "BB")) is None
    assert signer.parse("job-1", "not a token!") is None


@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp"])
def test_images_decode_at_their_size_and_format(fmt: str) -> None:
    factory = ImageFactory()
    data = factory.image(_ref(format=fmt), "label")
    image = decode(data)
    assert image.size == (1408, 768)
    assert image.format == {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}[fmt]


@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp"])
def test_every_job_gets_distinct_bytes_from_one_render(fmt: str) -> None:
    factory = ImageFactory()
    first = factory.image(_ref(format=fmt), "grok-imagine-mock segmind job-1 #0")
    second = factory.image(_ref(format=fmt, job_id="job-2"), "grok-imagine-mock segmind job-2 #0")
    assert first != second
    assert len(first) == len(second)
    assert b"job-2 #0" in second
    decode(second)  # a PNG with a wrong chunk CRC would fail here


def test_the_label_is_readable_metadata() -> None:
    png = ImageFactory().image(_ref(format="png"), "grok-imagine-mock segmind abc #1")
    assert Image.open(io.BytesIO(png)).info["Comment"].strip() == "grok-imagine-mock segmind abc #1"


def test_variants_differ_in_pixels() -> None:
    factory = ImageFactory()
    a = decode(factory.image(_ref(variant=0, width=64, height=64), "x")).convert("RGB")
    b = decode(factory.image(_ref(variant=1, width=64, height=64), "x")).convert("RGB")
    assert a.tobytes() != b.tobytes()


def test_the_cache_is_bounded() -> None:
    factory = ImageFactory(cache_size=2)
    for width in (32, 48, 64):
        factory.image(_ref(width=width, height=32), "x")
    assert len(factory._cache) == 2


def test_every_documented_ratio_has_a_size_at_both_resolutions() -> None:
    for ratio, by_resolution in SIZES.items():
        for resolution in ("1k", "2k"):
            size = by_resolution[resolution]
            assert (size.width % 16, size.height % 16) == (0, 0), (ratio, resolution)
            w, h = (float(x) for x in ratio.split(":"))
            # Runware's table itself rounds (3:4 is 896x1280): within 8% of nominal.
            assert abs(size.width / size.height / (w / h) - 1) < 0.08, (ratio, size)
            assert nearest_ratio(size.width, size.height) == ratio
    assert pixel_size("16:9", "2k").width == 2816
    assert pixel_size("auto", "1k").width == 1024
    assert SIZES["9:16"]["1k"].source.kind == "facts"
    assert SIZES["2:1"]["2k"].source.kind == "inferred"


def test_nearest_ratio_keeps_an_input_shape() -> None:
    assert nearest_ratio(1920, 1080) == "16:9"
    assert nearest_ratio(1000, 1000) == "1:1"
    assert nearest_ratio(600, 1300) == "9:19.5"
    assert nearest_ratio(1000, 700, ("1:1", "3:2", "2:3")) == "3:2"


def _png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (9, 9, 9)).save(buffer, "PNG")
    return buffer.getvalue()


def test_inline_images_are_read_from_data_uris_and_bare_base64() -> None:
    encoded = base64.b64encode(_png(30, 20)).decode()
    assert inspect(decode_inline(f"data:image/png;base64,{encoded}")).width == 30
    assert inspect(decode_inline(encoded)).height == 20


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("data:image/png,rawbytes", "base64"),
        ("!!!not base64!!!", "not valid base64"),
        (base64.b64encode(b"hello world").decode(), "not a readable image"),
        ("", "empty"),
    ],
)
def test_unusable_inline_images_say_why(text: str, problem: str) -> None:
    with pytest.raises(InputImageError, match=problem):
        inspect(decode_inline(text))


def test_gif_inputs_are_refused_by_name() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, "GIF")
    with pytest.raises(InputImageError, match="JPEG, PNG or WebP, got GIF"):
        inspect(buffer.getvalue())
