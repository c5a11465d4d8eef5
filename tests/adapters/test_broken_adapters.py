"""Proof the adapter checks have teeth: each deliberately broken adapter is caught.

Every case is a user's test file, run through pytester as pytest would run it;
the failure must name what went wrong.
"""

from __future__ import annotations

from pathlib import Path

import pytest

# Every broken adapter runs the contract checks in a pytester run.
pytestmark = pytest.mark.slow

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "adapters"

HEADER = """
import time

from _retrying import GenerationError, send
from pixazo_httpx import PixazoImages
from segmind_httpx import SegmindImages
from pytest_plugin.adapters import adapter_contract


def everything(adapter, r):
    return adapter.generate(
        r.prompt, n=r.n, aspect_ratio=r.aspect_ratio, resolution=r.resolution,
        output_format=r.output_format,
    )
"""

# name -> (the broken adapter and its contract, the check to run, lines the failure shows)
BROKEN = {
    "ignores FAILED and returns []": (
        """
class IgnoresFailures(SegmindImages):
    def generate(self, prompt, **options):
        try:
            return super().generate(prompt, **options)
        except GenerationError:
            return []

TestBroken = adapter_contract("segmind", IgnoresFailures, everything, retries=3)
""",
        "reports_failed_jobs",
        [
            "*segmind adapter contract: a failed job was not reported*",
            "*returned [] although the job ended in*a failed job must be reported as an error*",
        ],
    ),
    "polls in a tight loop": (
        """
TestBroken = adapter_contract(
    "segmind",
    lambda url, key: SegmindImages(url, key, poll_interval=0),
    everything,
    retries=3,
)
""",
        "images_asked_for",
        ["*poll(s) came sooner than 0.5 s after the previous one*"],
    ),
    "polls forever": (
        """
TestBroken = adapter_contract(
    "segmind",
    lambda url, key: SegmindImages(url, key, timeout=float("inf")),
    everything,
    retries=3,
    min_poll_interval=1.0,
)
""",
        "never_ends",
        ["*adapter contract: a job that never ends was mishandled*", "*never stopped on its own*"],
    ),
    "retries a 406": (
        """
class RetriesEverything(SegmindImages):
    def _send(self, method, url, **kwargs):
        return send(
            self.client, method, url, retries=self.retries, backoff=self.backoff,
            retryable=frozenset(range(400, 600)), **kwargs,
        )

TestBroken = adapter_contract("segmind", RetriesEverything, everything, retries=3)
""",
        "permanent_refusals",
        ["*sent 4 submits for a refusal that cannot pass (at most 1)*"],
    ),
    "downloads after the URL expired": (
        """
class DownloadsLater(SegmindImages):
    def _send(self, method, url, **kwargs):
        if "/media/" in str(url):
            time.sleep(7 * 24 * 3600 + 60)  # Segmind keeps its files 7 days
        return super()._send(method, url, **kwargs)

TestBroken = adapter_contract("segmind", DownloadsLater, everything, retries=3)
""",
        "images_asked_for",
        ["*fetched media that had expired (or never existed)*segmind keeps media 604800 s*"],
    ),
    "uses the wrong auth header": (
        """
def bearer(url, key):
    adapter = SegmindImages(url, key)
    del adapter.client.headers["x-api-key"]
    adapter.client.headers["Authorization"] = f"Bearer {key}"
    return adapter

TestBroken = adapter_contract("segmind", bearer, everything, retries=3)
""",
        "images_asked_for",
        ["*sent a request the provider refused*segmind.v2.submit*: unauthorized*"],
    ),
    "sends n as a string": (
        """
def stringly(adapter, r):
    return adapter.generate(r.prompt, n=str(r.n))

TestBroken = adapter_contract("segmind", SegmindImages, stringly, retries=3, vary=["n"])
""",
        "images_asked_for",
        ["*sent a request the provider refused*'n' must be an integer, got string*"],
    ),
    "sends n out of range": (
        """
def too_many(adapter, r):
    return adapter.generate(r.prompt, n=r.n + 4)

TestBroken = adapter_contract("segmind", SegmindImages, too_many, retries=3, vary=["n"])
""",
        "images_asked_for",
        ["*sent a request the provider refused*'n' must be between 1 and 4, got*"],
    ),
    "swallows errors": (
        """
class Swallows(SegmindImages):
    def generate(self, prompt, **options):
        try:
            return super().generate(prompt, **options)
        except Exception:
            return []

TestBroken = adapter_contract("segmind", Swallows, everything, retries=3)
""",
        "permanent_refusals",
        ["*returned [] although every submit was refused*"],
    ),
    "retries without backoff": (
        """
TestBroken = adapter_contract(
    "segmind", lambda url, key: SegmindImages(url, key, backoff=0), everything, retries=3
)
""",
        "retries_what_can_pass",
        ["*retried v2.submit at once, without waiting at all*"],
    ),
    "sends a field the provider does not know": (
        """
def with_style(adapter, r):
    return adapter.generate(r.prompt, n=r.n, style="cinematic")

TestBroken = adapter_contract("segmind", SegmindImages, with_style, retries=3, vary=["n"])
""",
        "images_asked_for",
        ["*sent fields the provider does not know*: ignored unknown parameter(s): style*"],
    ),
    "drops the number of images": (
        """
def one_image(adapter, r):
    return adapter.generate(r.prompt, aspect_ratio=r.aspect_ratio)

TestBroken = adapter_contract("segmind", SegmindImages, one_image, retries=3, vary=["n"])
""",
        "images_asked_for",
        ["*asked the provider for 1 image(s); the request wanted *"],
    ),
    "never registers its webhook": (
        """
TestBroken = adapter_contract(
    "pixazo",
    lambda url, key, hook: PixazoImages(url, key),
    everything,
    retries=3,
    min_poll_interval=1.0,
    webhooks=True,
)
""",
        "images_asked_for",
        ["*registered no webhook: 1 job(s), 0 with a delivery planned to http://127.0.0.1:*"],
    ),
}


@pytest.mark.parametrize("name", list(BROKEN))
def test_a_broken_adapter_is_caught(pytester: pytest.Pytester, name: str) -> None:
    source, check, shows = BROKEN[name]
    pytester.syspathinsert(EXAMPLES)
    pytester.makepyfile(test_adapter=HEADER + source)
    result = pytester.runpytest("-p", "no:cacheprovider", "-k", check)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([*shows, "*what it sent*"])


def test_the_reference_adapter_passes_the_same_checks(pytester: pytest.Pytester) -> None:
    pytester.syspathinsert(EXAMPLES)
    source = 'TestGood = adapter_contract("segmind", SegmindImages, everything, retries=3)\n'
    pytester.makepyfile(test_adapter=HEADER + source)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=5)
