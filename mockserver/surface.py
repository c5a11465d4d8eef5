"""A provider surface: the contract's operations routed to handlers.

Routing is ours rather than Starlette's because an unknown path or a wrong
method must answer in the provider's own shape (Segmind's 405 is an HTML page).
Every exception ends as one of the contract's error cases: no bare 500.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Mapping

from starlette.requests import ClientDisconnect
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from contracts import Contract, Operation, path_parts
from contracts.record import record
from mockserver.call import Call
from mockserver.engine import Emulator, JournalEntry, MockUsageError, Refusal
from mockserver.engine.errors import NetworkFault
from mockserver.faults import FaultResponse
from mockserver.responses import render_refusal

log = logging.getLogger("mockserver")

Handler = Callable[[Call], Awaitable[Response]]


@record(slots=True)
class _Route:
    operation: Operation
    pattern: re.Pattern[str]
    handler: Handler


def _compile(path: str) -> re.Pattern[str]:
    """'/v2/requests/{request_id}/status' -> a regex with one named group per segment."""
    pieces = (
        f"(?P<{part}>[^/]+)" if index % 2 else re.escape(part)
        for index, part in enumerate(path_parts(path))
    )
    return re.compile("^" + "".join(pieces) + "$")


def _header_text(text: str, limit: int = 1000) -> str:
    """Client-supplied names in a header: ASCII only (escaped), and not endless."""
    text = text.encode("ascii", "backslashreplace").decode("ascii")
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text).strip()
    return text if len(text) <= limit else text[: limit - 3] + "..."


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _noting_status(send: Send, entry: JournalEntry) -> Send:
    """`send`, noting the status a fault still sends (a slow or truncated answer)."""

    async def noted(message: Message) -> None:
        if message["type"] == "http.response.start":
            entry.status = message["status"]
        await send(message)

    return noted


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
        # A request tries only its own method's routes, in the contract's order.
        self._by_method: dict[str, list[_Route]] = {}
        for route in self._routes:
            self._by_method.setdefault(route.operation.method, []).append(route)

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
        """Answer one request; `record` journals it before the client can see the answer
        (or a fault hits the connection)."""
        entry.provider = self.contract.provider
        routed = self._route(scope, receive, emulator, entry, route_path, base_url)
        response = routed if isinstance(routed, Response) else await self._run(*routed)
        if isinstance(response, FaultResponse):
            record()
            await response(scope, receive, _noting_status(send, entry))
            return
        entry.status = response.status_code
        record()
        await response(scope, receive, send)

    def _route(
        self,
        scope: Scope,
        receive: Receive,
        emulator: Emulator,
        entry: JournalEntry,
        route_path: str,
        base_url: str,
    ) -> tuple[Handler, Call] | Response:
        """The handler and call for the request; the provider's 404 or 405 otherwise."""
        method = scope["method"]
        # The contract as this emulator serves it (in the variant its settings chose).
        contract = emulator.contracts.get(self.contract.provider, self.contract)
        for route in self._by_method.get(method, ()):
            match = route.pattern.match(route_path)
            if match is None:
                continue
            entry.operation = route.operation.id
            call = Call(
                scope,
                receive,
                emulator,
                contract,
                route.operation,
                entry,
                base_url,
                match.groupdict(),
            )
            return route.handler, call
        if any(route.pattern.match(route_path) for route in self._routes):
            refusal = Refusal("method-not-allowed", f"Method {method} is not allowed here")
        else:
            refusal = Refusal("endpoint-not-found", f"No endpoint at {route_path}")
        entry.error = str(refusal)
        return render_refusal(contract, refusal, emulator.clock.now())

    async def _run(self, handler: Handler, call: Call) -> Response | FaultResponse:
        emulator = call.emulator
        if emulator.director.latency.entries:  # most runs have none: no facts to build
            delay = emulator.delay(call.facts())
            if delay > 0:
                await emulator.clock.sleep(delay)
        try:
            response = await handler(call)
        except NetworkFault as fault:
            # Take the whole request first: a reset while the client is still writing
            # surfaces as a write error it swallows, then a plain EOF, not a reset.
            await call.finish_reading()
            return self._fault(call, fault.name, None)
        except Exception as exc:  # every one is answered, in the provider's shape
            response = self._answer(exc, call)
        finally:
            call.release_unplayed()
        warnings = call.all_warnings()
        if warnings:
            call.entry.warnings = list(warnings)
            response.headers["x-mock-warning"] = _header_text("; ".join(warnings))
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

    def _answer(self, exc: Exception, call: Call) -> Response:
        """What the client gets when its handler raised `exc` (called while it is handled)."""
        now = call.emulator.clock.now
        if isinstance(exc, ClientDisconnect):
            # The client gave up mid-request: nobody reads an answer, nothing broke.
            call.entry.error = "the client disconnected before its request was complete"
            return Response(status_code=499)
        if isinstance(exc, Refusal):
            call.entry.error = str(exc)
            return render_refusal(call.contract, exc, now(), call.context())
        if isinstance(exc, MockUsageError):
            call.entry.error = str(exc)
            usage = Refusal("mock-usage", str(exc))
            return render_refusal(call.contract, usage, now(), call.context())
        # The safety net: an emulator bug still answers in shape.
        log.exception("emulator error in %s %s", self.contract.provider, call.operation.id)
        message = f"Internal emulator error ({type(exc).__name__}): {exc}"
        call.entry.error = message
        response = render_refusal(call.contract, Refusal("server-error", message), now())
        response.headers["x-mock-error"] = "emulator-bug"
        return response
