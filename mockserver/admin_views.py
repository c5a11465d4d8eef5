"""What the QA console reads beyond the admin API's other endpoints: every live job as a
provider shows it (its status word, its planned phases, its images), every account, and
the console's own page and files, served from the package (no build step, no CDN)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from mockserver.engine import Job
from mockserver.engine.journal import key_fingerprint, key_hint
from mockserver.responses import json_response
from mockserver.view import View

if TYPE_CHECKING:
    from mockserver.app import MockApp

__all__ = ["accounts", "console_asset", "console_page", "job_view", "jobs"]

_SHOWN_JOBS = 200
_ASSETS = {
    "console.js": "text/javascript; charset=utf-8",
    "console.css": "text/css; charset=utf-8",
}
# The page loads only its own files and talks only to this server.
_HEADERS = {
    "content-security-policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}


def origin(request: Request) -> str:
    return f"{request.url.scheme}://{request.headers.get('host', request.url.netloc)}"


def job_view(app: MockApp, job: Job, base: str) -> dict[str, Any]:
    """A live job as the console shows it: the neutral summary, plus the provider's own
    status word, the planned phases on the emulator's clock, and its images' URLs."""
    emulator = app.emulator
    contract = emulator.contracts[job.provider]
    view = View(emulator, contract, base + contract.prefix)
    now = emulator.clock.now()
    summary = job.summary(now)
    phase = summary["phase"]
    words = contract.lifecycle.phases
    ends = job.timeline.ends if not job.timeline.by_reads else ()
    timeline = [
        {
            "word": words[i],
            "starts_at": job.created_at + (ends[i - 1] if i and i <= len(ends) else 0.0),
            "ends_at": job.created_at + ends[i] if i < len(ends) else None,
        }
        for i in range(len(words))
    ]
    done = summary["terminal"] and job.outcome.kind == "succeeded"
    images = [view.media_link(ref) for ref in emulator.media_refs(job)] if done else []
    return {
        **summary,
        "status": view.word(job, phase),
        "key_hint": key_hint(job.account),
        "key_fingerprint": key_fingerprint(job.account),
        "timeline": timeline,
        "by_reads": job.timeline.by_reads,
        "images": images,
        "now": now,
    }


async def jobs(app: MockApp, request: Request) -> Response:
    """Live jobs, newest first, filtered by provider, status word or key."""
    wanted = {k: request.query_params.get(k) for k in ("provider", "status", "key")}
    base = origin(request)
    found = []
    for job in sorted(app.emulator.jobs, key=lambda j: j.created_at, reverse=True):
        if wanted["provider"] and job.provider != wanted["provider"]:
            continue
        if wanted["key"] and key_fingerprint(job.account) != key_fingerprint(wanted["key"]):
            continue
        shown = job_view(app, job, base)
        if wanted["status"] and shown["status"] != wanted["status"]:
            continue
        found.append(shown)
        if len(found) >= _SHOWN_JOBS:
            break
    return json_response({"count": len(found), "jobs": found})


async def accounts(app: MockApp, request: Request) -> Response:
    """Every account the emulator knows, with balances and holds (keys as hints)."""
    listed = []
    for account in app.emulator.accounts:
        shown = account.to_dict()
        shown["key"] = key_hint(account.key)
        shown["key_fingerprint"] = key_fingerprint(account.key)
        listed.append(shown)
    listed.sort(key=lambda a: (str(a["provider"]), str(a["key"])))
    return json_response({"accounts": listed})


def _asset(name: str) -> bytes:
    from importlib import resources  # only when the console is opened

    return resources.files("mockserver.console").joinpath(name).read_bytes()


async def console_page(app: MockApp, request: Request) -> Response:
    return Response(_asset("index.html"), media_type="text/html; charset=utf-8", headers=_HEADERS)


async def console_asset(app: MockApp, request: Request) -> Response:
    name = request.path_params["asset"]
    if name not in _ASSETS:
        return json_response({"error": f"no console file {name!r}"}, 404)
    return Response(_asset(name), media_type=_ASSETS[name], headers=_HEADERS)
