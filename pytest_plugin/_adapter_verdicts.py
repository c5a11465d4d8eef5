"""Judging one adapter run: what it returned, what it sent, and when."""

from __future__ import annotations

import base64
import binascii
import io
import itertools
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import httpx

from contracts import Contract, Model, pixel_size
from mockserver.call import UNKNOWN_FIELDS
from mockserver.engine import Job, JournalEntry
from mockserver.engine.journal import describe
from pytest_plugin._adapter_cases import ImageRequest, model_params
from pytest_plugin._adapter_run import Run
from pytest_plugin._controller import GrokMock
from pytest_plugin._portal import CLIENT_GAVE_UP

_TOLERANCE = 1e-6
_SHOWN = 25
Shape = tuple[str, int, int]


def kinds(contract: Contract) -> dict[str, str]:
    """Operation id -> submit, read or media."""
    return {op.id: op.kind for op in contract.operations}


def of_kind(contract: Contract, run: Run, kind: str) -> list[JournalEntry]:
    ops = kinds(contract)
    return [e for e in run.entries if ops.get(e.operation or "") == kind]


def accepted_jobs(contract: Contract, run: Run, grok_mock: GrokMock) -> list[Job]:
    """Jobs the adapter's submits opened (a refused submit opens none)."""
    jobs = []
    for entry in of_kind(contract, run, "submit"):
        job = grok_mock.job(entry.job_id) if entry.job_id and entry.error is None else None
        if job is not None:
            jobs.append(job)
    return jobs


# -- the images ------------------------------------------------------------------


Fetch = Callable[[str], tuple[bytes | None, str]]


def _fetcher(client: httpx.Client, grok_mock: GrokMock) -> Fetch:
    """Fetches a returned URL if it is the emulator's; any other host is never contacted."""
    served = {httpx.URL(url).host for url in grok_mock.base_urls.values()}

    def fetch(url: str) -> tuple[bytes | None, str]:
        host = httpx.URL(url).host
        if host not in served and host not in ("127.0.0.1", "localhost", "::1"):
            return None, f"its URL {url} is not the provider's (the checks fetch no other host)"
        try:
            response = client.get(url)
        except httpx.HTTPError as exc:
            return None, f"its URL {url} could not be fetched ({exc})"
        if response.status_code != 200:
            return None, f"its URL {url} answers {response.status_code}"
        return response.content, ""

    return fetch


def _decode(item: Any, *, fully: bool, fetch: Fetch) -> tuple[Shape | None, str]:
    """(format, width, height) of one returned image, or None and why not.

    Only `fully` decodes the pixels; the others are read as far as their headers.
    """
    from PIL import Image, UnidentifiedImageError

    data: bytes
    if isinstance(item, (bytes, bytearray, memoryview)):
        data = bytes(item)
    elif isinstance(item, str) and item.startswith(("http://", "https://")):
        fetched, why = fetch(item)
        if fetched is None:
            return None, why
        data = fetched
    elif isinstance(item, str):
        text = item.split(",", 1)[1] if item.startswith("data:") else item
        try:
            data = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            return None, f"{_short(item)} is neither a URL, a data: URI nor base64"
    else:
        return None, f"it is a {type(item).__name__}, not bytes or a string"
    if not data:
        return None, "it is empty"
    try:
        with Image.open(io.BytesIO(data)) as image:
            if fully:
                image.load()
            return ((image.format or "?").lower(), image.width, image.height), ""
    except (UnidentifiedImageError, OSError) as exc:
        return None, f"it does not decode as an image ({exc})"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def image_problems(
    contract: Contract,
    model: Model,
    request: ImageRequest,
    run: Run,
    jobs: Sequence[Job],
    grok_mock: GrokMock,
) -> list[str]:
    """The result must be exactly the images asked for, readable, at the right size."""
    result = run.result
    if isinstance(result, (str, bytes)) or not isinstance(result, Iterable):
        return [f"returned {_short(result)}, not a list of images"]
    items = list(result)
    if not jobs:
        return ["returned without any generation being accepted by the provider"]
    problems: list[str] = []
    made = sum(job.media.count for job in jobs)
    if made != request.images:
        problems.append(
            f"asked the provider for {made} image(s); the request wanted {request.images}"
        )
    problems += _size_problems(contract, model, request, jobs)
    returned: list[Shape] = []
    # One client for every URL (no TLS: the emulator's hosts are served in-process or on
    # loopback), instead of a client, and its certificate store, per image.
    with httpx.Client(verify=False, timeout=30) as client:
        fetch = _fetcher(client, grok_mock)
        for index, item in enumerate(items):
            shape, why = _decode(item, fully=index == 0, fetch=fetch)
            if shape is None:
                problems.append(f"image {index} is not an image: {why}")
            else:
                returned.append(shape)
    expected = Counter(
        (job.media.format, job.media.width, job.media.height)
        for job in jobs
        for _ in range(job.media.count)
    )
    if len(items) != made:
        problems.append(f"returned {len(items)} image(s); the provider made {made}")
    elif returned and Counter(returned) != expected:
        problems.append(
            f"returned images {sorted(Counter(returned).items())}; the provider made "
            f"{sorted(expected.items())} as (format, width, height)"
        )
    return problems


def _size_problems(
    contract: Contract, model: Model, request: ImageRequest, jobs: Sequence[Job]
) -> list[str]:
    params = {p.name: p for p in model_params(contract, model)}
    problems = []
    for job in jobs:
        if request.aspect_ratio is not None:
            resolution = request.resolution or _default(params.get("resolution"), "1k")
            size = pixel_size(request.aspect_ratio, resolution)
            if (job.media.width, job.media.height) != (size.width, size.height):
                problems.append(
                    f"did not pass aspect_ratio {request.aspect_ratio!r} / resolution "
                    f"{resolution!r}: the provider made {job.media.width}x{job.media.height}, "
                    f"not {size.width}x{size.height}"
                )
        if request.output_format is not None and job.media.format != request.output_format:
            problems.append(
                f"did not pass output_format {request.output_format!r}: the provider made "
                f"{job.media.format}"
            )
    return problems


def _default(param: Any, fallback: str) -> str:
    if param is None or not param.has_default or param.default is None:
        return fallback
    return str(param.default)


# -- what it sent ------------------------------------------------------------------


def request_problems(contract: Contract, run: Run) -> list[str]:
    """Every request must be one the provider takes, and media fetched while it lives."""
    problems = []
    for entry in run.entries:
        gave_up = (entry.error or "").startswith(CLIENT_GAVE_UP)  # judged with the timeout
        caused = entry.scenario_source in ("rule", "job")  # a trouble the checks played
        if entry.error and not caused and not gave_up:
            problems.append(
                f"sent a request the provider refused: {describe(entry)}: {entry.error}"
            )
        unknown = [w for w in entry.warnings if w.startswith(UNKNOWN_FIELDS)]
        if unknown:
            problems.append(
                f"sent fields the provider does not know: {describe(entry)}: {unknown[0]}"
            )
    for entry in of_kind(contract, run, "media"):
        if entry.status == 404:
            problems.append(
                f"fetched media that had expired (or never existed): {describe(entry)}; "
                f"{contract.provider} keeps media {contract.retention.media_seconds:.0f} s"
            )
    return problems


def polling_problems(
    contract: Contract, run: Run, jobs: Sequence[Job], min_interval: float
) -> list[str]:
    """Repeated reads of one job (one operation) must be `min_interval` seconds apart."""
    problems = []
    # Only answered reads are polls: a retry after a failed read is judged as a retry.
    reads = [e for e in of_kind(contract, run, "read") if e.error is None]
    for job in jobs:
        for operation in sorted({e.operation or "" for e in reads if e.job_id == job.id}):
            times = [e.at for e in reads if e.job_id == job.id and e.operation == operation]
            gaps = [b - a for a, b in itertools.pairwise(times)]
            quick = [g for g in gaps if g < min_interval - _TOLERANCE]
            if quick:
                problems.append(
                    f"polled job {job.id} ({operation}) {len(times)} times; {len(quick)} "
                    f"poll(s) came sooner than {min_interval:g} s after the previous one "
                    f"(the closest {min(quick):.3f} s)"
                )
    return problems


def attempts(contract: Contract, run: Run) -> list[JournalEntry]:
    return of_kind(contract, run, "submit")


def excerpt(run: Run) -> str:
    """The journal of the run, with virtual times from its start."""
    lines = []
    for entry in run.entries[:_SHOWN]:
        extra = f"  ({entry.error})" if entry.error else ""
        lines.append(f"    +{entry.at - run.began:9.3f}s  {describe(entry)}{extra}")
    if len(run.entries) > _SHOWN:
        lines.append(f"    ... and {len(run.entries) - _SHOWN} more request(s)")
    return "\n".join(lines) or "    (no requests)"


def verdict(headline: str, case: str, problems: Sequence[str], run: Run) -> str:
    """The failure message: what went wrong, in which case, and the journal that shows it."""
    outcome = (
        f"stopped: {run.runaway}"
        if run.runaway
        else f"raised {type(run.error).__name__}: {run.error}"
        if run.error is not None
        else f"returned {_short(run.result)}"
    )
    lines = [
        headline,
        f"  case: {case}",
        f"  the adapter {outcome} after {run.elapsed:.3f} virtual seconds",
        "  problems:",
        *(f"    - {p}" for p in problems),
        "  what it sent (virtual seconds from the start):",
        excerpt(run),
    ]
    return "\n".join(lines)
