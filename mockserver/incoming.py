"""A request as it arrives: its headers, and its body read as the contract says.

A body is JSON or multipart as `contract.content_types` allows, never bigger than
`max_body_bytes` (a declared size over it is refused before a byte is read), strict as
the providers' own parsers (`mockserver.bodies`), and journaled within its bounds.
"""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Sequence
from types import MappingProxyType
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.types import Receive, Scope

from contracts import Contract, Param
from mockserver.bodies import check_unicode, form_value, parse_json, read_body, too_large
from mockserver.engine import Emulator, JournalEntry, Refusal
from mockserver.engine.journal import bounded
from mockserver.view import View

# The names the emulator reads on most requests (as the contracts spell them), as they
# come over ASGI (lower-case bytes): encoded once, not on every look-up.
_WIRE_NAMES = MappingProxyType(
    {
        name: name.lower().encode("latin-1")
        for name in (
            "Authorization",
            "authorization",
            "content-length",
            "content-type",
            "Ocp-Apim-Subscription-Key",
            "x-api-key",
            "x-mock-profile",
            "x-mock-scenario",
        )
    }
)


class Incoming(View):
    """The request one provider operation received, and how its parts are read."""

    __slots__ = ("_body_read", "_receive", "_request", "entry", "scope")

    def __init__(
        self,
        scope: Scope,
        receive: Receive,
        emulator: Emulator,
        contract: Contract,
        entry: JournalEntry,
        base_url: str,
    ) -> None:
        super().__init__(emulator, contract, base_url)
        self.scope = scope
        self._receive = receive
        self._request: Request | None = None
        self.entry = entry
        self._body_read = False

    @property
    def request(self) -> Request:
        """The request as Starlette reads it: made when first needed (a body, a query),
        which most status reads never are."""
        if self._request is None:
            self._request = Request(self.scope, self._receive)
        return self._request

    def header(self, name: str) -> str | None:
        """A request header, whatever the case of its name (the first one sent wins)."""
        wanted = _WIRE_NAMES.get(name) or name.lower().encode("latin-1")
        for raw_name, raw_value in self.scope["headers"]:  # ASGI: lower-case names
            if raw_name == wanted:
                return raw_value.decode("latin-1")  # type: ignore[no-any-return]
        return None

    async def body(self, params: Sequence[Param] = ()) -> dict[str, Any]:
        """The body as a JSON object, read as the contract says (JSON or multipart)."""
        accepted = self.contract.content_types
        if accepted is None:
            return await self.json_object()
        given = self.header("content-type") or ""
        if given not in accepted:  # as most clients send it, else its media type
            given = given.partition(";")[0].strip().lower()
            if given not in accepted:
                raise Refusal("invalid-content-type")
        if given == "multipart/form-data":
            return await self.form_object(params)
        return await self.json_object()

    def _body_limit(self) -> int:
        """The largest body taken; one declared bigger is refused before it is read."""
        limit = self.emulator.settings.max_body_bytes
        declared = self.header("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise Refusal("payload-too-large", too_large(int(declared), limit))
        return limit

    async def body_bytes(self) -> bytes:
        limit = self._body_limit()
        raw = await read_body(
            self._receive, limit, lambda size: Refusal("payload-too-large", too_large(size, limit))
        )
        self._body_read = True
        return raw

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
        self.entry.keep_json_body(raw, self.emulator.settings.journal_body_bytes, parse_json)
        return body

    async def form_object(self, params: Sequence[Param]) -> dict[str, Any]:
        """A multipart body as the JSON object it stands for (files become base64)."""
        limit = self._body_limit()
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
                body[name] = form_value(value, types.get(name))
            else:
                body[name] = base64.b64encode(await value.read()).decode("ascii")
        check_unicode(body)
        self.entry.body = bounded(body, self.emulator.settings.journal_body_bytes)
        return body
