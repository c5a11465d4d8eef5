"""The admin API under /__mock: health, reset, clock, profile, scenarios, accounts,
journal, jobs, webhook deliveries and contracts."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route, Router
from starlette.types import ASGIApp, Receive, Scope, Send

from contracts import SCENARIOS
from mockserver.engine import PROFILES, MockUsageError
from mockserver.responses import json_response

if TYPE_CHECKING:
    from mockserver.app import MockApp

Endpoint = Callable[[Request], Awaitable[Response]]


class _BadRequest(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        self.message = message
        self.status = status
        super().__init__(message)


def _guarded(endpoint: Endpoint) -> Endpoint:
    async def run(request: Request) -> Response:
        try:
            return await endpoint(request)
        except _BadRequest as exc:
            return json_response({"error": exc.message}, exc.status)
        except MockUsageError as exc:
            return json_response({"error": str(exc)}, 400)

    return run


async def _json(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _BadRequest(f"request body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise _BadRequest("request body must be a JSON object")
    return body


def _int(value: Any, name: str, *, optional: bool = True) -> int | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _BadRequest(f"'{name}' must be an integer, got {value!r}")
    return value


def _query_int(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if not raw.lstrip("-").isdigit():
        raise _BadRequest(f"query parameter '{name}' must be an integer, got {raw!r}")
    return int(raw)


def _nowhere(path: str) -> Response:
    return json_response({"error": f"no admin endpoint at {path}"}, 404)


def build_admin(app: MockApp) -> ASGIApp:
    emulator = app.emulator

    def origin(request: Request) -> str:
        return f"{request.url.scheme}://{request.headers.get('host', request.url.netloc)}"

    async def health(request: Request) -> Response:
        return json_response(
            {
                "status": "ok",
                "seed": emulator.seed,
                "profile": emulator.profile,
                "clock": {"now": emulator.clock.now(), "offset": emulator.clock.offset},
                "providers": app.base_urls(origin(request)),
            }
        )

    async def reset(request: Request) -> Response:
        body = await _json(request)
        profile = body.get("profile")
        if profile is not None and not isinstance(profile, str):
            raise _BadRequest(f"'profile' must be a string, got {profile!r}")
        emulator.reset(seed=_int(body.get("seed"), "seed"), profile=profile)
        return json_response(
            {"status": "reset", "seed": emulator.seed, "profile": emulator.profile}
        )

    async def clock(request: Request) -> Response:
        return json_response({"now": emulator.clock.now(), "offset": emulator.clock.offset})

    async def advance(request: Request) -> Response:
        seconds = (await _json(request)).get("seconds")
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
            raise _BadRequest(f"'seconds' must be a number, got {seconds!r}")
        now = emulator.advance(seconds)
        return json_response({"now": now, "offset": emulator.clock.offset})

    async def profile(request: Request) -> Response:
        if request.method == "PUT":
            name = (await _json(request)).get("profile")
            if not isinstance(name, str):
                raise _BadRequest(f"'profile' must be one of {', '.join(PROFILES)}")
            emulator.set_profile(name)
        return json_response({"profile": emulator.profile, "profiles": PROFILES})

    async def scenarios(request: Request) -> Response:
        if request.method == "POST":
            body = await _json(request)
            unknown = sorted(set(body) - {"scenario", "provider", "operation", "times"})
            if unknown:
                raise _BadRequest(f"unknown field(s): {', '.join(unknown)}")
            name = body.get("scenario")
            if not isinstance(name, str):
                raise _BadRequest("'scenario' is required: a scenario name")
            for field in ("provider", "operation"):
                if body.get(field) is not None and not isinstance(body[field], str):
                    raise _BadRequest(f"'{field}' must be a string")
            times = body.get("times", 1)
            rule = emulator.queue_scenario(
                name,
                provider=body.get("provider"),
                operation=body.get("operation"),
                times=_int(times, "times"),
            )
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

    async def account(request: Request) -> Response:
        provider, key = request.path_params["provider"], request.path_params["key"]
        emulator.contract(provider)
        if request.method == "PUT":
            body = await _json(request)
            unknown = sorted(set(body) - {"balance", "webhook_key"})
            if unknown or not body:
                raise _BadRequest(
                    f"set 'balance' and/or 'webhook_key'; unknown field(s): {', '.join(unknown)}"
                    if unknown
                    else "set 'balance' and/or 'webhook_key'"
                )
            if "balance" in body:
                emulator.set_balance(provider, key, body["balance"])
            if "webhook_key" in body:
                secret = body["webhook_key"]
                if secret is not None and not isinstance(secret, str):
                    raise _BadRequest("'webhook_key' must be a string, or null to stop signing")
                emulator.set_webhook_key(provider, key, secret)
        found = emulator.account(provider, key)
        if found is None:
            found = emulator.accounts.authenticate(provider, key)
        if found is None:
            raise _BadRequest(f"{provider} lists its keys and {key!r} is not one of them", 404)
        return json_response(found.to_dict())

    async def journal(request: Request) -> Response:
        query = request.query_params
        entries = emulator.journal.query(
            provider=query.get("provider"),
            operation=query.get("operation"),
            status=_query_int(request, "status"),
            job_id=query.get("job_id"),
            key=query.get("key"),
            limit=_query_int(request, "limit"),
        )
        return json_response({"count": len(entries), "entries": [e.to_dict() for e in entries]})

    async def job(request: Request) -> Response:
        job_id = request.path_params["job_id"]
        found = emulator.job(job_id)
        if found is None:
            raise _BadRequest(f"no live job {job_id!r} (unknown, or past its retention)", 404)
        return json_response(found.summary(emulator.clock.now()))

    async def webhooks(request: Request) -> Response:
        found = emulator.webhooks.deliveries(request.query_params.get("job_id"))
        return json_response({"count": len(found), "deliveries": [d.to_dict() for d in found]})

    async def contract(request: Request) -> Response:
        return json_response(emulator.contract(request.path_params["provider"]).to_dict())

    routes = [
        Route("/health", _guarded(health), methods=["GET"]),
        Route("/reset", _guarded(reset), methods=["POST"]),
        Route("/clock", _guarded(clock), methods=["GET"]),
        Route("/clock/advance", _guarded(advance), methods=["POST"]),
        Route("/profile", _guarded(profile), methods=["GET", "PUT"]),
        Route("/scenarios", _guarded(scenarios), methods=["GET", "POST", "DELETE"]),
        Route("/scenarios/{rule_id}", _guarded(scenario_rule), methods=["DELETE"]),
        Route("/accounts/{provider}/{key}", _guarded(account), methods=["GET", "PUT"]),
        Route("/journal", _guarded(journal), methods=["GET"]),
        Route("/jobs/{job_id}", _guarded(job), methods=["GET"]),
        Route("/webhooks", _guarded(webhooks), methods=["GET"]),
        Route("/contracts/{provider}", _guarded(contract), methods=["GET"]),
    ]

    async def not_found(scope: Scope, receive: Receive, send: Send) -> None:
        await _nowhere(scope["path"])(scope, receive, send)

    return Router([Mount("/__mock", app=Router(routes, default=not_found))], default=not_found)
