"""A loopback HTTP server that records the webhooks it receives.

    with WebhookReceiver() as receiver:
        ... submit with X-Webhook-URL: receiver.url ...
        (delivery,) = receiver.wait(1)
        assert delivery.json["status"] == "COMPLETED"

Standard library only, so importing it costs nothing.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping
from dataclasses import field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from contracts.record import record

__all__ = ["Headers", "ReceivedWebhook", "WebhookReceiver"]


class Headers(dict[str, str]):
    """Header names as HTTP compares them, whatever their case: `headers["X-Webhook-
    Signature"]` and `headers["x-webhook-signature"]` are the same (kept lower-case)."""

    def __init__(self, items: Mapping[str, str] | Iterable[tuple[str, str]] = ()) -> None:
        pairs = items.items() if isinstance(items, Mapping) else items
        super().__init__((name.lower(), value) for name, value in pairs)

    def __getitem__(self, name: str) -> str:
        return super().__getitem__(name.lower())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and super().__contains__(name.lower())

    def get(self, name: str, default: Any = None) -> Any:
        return super().get(name.lower(), default)


@record
class ReceivedWebhook:
    method: str
    path: str
    headers: Headers
    body: bytes
    status: int = 200

    def __post_init__(self) -> None:
        object.__setattr__(self, "headers", Headers(self.headers))

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@record(frozen=False)
class _Plan:
    failures: list[int] = field(default_factory=list)


class _Server(ThreadingHTTPServer):
    # The standard library listens with a backlog of 5: a burst of webhooks would wait
    # out TCP's SYN retries (1 s, 3 s, 7 s) instead of being answered.
    request_queue_size = 1024
    daemon_threads = True


class WebhookReceiver:
    """Records every request; answers 200 unless told to fail the next ones."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._received: list[ReceivedWebhook] = []
        self._attempts: list[ReceivedWebhook] = []
        self._plan = _Plan()
        self._condition = threading.Condition()
        self._server = _Server((host, port), self._handler())
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/webhook"

    def fail_next(self, count: int, status: int = 500) -> None:
        """Answer the next `count` requests with `status` (they count as attempts only)."""
        with self._condition:
            self._plan.failures.extend([status] * count)

    @property
    def received(self) -> list[ReceivedWebhook]:
        """Deliveries answered 2xx, in arrival order."""
        with self._condition:
            return list(self._received)

    @property
    def attempts(self) -> list[ReceivedWebhook]:
        """Every request that arrived, including those told to fail."""
        with self._condition:
            return list(self._attempts)

    def clear(self) -> None:
        """Forget what arrived so far (failure plans stay)."""
        with self._condition:
            self._received.clear()
            self._attempts.clear()

    def wait(self, count: int = 1, timeout: float = 10.0) -> list[ReceivedWebhook]:
        """Block until `count` deliveries succeeded; raise TimeoutError otherwise."""
        return self._wait(self._received, count, timeout)

    def wait_attempts(self, count: int = 1, timeout: float = 10.0) -> list[ReceivedWebhook]:
        """Block until `count` requests arrived, failed ones included."""
        return self._wait(self._attempts, count, timeout)

    def _wait(
        self, seen: list[ReceivedWebhook], count: int, timeout: float
    ) -> list[ReceivedWebhook]:
        with self._condition:
            if not self._condition.wait_for(lambda: len(seen) >= count, timeout):
                raise TimeoutError(
                    f"expected {count}, got {len(self._received)} webhook(s) in "
                    f"{len(self._attempts)} attempt(s) within {timeout}s"
                )
            return list(seen)

    def start(self) -> WebhookReceiver:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.02},  # how fast stop() returns
                name="webhook-receiver",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> WebhookReceiver:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _record(self, request: ReceivedWebhook) -> int:
        with self._condition:
            status = self._plan.failures.pop(0) if self._plan.failures else 200
            stored = ReceivedWebhook(
                request.method, request.path, request.headers, request.body, status
            )
            self._attempts.append(stored)
            if 200 <= status < 300:
                self._received.append(stored)
            self._condition.notify_all()
            return status

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                headers = Headers(self.headers.items())
                status = receiver._record(ReceivedWebhook("POST", self.path, headers, body))
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet: the recorded deliveries are the log

        return Handler
