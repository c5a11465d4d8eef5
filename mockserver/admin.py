"""The admin API under /__mock: health, reset, clock, profile, scenarios, chaos, latency,
accounts, journal, jobs, webhook deliveries, contracts, and its own OpenAPI document.

Each endpoint is a small function of the app and the request; `ROUTES` maps them.
Everything goes through the emulator's own operations, so the admin API is one more
client of the engine and holds no state of its own.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable, Collection
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route, Router
from starlette.types import ASGIApp, Receive, Scope, Send

from contracts import SCENARIOS, thaw
from contracts.openapi import openapi_document
from mockserver import admin_views as views
from mockserver.bodies import parse_json, read_body
from mockserver.engine import PROFILES, MockUsageError, Refusal
from mockserver.engine.errors import JournalMismatch
from mockserver.engine.journal import FILTERS
from mockserver.engine.scenarios import RULE_FIELDS
from mockserver.responses import json_response

if TYPE_CHECKING:
    from mockserver.app import MockApp

log = logging.getLogger("mockserver")

Endpoint = Callable[["MockApp", Request], Awaitable[Response]]
# No admin request needs more: a config's worth of rules, chaos or latency entries.
_BODY_BYTES = 1024 * 1024
_BOUNDS = ("count", "at_least", "at_most")


class _BadRequest(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        self.message = message
        self.status = status
        super().__init__(message)


async def _json(request: Request, allowed: Collection[str] | None = None) -> dict[str, Any]:
    """The body as a JSON object (empty is {}); with `allowed`, other fields are refused."""
    raw = await read_body(
        request.receive,
        _BODY_BYTES,
        lambda _: _BadRequest(f"request body is larger than {_BODY_BYTES} bytes", 413),
    )
    body: Any = {}
    if raw.strip():
        try:
            body = parse_json(raw)
        except Refusal as refusal:
            raise _BadRequest(refusal.message or "request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise _BadRequest("request body must be a JSON object")
    unknown = sorted(set(body) - set(allowed)) if allowed is not None else []
    if unknown:
        raise _BadRequest(
            f"unknown field(s): {', '.join(unknown)}; fields: {', '.join(sorted(allowed or ()))}"
        )
    return body


def _number(value: Any, name: str, kinds: tuple[type, ...] = (int,)) -> Any:
    if isinstance(value, bool) or not isinstance(value, kinds):
        kind = "an integer" if kinds == (int,) else "a number"
        raise _BadRequest(f"'{name}' must be {kind}, got {value!r}")
    return value


def _query(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if not raw.lstrip("-").isdigit():
        raise _BadRequest(f"query parameter '{name}' must be an integer, got {raw!r}")
    return int(raw)


def _origin(request: Request) -> str:
    return f"{request.url.scheme}://{request.headers.get('host', request.url.netloc)}"


async def health(app: MockApp, request: Request) -> Response:
    emulator = app.emulator
    return json_response(
        {
            "status": "ok",
            # Which process answered (one of several with --workers).
            "process": os.getpid(),
            "seed": emulator.seed,
            "profile": emulator.profile,
            "clock": {"now": emulator.clock.now(), "offset": emulator.clock.offset},
            "providers": app.base_urls(_origin(request)),
        }
    )


async def reset(app: MockApp, request: Request) -> Response:
    body = await _json(request, {"seed", "profile"})
    seed, profile = body.get("seed"), body.get("profile")
    if profile is not None and not isinstance(profile, str):
        raise _BadRequest(f"'profile' must be a string, got {profile!r}")
    app.emulator.reset(seed=None if seed is None else _number(seed, "seed"), profile=profile)
    answer = {"status": "reset", "seed": app.emulator.seed, "profile": app.emulator.profile}
    return json_response(answer)


async def clock(app: MockApp, request: Request) -> Response:
    if request.method == "POST":
        seconds = (await _json(request, {"seconds"})).get("seconds")
        app.emulator.advance(_number(seconds, "seconds", (int, float)))
    return json_response({"now": app.emulator.clock.now(), "offset": app.emulator.clock.offset})


async def profile(app: MockApp, request: Request) -> Response:
    if request.method == "PUT":
        name = (await _json(request, {"profile"})).get("profile")
        if not isinstance(name, str):
            raise _BadRequest(f"'profile' must be one of {', '.join(PROFILES)}")
        app.emulator.set_profile(name)
    return json_response({"profile": app.emulator.profile, "profiles": PROFILES})


async def scenarios(app: MockApp, request: Request) -> Response:
    emulator = app.emulator
    if request.method == "POST":
        body = await _json(request, RULE_FIELDS)
        if not isinstance(body.get("scenario"), str):
            raise _BadRequest("'scenario' is required: a scenario name")
        rule = emulator.queue_scenario(body.pop("scenario"), **body)
        return json_response(rule.to_dict(), 201)
    if request.method == "DELETE":
        emulator.rules.clear()
    return json_response(
        {
            "rules": [r.to_dict() for r in emulator.rules],
            "catalogue": {n: s.description for n, s in SCENARIOS.items()},
            "available": emulator.available,
        }
    )


async def scenario_rule(app: MockApp, request: Request) -> Response:
    rule_id = request.path_params["rule_id"]
    if not app.emulator.rules.remove(rule_id):
        raise _BadRequest(f"no scenario rule {rule_id!r}", 404)
    return json_response({"deleted": rule_id})


async def _table(request: Request) -> list[dict[str, Any]] | None:
    """A PUT of `{"entries": [...]}` replaces a table (chaos, latency); a GET reads it."""
    if request.method != "PUT":
        return None
    entries = (await _json(request, {"entries"})).get("entries", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise _BadRequest("'entries' must be a list of objects")
    return entries


async def chaos(app: MockApp, request: Request) -> Response:
    entries = await _table(request)
    if entries is not None:
        app.emulator.set_chaos(entries)
    return json_response({"entries": app.emulator.director.tables()["chaos"]})


async def latency(app: MockApp, request: Request) -> Response:
    entries = await _table(request)
    if entries is not None:
        app.emulator.set_latency(entries)
    return json_response({"entries": app.emulator.director.tables()["latency"]})


async def account(app: MockApp, request: Request) -> Response:
    emulator = app.emulator
    provider, key = request.path_params["provider"], request.path_params["key"]
    emulator.contract(provider)
    if request.method == "PUT":
        body = await _json(request, {"balance", "webhook_key"})
        if not body:
            raise _BadRequest("set 'balance' and/or 'webhook_key'")
        if "balance" in body:
            emulator.set_balance(provider, key, body["balance"])
        if "webhook_key" in body:
            secret = body["webhook_key"]
            if secret is not None and not isinstance(secret, str):
                raise _BadRequest("'webhook_key' must be a string, or null to stop signing")
            emulator.set_webhook_key(provider, key, secret)
    found = emulator.account(provider, key) or emulator.accounts.authenticate(provider, key)
    if found is None:
        raise _BadRequest(f"{provider} lists its keys and {key!r} is not one of them", 404)
    return json_response(found.to_dict())


def _filters(request: Request, *extra: str) -> dict[str, Any]:
    """The journal filters in the query; any other parameter is named and refused."""
    unknown = sorted(set(request.query_params) - {*FILTERS, *extra})
    if unknown:
        known = ", ".join((*FILTERS, *extra))
        raise _BadRequest(f"unknown journal filter(s) {', '.join(unknown)}; filters: {known}")
    given: dict[str, Any] = {n: request.query_params.get(n) for n in FILTERS}
    given["status"] = _query(request, "status")
    return given


async def journal(app: MockApp, request: Request) -> Response:
    log_ = app.emulator.journal
    entries = log_.query(limit=_query(request, "limit"), **_filters(request, "limit", "format"))
    if request.query_params.get("format") == "jsonl":
        return Response(log_.jsonl(entries), media_type="application/x-ndjson")
    return json_response({"count": len(entries), "entries": [e.to_dict() for e in entries]})


async def journal_count(app: MockApp, request: Request) -> Response:
    return json_response({"count": app.emulator.journal.count(**_filters(request))})


async def journal_verify(app: MockApp, request: Request) -> Response:
    body = await _json(request, {*_BOUNDS, *FILTERS})
    bounds = {k: _number(body.pop(k), k) for k in _BOUNDS if k in body}
    try:
        found = app.emulator.journal.verify(**bounds, **body)
    except JournalMismatch as mismatch:
        # ?report=true answers a mismatch as a finding, not an error (the QA console).
        report = request.query_params.get("report") == "true"
        return json_response({"ok": False, "message": str(mismatch)}, 200 if report else 409)
    return json_response({"ok": True, "count": len(found)})


async def job(app: MockApp, request: Request) -> Response:
    job_id = request.path_params["job_id"]
    found = app.emulator.job_summary(job_id)
    if found is None:
        raise _BadRequest(f"no live job {job_id!r} (unknown, or past its retention)", 404)
    return json_response(found)


async def webhooks(app: MockApp, request: Request) -> Response:
    found = app.emulator.webhooks.deliveries(request.query_params.get("job_id"))
    return json_response(
        {
            "count": len(found),
            "pending": app.emulator.webhooks.pending,
            "queue": app.emulator.webhooks.queue(),
            "deliveries": [d.to_dict() for d in found],
        }
    )


async def contract(app: MockApp, request: Request) -> Response:
    return json_response(app.emulator.contract(request.path_params["provider"]).to_dict())


async def openapi(app: MockApp, request: Request) -> Response:
    from mockserver.admin_openapi import ADMIN_OPENAPI  # on demand: start-up skips it

    return json_response(thaw(ADMIN_OPENAPI))


async def provider_openapi(app: MockApp, request: Request) -> Response:
    found = app.emulator.contract(request.path_params["provider"])
    return json_response(openapi_document(found, _origin(request) + found.prefix))


# (path, endpoint, methods, open without a token)
ROUTES: tuple[tuple[str, Endpoint, tuple[str, ...], bool], ...] = (
    # The QA console: a page and its files (no data; what it shows comes from below).
    ("/", views.console_page, ("GET",), True),
    ("/console/{asset}", views.console_asset, ("GET",), True),
    ("/health", health, ("GET",), True),
    ("/openapi.json", openapi, ("GET",), True),
    ("/openapi/{provider}.json", provider_openapi, ("GET",), True),
    ("/reset", reset, ("POST",), False),
    ("/clock", clock, ("GET",), False),
    ("/clock/advance", clock, ("POST",), False),
    ("/profile", profile, ("GET", "PUT"), False),
    ("/scenarios", scenarios, ("GET", "POST", "DELETE"), False),
    ("/scenarios/{rule_id}", scenario_rule, ("DELETE",), False),
    ("/chaos", chaos, ("GET", "PUT"), False),
    ("/latency", latency, ("GET", "PUT"), False),
    ("/accounts/{provider}/{key}", account, ("GET", "PUT"), False),
    ("/journal", journal, ("GET",), False),
    ("/journal/count", journal_count, ("GET",), False),
    ("/journal/verify", journal_verify, ("POST",), False),
    ("/jobs", views.jobs, ("GET",), False),
    ("/jobs/{job_id}", job, ("GET",), False),
    ("/accounts", views.accounts, ("GET",), False),
    ("/webhooks", webhooks, ("GET",), False),
    ("/contracts/{provider}", contract, ("GET",), False),
)


def _guarded(
    app: MockApp, endpoint: Endpoint, open_to_all: bool
) -> Callable[[Request], Awaitable[Response]]:
    async def run(request: Request) -> Response:
        refused = app.admin.refusal(request, open_to_all=open_to_all)
        if refused is not None:
            return refused
        try:
            return await endpoint(app, request)
        except _BadRequest as exc:
            return json_response({"error": exc.message}, exc.status)
        except (MockUsageError, TypeError) as exc:
            return json_response({"error": str(exc)}, 400)
        except Exception as exc:  # the safety net: an emulator bug still answers in JSON
            log.exception("emulator error in the admin API at %s", request.url.path)
            message = f"internal emulator error ({type(exc).__name__}): {exc}"
            return json_response({"error": message}, 500, {"x-mock-error": "emulator-bug"})

    return run


async def _not_found(scope: Scope, receive: Receive, send: Send) -> None:
    await json_response({"error": f"no admin endpoint at {scope['path']}"}, 404)(
        scope, receive, send
    )


def build_admin(app: MockApp) -> ASGIApp:
    routes = [
        Route(path, _guarded(app, endpoint, open_to_all), methods=list(methods))
        for path, endpoint, methods, open_to_all in ROUTES
    ]
    return Router([Mount("/__mock", app=Router(routes, default=_not_found))], default=_not_found)
