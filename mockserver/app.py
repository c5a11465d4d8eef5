"""The ASGI app: every provider surface, by Host header or path prefix, plus the admin API.

    https://api.segmind.com/v2/...      -> segmind, at its real paths
    http://HOST:PORT/segmind/v2/...     -> segmind, under its prefix
    http://HOST:PORT/__mock/...         -> the admin API

Every request to a provider surface is journaled.
"""

from __future__ import annotations

import asyncio
import importlib
import time
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from mockserver.admin import build_admin
from mockserver.admin_policy import AdminPolicy
from mockserver.call import webhook_render
from mockserver.engine import Emulator, JournalEntry
from mockserver.engine.webhooks import Render
from mockserver.faults import ENTRY, TRANSPORT, transport_of
from mockserver.outbound import HttpOutbound
from mockserver.providers import SURFACES
from mockserver.responses import json_response
from mockserver.surface import Surface
from mockserver.view import View

# Real seconds a shutting-down server gives webhooks that are due to go out.
DRAIN_SECONDS = 0.5
# Real seconds between sweeps for expired jobs and media while the server runs.
SWEEP_SECONDS = 30.0
# Characters of a request's path and query the journal keeps.
_PATH_KEPT = 2048
# Host headers whose provider (or none) is remembered at most.
_HOSTS_KEPT = 256
_UNSEEN: Any = object()

ADMIN_PREFIX = "__mock"


def _host(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"host":
            return str(value.decode("latin-1"))
    server = scope.get("server")
    if server:
        return f"{server[0]}:{server[1]}"
    return "localhost"


def _hostname(host: str) -> str:
    if host.startswith("["):
        return host[: host.find("]") + 1].lower()
    name, _, port = host.rpartition(":")
    return (name if name and port.isdigit() else host).lower()


class MockApp:
    """Serves one emulator. `admin` says who may use the admin API (in process, any
    Host); `on_shutdown`, when given, is told what became of pending webhooks when a
    server running this app (with lifespan on) shuts down."""

    def __init__(
        self,
        emulator: Emulator,
        *,
        admin: AdminPolicy | None = None,
        on_shutdown: Callable[[int, int], None] | None = None,
    ) -> None:
        self.emulator = emulator
        if emulator.outbound is None:
            emulator.outbound = HttpOutbound()
        self.admin = admin or AdminPolicy(token=emulator.settings.admin_token)
        self.surfaces: dict[str, Surface] = {p: SURFACES[p] for p in emulator.contracts}
        self._by_host = {h: s for s in self.surfaces.values() for h in s.contract.hosts}
        # The same, by Host header as sent: a client sends the same few on every request.
        self._by_host_sent: dict[str, Surface | None] = {}
        self._by_prefix = {s.contract.prefix.strip("/"): s for s in self.surfaces.values()}
        # Built on the first admin request: most in-process tests never make one.
        self._admin: ASGIApp | None = None
        self._on_shutdown = on_shutdown
        self._sync: Callable[[], None] | None = emulator.sync if emulator.shared else None
        emulator.revive_webhook = self._revive_webhook

    def _revive_webhook(self, spec: dict[str, Any]) -> Render | None:
        """The render of a webhook another process made: its provider's body function
        (only ever one of ours), under the base URL its job was submitted at."""
        module, _, name = str(spec.get("body", "")).partition(":")
        surface = self.surfaces.get(str(spec.get("provider")))
        if surface is None or not module.startswith("mockserver.providers."):
            return None
        body = getattr(importlib.import_module(module), name, None)
        if body is None:
            return None
        contract = self.emulator.contracts[surface.contract.provider]
        view = View(self.emulator, contract, str(spec.get("base_url", "")))
        return webhook_render(view, str(spec["job_id"]), body)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        janitor: asyncio.Task[None] | None = None
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                # The server's loop serves every request and lives as long as it: webhooks
                # go from it, so a request's bind() finds them home at once.
                self.emulator.deliver_webhooks_from(asyncio.get_running_loop())
                janitor = asyncio.create_task(self._janitor(), name="grok-mock-janitor")
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if janitor is not None:
                    janitor.cancel()
                if self._on_shutdown is not None:
                    sent, dropped = await self.emulator.webhooks.drain(DRAIN_SECONDS)
                    self._on_shutdown(sent, dropped)
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _janitor(self) -> None:
        """Evict expired jobs and media on a timer, so an idle server forgets them too."""
        while True:
            await asyncio.sleep(SWEEP_SECONDS)
            if self._sync is not None:
                self._sync()
            self.emulator.sweep()

    def base_urls(self, origin: str) -> dict[str, str]:
        """Where each provider surface is mounted under `origin` (scheme://host:port)."""
        return {p: origin + s.contract.prefix for p, s in self.surfaces.items()}

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._sync is not None:  # other processes change the state too
            self._sync()
        self.emulator.webhooks.bind()
        host = _host(scope)
        root = scope.get("root_path", "")
        path = scope["path"]
        route_path = path[len(root) :] if root and path.startswith(root) else path
        head, _, rest = route_path.lstrip("/").partition("/")
        if head == ADMIN_PREFIX:
            if self._admin is None:
                self._admin = build_admin(self)
            await self._admin(scope, receive, send)
            return
        known = self._by_host_sent
        surface = known.get(host, _UNSEEN)
        if surface is _UNSEEN:  # a Host header not seen yet
            if len(known) >= _HOSTS_KEPT:  # bounded, whatever Host headers come
                known.clear()
            surface = known[host] = self._by_host.get(_hostname(host))
        if surface is None:
            surface = self._by_prefix.get(head)
            if surface is None:
                await self._nowhere(scope, receive, send, host, route_path)
                return
            root = f"{root}/{head}"
            route_path = "/" + rest
        await self._journaled(surface, scope, receive, send, host, root, route_path)

    async def _journaled(
        self,
        surface: Surface,
        scope: Scope,
        receive: Receive,
        send: Send,
        host: str,
        root: str,
        route_path: str,
    ) -> None:
        entry = self._entry(scope, host)
        started = time.perf_counter()
        recorded = False

        def record() -> None:
            # Once, and before the client can see the outcome (an answer starting, or a
            # fault hitting the connection): a client that reads the journal once it has
            # its answer must find the request there.
            nonlocal recorded
            if not recorded:
                recorded = True
                entry.note_duration((time.perf_counter() - started) * 1000)
                self.emulator.journal.record(entry)

        extensions = scope.setdefault("extensions", {})
        extensions[ENTRY] = entry
        transport = transport_of(send)
        if transport is not None:  # network faults act on the connection itself
            extensions[TRANSPORT] = transport
        try:
            await surface.handle(
                scope,
                receive,
                send,
                emulator=self.emulator,
                entry=entry,
                record=record,
                route_path=route_path,
                base_url=f"{scope.get('scheme', 'http')}://{host}{root}",
            )
        finally:
            record()

    def _entry(self, scope: Scope, host: str) -> JournalEntry:
        """The journal entry of a request as it arrives (its path and query bounded)."""
        query = scope.get("query_string", b"")
        path = scope["path"] + ("?" + query.decode("latin-1") if query else "")
        if len(path) > _PATH_KEPT:
            path = f"{path[:_PATH_KEPT]}...(+{len(path) - _PATH_KEPT} chars)"
        emulator = self.emulator
        # Positional: on every request, and keywords cost a third of making the entry.
        entry = JournalEntry(emulator.clock.now(), scope["method"], path, host)
        entry.keep_headers(scope["headers"], emulator.settings.journal_header_bytes)
        return entry

    async def _nowhere(
        self, scope: Scope, receive: Receive, send: Send, host: str, path: str
    ) -> None:
        origin = f"{scope.get('scheme', 'http')}://{host}{scope.get('root_path', '')}"
        body = {
            "error": f"No provider surface at {path}",
            "surfaces": self.base_urls(origin),
            "admin": f"{origin}/{ADMIN_PREFIX}",
        }
        await json_response(body, 404)(scope, receive, send)


def create_app(emulator: Emulator | None = None) -> MockApp:
    """The ASGI app serving `emulator` (a fresh default one if not given)."""
    return MockApp(emulator or Emulator())
