"""The admin API under /__mock: health, reset, clock, profile, scenarios, chaos, latency,
accounts, journal, jobs, webhook deliveries, contracts, and its own OpenAPI document."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route, Router
from starlette.types import ASGIApp, Receive, Scope, Send

from contracts import SCENARIOS
from contracts.openapi import openapi_document
from mockserver.admin_openapi import ADMIN_OPENAPI
from mockserver.bodies import parse_json
from mockserver.engine import PROFILES, MockUsageError, Refusal
from mockserver.engine.journal import JournalMismatch
from mockserver.responses import json_response

if TYPE_CHECKING:
    from mockserver.app import MockApp

log = logging.getLogger("mockserver")

Endpoint = Callable[[Request], Awaitable[Response]]
_RULE_FIELDS = {
    "scenario",
    "provider",
    "operation",
    "model",
    "key",
    "prompt",
    "times",
    "expires_in",
}
_JOURNAL_FILTERS = ("provider", "operation", "method", "scenario", "job_id", "key")


class _BadRequest(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        self.message = message
        self.status = status
        super().__init__(message)


# No admin request needs more: a config's worth of rules, chaos or latency entries.
_ADMIN_BODY_BYTES = 1024 * 1024


async def _read(request: Request) -> bytes:
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > _ADMIN_BODY_BYTES:
            raise _BadRequest(f"request body is larger than {_ADMIN_BODY_BYTES} bytes", 413)
        chunks.append(chunk)
    return b"".join(chunks)


async def _json(request: Request, allowed: set[str] | None = None) -> dict[str, Any]:
    """The body as a JSON object (empty is {}); with `allowed`, other fields are refused."""
    raw = await _read(request)
    body: Any = {}
    if raw.strip():
        try:
            body = parse_json(raw)
        except Refusal as refusal:
            raise _BadRequest(refusal.message or "request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise _BadRequest("request body must be a JSON object")
    if allowed is not None:
        unknown = sorted(set(body) - allowed)
        if unknown:
            raise _BadRequest(
                f"unknown field(s): {', '.join(unknown)}; fields: {', '.join(sorted(allowed))}"
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


async def _table(request: Request, replace: Callable[[list[dict[str, Any]]], None]) -> None:
    """A PUT of `{"entries": [...]}` replaces a table (chaos, latency); a GET reads it."""
    if request.method != "PUT":
        return
    entries = (await _json(request, {"entries"})).get("entries", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise _BadRequest("'entries' must be a list of objects")
    replace(entries)


_LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


@dataclass(frozen=True)
class AdminPolicy:
    """Who may use the admin API.

    - `token`: required (X-Admin-Token or Authorization: Bearer) except on the open
      endpoints (health, the OpenAPI documents);
    - `hosts`: the Host names it answers to; a request naming another host is refused,
      as a DNS-rebinding page would send. None answers to any (an in-process app, or a
      server on a wildcard address, which always has a token).
    Whatever the host, a request a browser marks as cross-origin (an `Origin` that is
    not the server's own, or `Sec-Fetch-Site: cross-site`) is refused.
    """

    token: str | None = None
    hosts: frozenset[str] | None = None

    @classmethod
    def listening(
        cls, host: str, token: str | None, extra_hosts: Collection[str] = ()
    ) -> AdminPolicy:
        """The policy for a server bound to `host`."""
        bare = host.strip("[]").lower()
        if bare in ("", "0.0.0.0", "::"):
            return cls(token, None)
        names = {bare, *(h.lower() for h in extra_hosts)}
        if bare in _LOOPBACK_NAMES or bare.startswith("127."):
            names |= _LOOPBACK_NAMES
        return cls(token, frozenset(names))

    def refusal(self, request: Request, *, open_to_all: bool) -> Response | None:
        """The answer refusing `request`, or None when it may go on."""
        host = request.headers.get("host", "")
        name = _hostname(host)
        if self.hosts is not None and name not in self.hosts:
            allowed = ", ".join(sorted(self.hosts))
            message = (
                f"the admin API answers to {allowed} only, not {name!r} (a page that rebinds "
                "a name to this address would send that); add the name with --admin-host"
            )
            return json_response({"error": message}, 403)
        origin = request.headers.get("origin")
        site = request.headers.get("sec-fetch-site", "")
        if (origin is not None and _origin_host(origin) != host.lower()) or site in (
            "cross-site",
            "same-site",
        ):
            message = f"cross-origin admin requests are refused (Origin {origin or site!r})"
            return json_response({"error": message}, 403)
        if self.token and not open_to_all and not _token_ok(request, self.token):
            message = "the admin API requires the header X-Admin-Token (grok-mock prints it)"
            return json_response({"error": message}, 401)
        return None


def _hostname(host: str) -> str:
    host = host.lower()
    if host.startswith("["):
        return host[1 : host.find("]")]
    name, _, port = host.rpartition(":")
    return name if name and port.isdigit() else host


def _origin_host(origin: str) -> str | None:
    parts = urlsplit(origin)
    return parts.netloc.lower() if parts.scheme in ("http", "https") and parts.netloc else None


def _token_ok(request: Request, token: str) -> bool:
    given = request.headers.get("x-admin-token")
    if given is None:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        given = value if scheme.lower() == "bearer" else None
    # Headers arrive as latin-1 text: compare the bytes, whatever characters they hold.
    return given is not None and secrets.compare_digest(
        given.encode("latin-1", "replace"), token.encode("utf-8")
    )


def _guarded(policy: AdminPolicy, endpoint: Endpoint, *, open_to_all: bool = False) -> Endpoint:
    async def run(request: Request) -> Response:
        refused = policy.refusal(request, open_to_all=open_to_all)
        if refused is not None:
            return refused
        try:
            return await endpoint(request)
        except _BadRequest as exc:
            return json_response({"error": exc.message}, exc.status)
        except (MockUsageError, TypeError) as exc:
            return json_response({"error": str(exc)}, 400)
        except Exception as exc:  # the safety net: an emulator bug still answers in JSON
            log.exception("emulator error in the admin API at %s", request.url.path)
            message = f"internal emulator error ({type(exc).__name__}): {exc}"
            return json_response({"error": message}, 500, {"x-mock-error": "emulator-bug"})

    return run


def build_admin(app: MockApp) -> ASGIApp:
    emulator = app.emulator

    async def health(request: Request) -> Response:
        origin = f"{request.url.scheme}://{request.headers.get('host', request.url.netloc)}"
        return json_response(
            {
                "status": "ok",
                "seed": emulator.seed,
                "profile": emulator.profile,
                "clock": {"now": emulator.clock.now(), "offset": emulator.clock.offset},
                "providers": app.base_urls(origin),
            }
        )

    async def reset(request: Request) -> Response:
        body = await _json(request, {"seed", "profile"})
        seed = body.get("seed")
        profile = body.get("profile")
        if profile is not None and not isinstance(profile, str):
            raise _BadRequest(f"'profile' must be a string, got {profile!r}")
        emulator.reset(seed=None if seed is None else _number(seed, "seed"), profile=profile)
        return json_response(
            {"status": "reset", "seed": emulator.seed, "profile": emulator.profile}
        )

    async def clock(request: Request) -> Response:
        if request.method == "POST":
            seconds = (await _json(request, {"seconds"})).get("seconds")
            emulator.advance(_number(seconds, "seconds", (int, float)))
        return json_response({"now": emulator.clock.now(), "offset": emulator.clock.offset})

    async def profile(request: Request) -> Response:
        if request.method == "PUT":
            name = (await _json(request, {"profile"})).get("profile")
            if not isinstance(name, str):
                raise _BadRequest(f"'profile' must be one of {', '.join(PROFILES)}")
            emulator.set_profile(name)
        return json_response({"profile": emulator.profile, "profiles": PROFILES})

    async def scenarios(request: Request) -> Response:
        if request.method == "POST":
            body = await _json(request, _RULE_FIELDS)
            if not isinstance(body.get("scenario"), str):
                raise _BadRequest("'scenario' is required: a scenario name")
            for name in ("provider", "operation", "model", "key", "prompt"):
                if body.get(name) is not None and not isinstance(body[name], str):
                    raise _BadRequest(f"'{name}' must be a string")
            if body.get("times") is not None:
                _number(body["times"], "times")
            if body.get("expires_in") is not None:
                _number(body["expires_in"], "expires_in", (int, float))
            body.setdefault("times", 1)
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

    async def scenario_rule(request: Request) -> Response:
        rule_id = request.path_params["rule_id"]
        if not emulator.rules.remove(rule_id):
            raise _BadRequest(f"no scenario rule {rule_id!r}", 404)
        return json_response({"deleted": rule_id})

    async def chaos(request: Request) -> Response:
        await _table(request, emulator.set_chaos)
        return json_response({"entries": [e.to_dict() for e in emulator.director.chaos.entries]})

    async def latency(request: Request) -> Response:
        await _table(request, emulator.set_latency)
        return json_response({"entries": [e.to_dict() for e in emulator.director.latency.entries]})

    async def account(request: Request) -> Response:
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

    def filters(request: Request) -> dict[str, Any]:
        given: dict[str, Any] = {n: request.query_params.get(n) for n in _JOURNAL_FILTERS}
        given["status"] = _query(request, "status")
        return given

    async def journal(request: Request) -> Response:
        entries = emulator.journal.query(limit=_query(request, "limit"), **filters(request))
        if request.query_params.get("format") == "jsonl":
            return Response(emulator.journal.jsonl(entries), media_type="application/x-ndjson")
        return json_response({"count": len(entries), "entries": [e.to_dict() for e in entries]})

    async def journal_count(request: Request) -> Response:
        return json_response({"count": emulator.journal.count(**filters(request))})

    async def journal_verify(request: Request) -> Response:
        body = await _json(request, {"count", "at_least", "at_most", "status", *_JOURNAL_FILTERS})
        bounds = {k: _number(body.pop(k), k) for k in ("count", "at_least", "at_most") if k in body}
        try:
            found = emulator.journal.verify(**bounds, **body)
        except JournalMismatch as mismatch:
            return json_response({"ok": False, "message": str(mismatch)}, 409)
        return json_response({"ok": True, "count": len(found)})

    async def job(request: Request) -> Response:
        job_id = request.path_params["job_id"]
        found = emulator.job_summary(job_id)
        if found is None:
            raise _BadRequest(f"no live job {job_id!r} (unknown, or past its retention)", 404)
        return json_response(found)

    async def webhooks(request: Request) -> Response:
        found = emulator.webhooks.deliveries(request.query_params.get("job_id"))
        return json_response({"count": len(found), "deliveries": [d.to_dict() for d in found]})

    async def contract(request: Request) -> Response:
        return json_response(emulator.contract(request.path_params["provider"]).to_dict())

    async def openapi(request: Request) -> Response:
        return json_response(ADMIN_OPENAPI)

    async def provider_openapi(request: Request) -> Response:
        contract = emulator.contract(request.path_params["provider"])
        origin = f"{request.url.scheme}://{request.headers.get('host', request.url.netloc)}"
        return json_response(openapi_document(contract, origin + contract.prefix))

    def route(path: str, endpoint: Endpoint, *methods: str, open_to_all: bool = False) -> Route:
        return Route(
            path, _guarded(app.admin, endpoint, open_to_all=open_to_all), methods=list(methods)
        )

    routes = [
        route("/health", health, "GET", open_to_all=True),
        route("/openapi.json", openapi, "GET", open_to_all=True),
        route("/openapi/{provider}.json", provider_openapi, "GET", open_to_all=True),
        route("/reset", reset, "POST"),
        route("/clock", clock, "GET"),
        route("/clock/advance", clock, "POST"),
        route("/profile", profile, "GET", "PUT"),
        route("/scenarios", scenarios, "GET", "POST", "DELETE"),
        route("/scenarios/{rule_id}", scenario_rule, "DELETE"),
        route("/chaos", chaos, "GET", "PUT"),
        route("/latency", latency, "GET", "PUT"),
        route("/accounts/{provider}/{key}", account, "GET", "PUT"),
        route("/journal", journal, "GET"),
        route("/journal/count", journal_count, "GET"),
        route("/journal/verify", journal_verify, "POST"),
        route("/jobs/{job_id}", job, "GET"),
        route("/webhooks", webhooks, "GET"),
        route("/contracts/{provider}", contract, "GET"),
    ]

    async def not_found(scope: Scope, receive: Receive, send: Send) -> None:
        body = {"error": f"no admin endpoint at {scope['path']}"}
        await json_response(body, 404)(scope, receive, send)

    return Router([Mount("/__mock", app=Router(routes, default=not_found))], default=not_found)
