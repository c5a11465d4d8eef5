"""A provider surface: the contract's operations routed to handlers.

Routing is ours rather than Starlette's because an unknown path or a wrong
method must answer in the provider's own shape (Segmind's 405 is an HTML page).
Every exception ends as one of the contract's error cases: no bare 500.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from contracts import NETWORK_SCENARIOS, Contract, Operation, Param
from mockserver.engine import (
    Account,
    Choice,
    Emulator,
    Job,
    JournalEntry,
    MockUsageError,
    Refusal,
    format_amount,
)
from mockserver.engine.inputs import ImageInfo, InputImageError, NotFetched, input_image
from mockserver.engine.journal import bounded, key_fingerprint, key_hint
from mockserver.engine.scenarios import RequestFacts
from mockserver.faults import AFTER_HANDLING, FaultResponse, NetworkFault
from mockserver.responses import render_refusal

log = logging.getLogger("mockserver")

Handler = Callable[["Call"], Awaitable[Response]]
_PARAM = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True, slots=True)
class _Route:
    operation: Operation
    pattern: re.Pattern[str]
    handler: Handler


def _compile(path: str) -> re.Pattern[str]:
    """'/v2/requests/{request_id}/status' -> a regex with one named group per segment."""
    parts = []
    last = 0
    for match in _PARAM.finditer(path):
        parts.append(re.escape(path[last : match.start()]))
        parts.append(f"(?P<{match.group(1)}>[^/]+)")
        last = match.end()
    parts.append(re.escape(path[last:]))
    return re.compile("^" + "".join(parts) + "$")


class Call:
    """One provider request in flight, with what every handler needs."""

    __slots__ = (
        "_body_read",
        "_raw",
        "account",
        "base_url",
        "contract",
        "emulator",
        "entry",
        "fault",
        "key",
        "operation",
        "params",
        "request",
        "warnings",
    )

    def __init__(
        self,
        request: Request,
        emulator: Emulator,
        contract: Contract,
        operation: Operation,
        entry: JournalEntry,
        base_url: str,
        params: dict[str, str],
    ) -> None:
        self.request = request
        self.emulator = emulator
        self.contract = contract
        self.operation = operation
        self.entry = entry
        self.base_url = base_url
        self.params = params
        self.account: Account | None = None
        self.key: str | None = None
        self.warnings: list[str] = []
        # A network fault that strikes once the request is handled (truncated, slow).
        self.fault: str | None = None
        self._body_read = False
        self._raw = b""

    @property
    def provider(self) -> str:
        return self.contract.provider

    def header(self, name: str) -> str | None:
        return self.request.headers.get(name)

    def note_key(self, key: str | None) -> None:
        self.key = key
        self.entry.key_hint = key_hint(key)
        self.entry.key_fingerprint = key_fingerprint(key)

    def authenticate(self, key: str | None) -> Account:
        self.note_key(key)
        self.account = self.emulator.authenticate(self.provider, key)
        return self.account

    def warn(self, message: str) -> None:
        """Tell the client (in `X-Mock-Warning`) and the journal what was let through."""
        self.warnings.append(message)

    def ignore_unknown(self, names: Sequence[str]) -> None:
        """Fields the provider does not know: ignored, as a gateway would, but named."""
        if names:
            shown = ", ".join(names[:_NAMED])
            more = f" and {len(names) - _NAMED} more" if len(names) > _NAMED else ""
            self.warn(f"{UNKNOWN_FIELDS}: {shown}{more}")

    def open_job(self, **details: Any) -> Job:
        """Accept a job for this call: its provider, operation and X-Mock-Profile filled in."""
        job = self.emulator.open_job(
            provider=self.provider,
            operation=self.operation.id,
            profile=self.profile(),
            **details,
        )
        self.entry.job_id = job.id
        return job

    def early_refusal(self) -> None:
        """Answer a refusal named by header before reading the body.

        QA can force any error with a bare `curl -H 'X-Mock-Scenario: ...'`.
        """
        if self.header("x-mock-scenario"):
            self.choose()

    def facts(self, *, prompt: Any = None, model: Any = None) -> RequestFacts:
        return RequestFacts(
            self.provider,
            self.operation.id,
            self.operation.kind == "submit",
            key=self.key,
            model=model if isinstance(model, str) else None,
            prompt=prompt if isinstance(prompt, str) else None,
        )

    def choose(self, *, prompt: Any = None, model: Any = None) -> Choice:
        """The scenario for this call; raises the refusal or network fault if it is one."""
        facts = self.facts(prompt=prompt, model=model)
        choice = self.emulator.choose(facts, header=self.header("x-mock-scenario"))
        self.entry.scenario = choice.scenario
        self.entry.scenario_source = choice.source
        if choice.scenario in NETWORK_SCENARIOS:
            self.emulator.commit(choice)
            if choice.scenario not in AFTER_HANDLING:
                raise NetworkFault(choice.scenario)
            self.fault = choice.scenario
            return choice
        if choice.scenario not in self.contract.errors:
            return choice
        if choice.scenario == "insufficient-credits":
            # A submit is refused where its bill is known, so the message names it.
            if facts.submit:
                return choice
            raise self.emulator.refuse(choice, **self._credit_fields())
        raise self.emulator.refuse(choice)

    def _credit_fields(self) -> dict[str, str]:
        cheapest = min(m.price_per_image for m in self.contract.models.values())
        balance = self.account.available if self.account else Decimal(0)
        return {"balance": format_amount(balance), "required": format_amount(cheapest)}

    def profile(self) -> str | None:
        """A per-job profile asked for with `X-Mock-Profile`."""
        return self.header("x-mock-profile") or None

    async def body_bytes(self) -> bytes:
        limit = self.emulator.settings.max_body_bytes
        declared = self.header("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise Refusal("payload-too-large", _too_large(int(declared), limit))
        chunks = []
        size = 0
        async for chunk in self.request.stream():
            size += len(chunk)
            if size > limit:
                raise Refusal("payload-too-large", _too_large(size, limit))
            chunks.append(chunk)
        self._body_read = True
        self._raw = b"".join(chunks)
        return self._raw

    async def finish_reading(self) -> None:
        """Take whatever the client is still sending, so the connection can fail cleanly."""
        if not self._body_read:
            with contextlib.suppress(ClientDisconnect, RuntimeError):
                async for _ in self.request.stream():
                    pass
            self._body_read = True

    async def json_object(self) -> dict[str, Any]:
        """The body as a JSON object, or the provider's malformed-body refusal."""
        raw = await self.body_bytes()
        if not raw.strip():
            raise Refusal("malformed-body", "Request body is empty; expected a JSON object")
        body = parse_json(raw)
        if not isinstance(body, dict):
            kind = {list: "an array", str: "a string", bool: "a boolean"}.get(type(body), "a value")
            raise Refusal("malformed-body", f"Request body must be a JSON object, got {kind}")
        self.journal_body(body)
        return body

    def journal_body(self, body: Any) -> None:
        """Journal the parsed body, within the journal's byte limit."""
        limit = self.emulator.settings.journal_body_bytes
        self.entry.body = bounded(body, limit, self._raw or None)

    async def form_object(self, params: Sequence[Param]) -> dict[str, Any]:
        """A multipart body as the JSON object it stands for.

        Form fields are text; each is read as its parameter's type where it can
        be, so validation reports what is really wrong. Files become base64.
        """
        limit = self.emulator.settings.max_body_bytes
        declared = self.header("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise Refusal("payload-too-large", _too_large(int(declared), limit))
        types = {p.name: p.type for p in params}
        try:
            form = await self.request.form(max_part_size=limit)
        except ClientDisconnect:
            raise
        except Exception as exc:  # multipart's parser raises several unrelated types
            raise Refusal("malformed-body", f"Request body is not valid multipart: {exc}") from None
        body: dict[str, Any] = {}
        for name, value in form.multi_items():
            if isinstance(value, str):
                body[name] = _from_text(value, types.get(name))
            else:
                body[name] = base64.b64encode(await value.read()).decode("ascii")
        where = _surrogate_in(body)
        if where is not None:
            raise Refusal("malformed-body", f"'{where}' {_SURROGATE}")
        self.journal_body(body)
        return body

    async def read_image(self, text: str, field: str) -> tuple[ImageInfo | None, str | None]:
        """An input image's size, and the failure it will cause (None if it is readable).

        A URL the emulator may not fetch is named in X-Mock-Warning, never silently
        skipped; the caller keeps the ratio it was asked for.
        """
        try:
            return await input_image(self.emulator, text), None
        except InputImageError as exc:
            return None, f"Invalid value for '{field}': {exc}"
        except NotFetched as skipped:
            self.warn(f"{field}: {skipped}; the output keeps the requested aspect ratio")
            return None, None

    def url(self, path: str) -> str:
        return self.base_url + path


_SURROGATE = "holds a lone UTF-16 surrogate, which is not valid Unicode"
_MAYBE_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value (JSON has no NaN or Infinity)")


def _finite(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"the number {text[:40]} is out of range")
    return value


def parse_json(raw: bytes) -> Any:
    """Strict JSON, as the providers' own parsers are: no NaN, no Infinity, no numbers
    past float range, no lone surrogates; anything else is the malformed-body refusal."""
    try:
        body = json.loads(raw, parse_constant=_no_constant, parse_float=_finite)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise Refusal(
            "malformed-body", f"Request body is not valid JSON: {exc.msg} ({where})"
        ) from None
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise Refusal("malformed-body", f"Request body is not valid JSON: {exc}") from None
    if _deeper_than(body, MAX_DEPTH):
        raise Refusal(
            "malformed-body",
            f"Request body is not valid JSON: nested more than {MAX_DEPTH} levels deep",
        )
    if _MAYBE_SURROGATE.search(raw):
        found = _surrogate_in(body)
        if found is not None:
            message = f"Request body is not valid JSON: '{found}' {_SURROGATE}"
            raise Refusal("malformed-body", message)
    return body


def _deeper_than(body: Any, limit: int) -> bool:
    """Whether arrays and objects nest more than `limit` levels (without recursing)."""
    stack = [(body, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, (list, dict)):
            if depth > limit:
                return True
            items = value.values() if isinstance(value, dict) else value
            stack.extend((item, depth + 1) for item in items if isinstance(item, (list, dict)))
    return False


def _surrogate_in(value: Any, path: str = "") -> str | None:
    """The path of the first string (or key) holding a lone surrogate, if any."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path or "(the body)"
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            found = _surrogate_in(key, where) or _surrogate_in(item, where)
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _surrogate_in(item, f"{path}[{index}]")
            if found is not None:
                return found
    return None


# How an unknown request field is named in X-Mock-Warning (adapter checks look for it).
UNKNOWN_FIELDS = "ignored unknown parameter(s)"
_NAMED = 20
# serde_json's default recursion limit, which xAI's parser has: deeper bodies are refused.
MAX_DEPTH = 128
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _header_text(text: str, limit: int = 1000) -> str:
    """Client-supplied names in a header: ASCII only (escaped), and not endless."""
    text = text.encode("ascii", "backslashreplace").decode("ascii")
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text).strip()
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _from_text(value: str, kind: str | None) -> Any:
    try:
        if kind == "integer":
            return int(value)
        if kind == "number":
            return _finite(value) if value.strip().lower() not in _NOT_NUMBERS else value
    except ValueError:
        return value
    if kind == "boolean" and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


_NOT_NUMBERS = ("nan", "+nan", "-nan")


def _too_large(size: int, limit: int) -> str:
    return f"Request body is {size} bytes; the limit is {limit} bytes"


class Surface:
    """One provider's routes, each bound to the contract operation it serves."""

    def __init__(self, contract: Contract, handlers: Mapping[str, Handler]) -> None:
        missing = [op.id for op in contract.operations if op.id not in handlers]
        if missing:
            raise ValueError(f"{contract.provider}: no handler for {', '.join(missing)}")
        self.contract = contract
        self._routes = [
            _Route(op, _compile(op.path), handlers[op.id]) for op in contract.operations
        ]

    async def handle(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        *,
        emulator: Emulator,
        entry: JournalEntry,
        record: Callable[[], None],
        route_path: str,
        base_url: str,
    ) -> None:
        """Answer one request; `record` journals it (before a fault hits the connection)."""
        entry.provider = self.contract.provider
        response = await self._respond(scope, receive, emulator, entry, route_path, base_url)
        if isinstance(response, FaultResponse):
            record()
        await response(scope, receive, send)

    async def _respond(
        self,
        scope: Scope,
        receive: Receive,
        emulator: Emulator,
        entry: JournalEntry,
        route_path: str,
        base_url: str,
    ) -> Response | FaultResponse:
        method = scope["method"]
        wrong_method = False
        for route in self._routes:
            match = route.pattern.match(route_path)
            if match is None:
                continue
            if route.operation.method != method:
                wrong_method = True
                continue
            entry.operation = route.operation.id
            request = Request(scope, receive)
            call = Call(
                request,
                emulator,
                self.contract,
                route.operation,
                entry,
                base_url,
                match.groupdict(),
            )
            return await self._run(route.handler, call)
        if wrong_method:
            refusal = Refusal("method-not-allowed", f"Method {method} is not allowed here")
        else:
            refusal = Refusal("endpoint-not-found", f"No endpoint at {route_path}")
        entry.error = str(refusal)
        return render_refusal(self.contract, refusal, emulator.clock.now())

    async def _run(self, handler: Handler, call: Call) -> Response | FaultResponse:
        emulator = call.emulator
        delay = emulator.delay(call.facts())
        if delay > 0:
            await emulator.clock.sleep(delay)
        try:
            response = await self._outcome(handler, call)
        except NetworkFault as fault:
            # Take the whole request first: a reset while the client is still writing
            # surfaces as a write error it swallows, then a plain EOF, not a reset.
            await call.finish_reading()
            return self._fault(call, fault.name, None)
        if call.warnings:
            call.entry.warnings = list(call.warnings)
            response.headers["x-mock-warning"] = _header_text("; ".join(call.warnings))
        if call.fault is not None:
            return self._fault(call, call.fault, response)
        return response

    @staticmethod
    def _fault(call: Call, name: str, response: Response | None) -> FaultResponse:
        call.entry.error = f"network fault: {name}"
        director = call.emulator.director
        return FaultResponse(
            name, response, director.noise, call.emulator.settings.slow_response_interval
        )

    async def _outcome(self, handler: Handler, call: Call) -> Response:
        now = call.emulator.clock.now
        try:
            return await handler(call)
        except NetworkFault:
            raise
        except ClientDisconnect:
            # The client gave up mid-request: nobody reads an answer, nothing broke.
            call.entry.error = "the client disconnected before its request was complete"
            return Response(status_code=499)
        except Refusal as refusal:
            call.entry.error = str(refusal)
            return render_refusal(self.contract, refusal, now(), call.params)
        except MockUsageError as exc:
            call.entry.error = str(exc)
            return render_refusal(self.contract, Refusal("mock-usage", str(exc)), now())
        except Exception as exc:  # the safety net: an emulator bug still answers in shape
            log.exception("emulator error in %s %s", self.contract.provider, call.operation.id)
            message = f"Internal emulator error ({type(exc).__name__}): {exc}"
            call.entry.error = message
            response = render_refusal(self.contract, Refusal("server-error", message), now())
            response.headers["x-mock-error"] = "emulator-bug"
            return response
