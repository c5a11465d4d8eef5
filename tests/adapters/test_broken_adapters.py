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
import base64
import time

import httpx
from _retrying import GenerationError, send, wait_until
from openai_style_httpx import OpenAIStyleImages
from pixazo_httpx import PixazoImages
from segmind_httpx import SegmindImages
from pytest_plugin.adapters import adapter_contract


def sdk_style(adapter, r):
    return adapter.generate(r.prompt, n=r.n, aspect_ratio=r.aspect_ratio, resolution=r.resolution)


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
    "resubmits a job that FAILED": (
        """
class Resubmits(SegmindImages):
    def generate(self, prompt, **options):
        try:
            return super().generate(prompt, **options)
        except GenerationError:  # "try once more": a second, charged job
            return super().generate(prompt, **options)

TestBroken = adapter_contract("segmind", Resubmits, everything, retries=3, min_poll_interval=1.0)
""",
        "reports_failed_jobs",
        ["*submitted the whole job again*after job*ended failed*charges for*"],
    ),
    "retries a moderation rejection": (
        """
class RetriesRejections(OpenAIStyleImages):
    def generate(self, prompt, **options):
        body = {"model": self.model, "prompt": prompt, "response_format": "b64_json"}
        body.update({k: v for k, v in options.items() if v is not None})
        answer = send(
            self.client, "POST", "/v1/images/generations", retries=self.retries,
            backoff=self.backoff, retryable=frozenset({400, 429, 500, 502, 503, 504}), json=body,
        ).json()
        return [base64.b64decode(item["b64_json"]) for item in answer["data"]]

TestBroken = adapter_contract("xai", RetriesRejections, sdk_style, retries=3, max_wait=1300)
""",
        "reports_failed_jobs",
        ["*(moderation-blocked): that refusal cannot pass and is billed each time*"],
    ),
    "keeps polling after ERROR": (
        """
class ErrorIsNotFinal(PixazoImages):
    def generate(self, prompt, *, n=None, **options):
        body = {"prompt": prompt, "num_images": n, **options}
        queued = self._send(
            "POST", self.route, json={k: v for k, v in body.items() if v is not None}
        ).json()
        final = {}

        def poll():
            status = self._send("GET", queued["polling_url"]).json()
            if status["status"] == "FAILED":  # ERROR forgotten
                raise GenerationError(f"generation failed: {status.get('error')}")
            final.update(status)
            return "COMPLETED" if status["status"] == "COMPLETED" else None

        wait_until(poll, interval=self.poll_interval, timeout=self.timeout, what="the request")
        return [self._send("GET", u).content for u in final["output"]["media_url"]]

TestBroken = adapter_contract(
    "pixazo", ErrorIsNotFinal, everything, retries=3, min_poll_interval=1.0
)
""",
        "reports_failed_jobs",
        ["*kept polling job*after it had ended (errored)*a terminal status*is final*"],
    ),
    "never retries a read": (
        """
class RetriesOnlySubmits(SegmindImages):
    def _send(self, method, url, **kwargs):
        retries = self.retries if method == "POST" else 0
        return send(self.client, method, url, retries=retries, backoff=self.backoff, **kwargs)

TestBroken = adapter_contract(
    "segmind", RetriesOnlySubmits, everything, retries=3, min_backoff=1.0, min_poll_interval=1.0
)
""",
        "retries_what_can_pass",
        ["*raised GenerationError: GET*"],
    ),
    "polls every 30 s": (
        """
TestBroken = adapter_contract(
    "segmind",
    lambda url, key: SegmindImages(url, key, poll_interval=30),
    everything,
    retries=3,
    min_poll_interval=1.0,
)
""",
        "images_asked_for",
        [
            "*reproduce: rerun this test; the examples are fixed and the draws derandomized*",
            "*returned*s after the job had ended; max_poll_interval is 20 s: it checks too seldom*",
        ],
    ),
    "ignores Retry-After": (
        """
class Impatient(PixazoImages):
    def _send(self, method, url, **kwargs):
        for attempt in range(self.retries + 1):
            response = self.client.request(method, url, **kwargs)
            if response.status_code < 400:
                return response
            if response.status_code not in (429, 500, 502, 503, 504) or attempt == self.retries:
                raise GenerationError(f"{response.status_code}: {response.text}")
            time.sleep(self.backoff * 2**attempt)  # the provider's Retry-After unread

TestBroken = adapter_contract(
    "pixazo", Impatient, everything, retries=3, min_backoff=1.0, min_poll_interval=1.0
)
""",
        "retries_what_can_pass",
        ["*s after a 429 'rate-limited' whose Retry-After asked for 60 s*"],
    ),
    "drops a withheld image": (
        """
class DropsWithheld(OpenAIStyleImages):
    def generate(self, prompt, **options):
        body = {"model": self.model, "prompt": prompt, "response_format": "b64_json"}
        body.update({k: v for k, v in options.items() if v is not None})
        answer = send(
            self.client, "POST", "/v1/images/generations", retries=self.retries,
            backoff=self.backoff, json=body,
        ).json()
        return [base64.b64decode(i["b64_json"]) for i in answer["data"] if i.get("b64_json")]

TestBroken = adapter_contract("xai", DropsWithheld, sdk_style, retries=3, max_wait=1300)
""",
        "reports_failed_jobs",
        ["*silently dropped the 1 image(s) the provider withheld*"],
    ),
    "clamps n to 4": (
        """
def at_most_four(adapter, r):
    return adapter.generate(r.prompt, n=min(r.n or 1, 4))

TestBroken = adapter_contract(
    "xai", OpenAIStyleImages, at_most_four, retries=3, max_wait=1300, vary=["n"]
)
""",
        "images_asked_for",
        ["*asked the provider for 4 image(s); the request wanted 10*"],
    ),
    "times out before a synchronous answer": (
        """
def impatient(url, key):
    adapter = OpenAIStyleImages(url, key)
    adapter.client.timeout = httpx.Timeout(5.0)
    return adapter

TestBroken = adapter_contract("xai", impatient, sdk_style, retries=3, max_wait=1300)
""",
        "images_asked_for",
        ["*its HTTP client gave up on a synchronous call the provider answers after*"],
    ),
    "retries without declaring it": (
        """
TestBroken = adapter_contract("segmind", SegmindImages, everything, min_poll_interval=1.0)
""",
        "retries_what_can_pass",
        ["*your adapter retries*declare retries=N*"],
    ),
    "gives up on a record Kie has not written yet": (
        """
from apikley_httpx import ApikleyImages

TestBroken = adapter_contract(
    "kie",
    lambda url, key: ApikleyImages(url, key, unwritten_polls=0),  # the first null ends it
    lambda adapter, r: adapter.generate(r.prompt, aspect_ratio=r.aspect_ratio),
    retries=3,
    min_poll_interval=2.0,
)
""",
        "images_asked_for",
        ["*scenario='record-not-ready'*", "*raised GenerationError: task * is unknown*"],
    ),
    "asks the official SDK for one image": (
        """
from xai_sdk_images import XaiSDKImages, _decoded

class OneImage(XaiSDKImages):
    def generate(self, prompt, *, n=None, **options):
        chosen = {k: v for k, v in options.items() if v is not None}
        answer = self.client.image.sample(  # sample() makes one; n needs sample_batch
            prompt=prompt, model=self.model, image_format="base64", **chosen
        )
        return [_decoded(answer)]

TestBroken = adapter_contract(
    "xai", OneImage, sdk_style, retries=3, min_backoff=1.0, max_wait=1300, transport="grpc"
)
""",
        "images_asked_for",
        ["*asked the provider for 1 image(s); the request wanted 10*"],
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


# Caught whatever the emulator's seed: the explicit examples try every scenario, value and
# range end, so no catch waits on a lucky draw.
@pytest.mark.parametrize("seed", ["0", "7"])
@pytest.mark.parametrize("name", list(BROKEN))
def test_a_broken_adapter_is_caught(pytester: pytest.Pytester, name: str, seed: str) -> None:
    source, check, shows = BROKEN[name]
    pytester.syspathinsert(EXAMPLES)
    pytester.makepyfile(test_adapter=HEADER + source)
    result = pytester.runpytest("-p", "no:cacheprovider", "-k", check, "--grok-mock-seed", seed)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([*shows, "*what it sent*"])


# Correct adapters in styles users write, each of which an earlier version of the checks
# blamed wrongly: every check must pass.
CORRECT = {
    "a deadline on time.perf_counter": """
from time import perf_counter

class PerfDeadline(SegmindImages):
    def generate(self, prompt, **options):
        body = {"prompt": prompt, **{k: v for k, v in options.items() if v is not None}}
        queued = self._send("POST", f"/v2/{self.model}", json=body).json()
        deadline = perf_counter() + 300
        while perf_counter() < deadline:
            answer = self._send("GET", queued["status_url"], ok=lambda r: r.status_code < 429)
            state = answer.json()["status"]
            if state == "FAILED":
                raise GenerationError(answer.json().get("error"))
            if state == "COMPLETED":
                output = self._send("GET", queued["response_url"]).json()["output"]
                urls = [output] if isinstance(output, str) else output
                return [self._send("GET", url).content for url in urls]
            time.sleep(1.5)
        raise GenerationError("gave up")

TestGood = adapter_contract(
    "segmind", PerfDeadline, everything, retries=3, min_backoff=1.0, min_poll_interval=1.0
)
""",
    "sleep bound at import": """
from time import monotonic, sleep

class BoundSleep(SegmindImages):
    def generate(self, prompt, **options):
        body = {"prompt": prompt, **{k: v for k, v in options.items() if v is not None}}
        queued = self._send("POST", f"/v2/{self.model}", json=body).json()
        started = monotonic()
        while monotonic() - started < 300:
            answer = self._send("GET", queued["status_url"], ok=lambda r: r.status_code < 429)
            state = answer.json()["status"]
            if state == "FAILED":
                raise GenerationError(answer.json().get("error"))
            if state == "COMPLETED":
                output = self._send("GET", queued["response_url"]).json()["output"]
                urls = [output] if isinstance(output, str) else output
                return [self._send("GET", url).content for url in urls]
            sleep(1.5)
        raise GenerationError("gave up")

TestGood = adapter_contract(
    "segmind", BoundSleep, everything, retries=3, min_backoff=1.0, min_poll_interval=1.0
)
""",
    "full-jitter backoff from SystemRandom": """
import random

from _retrying import RETRYABLE, asked_wait

JITTER = random.SystemRandom()

class Jittered(SegmindImages):
    def _send(self, method, url, ok=lambda r: r.status_code < 400, **kwargs):
        for attempt in range(self.retries + 1):
            try:
                response = self.client.request(method, url, **kwargs)
            except httpx.TransportError:
                if attempt == self.retries:
                    raise
                time.sleep(JITTER.uniform(0, self.backoff * 2**attempt))
                continue
            if ok(response):
                return response
            if response.status_code not in RETRYABLE or attempt == self.retries:
                raise GenerationError(f"{response.status_code}: {response.text}")
            wait = JITTER.uniform(0, self.backoff * 2**attempt)
            time.sleep(max(wait, asked_wait(response)))
        raise AssertionError

TestGood = adapter_contract("segmind", Jittered, everything, retries=3, min_poll_interval=1.0)
""",
    "a POST whose answer was lost is not resubmitted": """
from _retrying import RETRYABLE, asked_wait

class NoResubmitAfterLoss(SegmindImages):
    def _send(self, method, url, **kwargs):
        if method != "POST":
            return super()._send(method, url, **kwargs)
        for attempt in range(self.retries + 1):
            try:
                response = self.client.request(method, url, **kwargs)
            except httpx.TransportError as exc:  # it may have been processed: no second job
                raise GenerationError(f"the submit's answer was lost: {exc!r}") from exc
            if response.status_code < 400:
                return response
            if response.status_code not in RETRYABLE or attempt == self.retries:
                raise GenerationError(f"{response.status_code}: {response.text}")
            time.sleep(max(self.backoff * 2**attempt, asked_wait(response)))
        raise AssertionError

TestGood = adapter_contract(
    "segmind", NoResubmitAfterLoss, everything, retries=3, min_backoff=1.0,
    min_poll_interval=1.0,
)
""",
}


@pytest.mark.parametrize("name", list(CORRECT))
def test_a_correct_adapter_is_not_blamed(pytester: pytest.Pytester, name: str) -> None:
    pytester.syspathinsert(EXAMPLES)
    pytester.makepyfile(test_adapter=HEADER + CORRECT[name])
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=5)


def test_the_reference_adapter_passes_the_same_checks(pytester: pytest.Pytester) -> None:
    pytester.syspathinsert(EXAMPLES)
    source = 'TestGood = adapter_contract("segmind", SegmindImages, everything, retries=3)\n'
    pytester.makepyfile(test_adapter=HEADER + source)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=5)
