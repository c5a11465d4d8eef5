"""Serving the emulator over a real socket, in the foreground or in a thread."""

from __future__ import annotations

import ipaddress
import secrets
import socket
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from mockserver.admin_policy import AdminPolicy
from mockserver.app import ADMIN_PREFIX, MockApp
from mockserver.engine import Emulator
from mockserver.engine.errors import ServeError
from mockserver.workers import fork_workers, hold_signals, release_signals, stop_workers

if TYPE_CHECKING:
    from mockserver.grpc_xai import GrpcServer
    from mockserver.prompt_server import PromptServer

# Real seconds open requests (a `hang` fault, a slow sync call) get once asked to stop.
GRACE_SECONDS = 1


def redacted_url(url: str) -> str:
    """A store URL fit to print: a password in it is replaced."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def admin_policy(emulator: Emulator, host: str) -> AdminPolicy:
    """One token policy for every way of serving: the configured token; else, beyond
    loopback, a made-up one (anyone who can reach the port could reset the server)."""
    token = emulator.settings.admin_token
    if token is None and not is_loopback(host):
        token = secrets.token_urlsafe(18)
    return AdminPolicy.listening(host, token, emulator.settings.admin_hosts)


def bind(host: str, port: int) -> socket.socket:
    """A listening socket, so the real port is known before serving starts."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY on accepted connections only
    # when the listener says TCP, and without it every answer waits ~40 ms on
    # Nagle and delayed ACKs.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ServeError(
            f"cannot listen on {host}:{port} ({exc.strerror}); "
            "choose another --port, or --port 0 for a free one"
        ) from None
    sock.listen(2048)
    sock.setblocking(False)
    return sock


def origin_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def _server(
    app: MockApp, log_level: str, access_log: bool, *, lifespan: bool = False, http: str = "auto"
) -> PromptServer:
    import uvicorn

    from mockserver.prompt_server import PromptServer

    config = uvicorn.Config(
        app,
        log_level=log_level,
        access_log=access_log,
        lifespan="on" if lifespan else "off",
        # uvloop and httptools where installed (the core dependencies on most platforms),
        # asyncio and h11 elsewhere; network faults act on either transport.
        loop="auto",
        http=http,
        # The emulator's own admin API is the way in; no server header games.
        server_header=False,
        date_header=True,
        # A `hang` fault never ends on its own: shutdown must not wait for it.
        timeout_graceful_shutdown=GRACE_SECONDS,
    )
    return PromptServer(config)


def serve(
    emulator: Emulator,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    log_level: str = "warning",
    access_log: bool = False,
    announce: Callable[[str], Any] = print,
    grpc_port: int | None = None,
    workers: int = 1,
) -> None:
    """Serve in the foreground until interrupted, after announcing every base URL;
    with `grpc_port`, xAI's gRPC Image service too (0 picks a free port); with
    `workers` above 1, that many processes on the one socket (the state must be shared).

    On SIGTERM or Ctrl-C open requests get GRACE_SECONDS, webhooks that are due get
    half a second, and what is still pending is journaled as dropped and counted.
    """

    children: list[int] = []

    def stopped(sent: int, dropped: int) -> None:
        if sent or dropped:
            announce(
                f"grok-imagine-mock: shutting down; {sent} due webhook(s) sent, "
                f"{dropped} pending dropped (journaled)"
            )
        # Here, not after run(): uvicorn re-raises the stopping signal once it has shut
        # down, and this process ends there, with its workers still running.
        stop_workers(children)

    policy = admin_policy(emulator, host)
    app = MockApp(emulator, admin=policy, on_shutdown=stopped)
    sock = bind(host, port)
    origin = origin_of(sock)
    # Workers may answer before this process is ready: a stop signal meanwhile waits for
    # the server's handlers (which stop the workers too) instead of killing only this one.
    hold_signals()
    grpc = None
    try:
        children += _other_workers(workers, emulator, policy, sock, log_level, access_log)
        if grpc_port is not None:
            grpc = start_grpc(app, app.base_urls(origin).get("xai"), host, grpc_port)
        for line in _banner(app, origin, grpc.address if grpc is not None else None, workers):
            announce(line)
        _server(app, log_level, access_log, lifespan=True).run(sockets=[sock])
    finally:
        release_signals()
        if grpc is not None:
            grpc.stop()
        stop_workers(children)


def _banner(app: MockApp, origin: str, grpc: str | None, workers: int) -> list[str]:
    """What a served process announces: every base URL, and how to reach the rest."""
    emulator = app.emulator
    lines = [f"grok-imagine-mock on {origin} (seed {emulator.seed}, profile {emulator.profile})"]
    for provider, url in app.base_urls(origin).items():
        hosts = ", ".join(emulator.contracts[provider].hosts)
        lines.append(f"  {provider:<10} {url}    (or Host: {hosts} at the real paths)")
    if grpc is not None:
        sdk = f'xai_sdk.Client(api_key="...", api_host="{grpc}")'
        lines.append(f"  {'xai-grpc':<10} {grpc}    ({sdk})")
    console = "(the QA console: open it in a browser)"
    lines.append(f"  {'admin':<10} {origin}/{ADMIN_PREFIX}/    {console}")
    if app.admin.token:
        lines.append(f"  the admin API requires the header X-Admin-Token: {app.admin.token}")
    settings = emulator.settings
    if settings.state is not None:
        lines.append(
            f"  {'state':<10} {redacted_url(settings.state)} namespace {settings.state_namespace}"
            "    (shared with every process using it; kept across restarts)"
        )
    if workers > 1:
        lines.append(f"  {'workers':<10} {workers} processes on this port")
    return lines


def _other_workers(
    workers: int,
    emulator: Emulator,
    policy: AdminPolicy,
    sock: socket.socket,
    log_level: str,
    access_log: bool,
) -> list[int]:
    """Fork the workers beyond this one, each with an emulator of its own on the shared
    state (before this process starts a thread or a loop)."""
    if workers <= 1:
        return []
    if emulator.settings.state is None:
        raise ServeError(
            "--workers needs the state shared between the workers: add --state redis://HOST:PORT/DB"
        )

    def serve_one() -> None:
        own = Emulator(emulator.settings)
        _server(MockApp(own, admin=policy), log_level, access_log, lifespan=True).run(
            sockets=[sock]
        )

    return fork_workers(workers - 1, serve_one)


def start_grpc(app: MockApp, xai_url: str | None, host: str, port: int) -> GrpcServer:
    """xAI's gRPC Image service for `app`, its links under `xai_url`; a clear error when
    xAI is not served or the gRPC extra is not installed."""
    if xai_url is None:
        raise ServeError("gRPC serves xAI's Image service, and xai is not among the providers")
    try:
        from mockserver.grpc_xai import GrpcServer
    except ImportError as missing:
        raise ServeError(
            f"gRPC needs grpcio and xai-sdk ({missing.name} is missing): "
            "pip install 'grok-imagine-mock[grpc]'"
        ) from None
    return GrpcServer(app, xai_url, host, port).start()


class LiveServer:
    """The emulator behind uvicorn on a free loopback port, in a background thread.

    with LiveServer(Emulator(profile="instant")) as server:
        requests.get(server.url("segmind") + "/v2/requests/x/status")
    """

    def __init__(
        self,
        emulator: Emulator | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        log_level: str = "warning",
        grpc: bool = False,
        http: str = "auto",
    ) -> None:
        self.emulator = emulator or Emulator()
        self._grpc_wanted = grpc
        self._http = http
        self._grpc: GrpcServer | None = None
        policy = admin_policy(self.emulator, host)
        # Required on the admin API when set (always, beyond loopback).
        self.admin_token = policy.token
        self.app = MockApp(self.emulator, admin=policy)
        self._host = host
        self._port = port
        self._log_level = log_level
        self._server: PromptServer | None = None
        self._thread: threading.Thread | None = None
        self.base_url = ""

    def start(self, timeout: float = 10.0) -> LiveServer:
        if self._server is not None:
            return self
        sock = bind(self._host, self._port)
        self.base_url = origin_of(sock)
        server = _server(self.app, self._log_level, access_log=False, http=self._http)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="grok-mock-server", daemon=True
        )
        thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise ServeError(f"the server on {self.base_url} did not start")
            time.sleep(0.001)  # waiting on a thread, not on emulated time
        self._server, self._thread = server, thread
        if self._grpc_wanted:
            xai = self.url("xai") if "xai" in self.emulator.contracts else None
            self._grpc = start_grpc(self.app, xai, self._host, 0)
        return self

    @property
    def grpc_address(self) -> str | None:
        """`localhost:PORT` of xAI's gRPC Image service (with `grpc=True`), else None."""
        return self._grpc.address if self._grpc is not None else None

    def stop(self) -> None:
        if self._grpc is not None:
            self._grpc.stop()
            self._grpc = None
        if self._server is None or self._thread is None:
            return
        self._server.stop()
        self._thread.join(timeout=10)
        self._server = self._thread = None

    def url(self, provider: str) -> str:
        """The base URL a client of `provider` should use (`.../segmind`)."""
        return self.base_url + self.emulator.contract(provider).prefix

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
