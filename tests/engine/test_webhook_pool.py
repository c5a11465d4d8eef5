"""Webhooks falling due all at once: a bounded pool sends them all while requests are served."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from starlette.testclient import TestClient

from mockserver import Emulator, ManualClock, create_app
from tests.pixazo.test_pixazo import AUTH, PAGE_BODY, T2I

WORKERS = 4


class SlowReceiver(ThreadingHTTPServer):
    """Answers 200 after a pause, and counts how many requests it held at once."""

    daemon_threads = True

    def __init__(self, pause: float) -> None:
        self.pause, self.now, self.most, self.ids = pause, 0, 0, []
        self.guard = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                with outer.guard:
                    outer.now += 1
                    outer.most = max(outer.most, outer.now)
                time.sleep(outer.pause)
                with outer.guard:
                    outer.now -= 1
                    outer.ids.append(body)
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


@pytest.fixture
def receiver() -> Iterator[SlowReceiver]:
    server = SlowReceiver(pause=0.02)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_all_due_at_once_are_sent_by_the_pool_none_lost(receiver: SlowReceiver) -> None:
    clock = ManualClock()
    emulator = Emulator(clock=clock, profile="fast", seed=5, webhook_concurrency=WORKERS)
    hooks = emulator.webhooks
    with TestClient(create_app(emulator)) as client:
        for _ in range(120):
            headers = {**AUTH, "X-Webhook-URL": receiver.url}
            assert client.post(T2I, json=PAGE_BODY, headers=headers).status_code == 202
        assert hooks.queue() == {"scheduled": 120, "due": 0, "in_flight": 0, "workers": WORKERS}
        clock.advance(3600)  # every job ends: 120 deliveries due at the same moment
        seen = []
        while len(hooks.wait(0, timeout=0)) < 120:
            seen.append(hooks.queue())
            # Requests are answered while the queue drains (the pool never starves them).
            assert client.get("/__mock/health").status_code == 200
            time.sleep(0.005)
        listed = client.get("/__mock/webhooks").json()
    assert receiver.most == WORKERS  # never more at once than the pool, and the pool was full
    assert max(s["in_flight"] for s in seen) <= WORKERS
    assert any(s["due"] > WORKERS for s in seen)  # they waited their turn instead
    assert len(receiver.ids) == 120
    assert {d.state for d in hooks.deliveries()} == {"delivered"}
    assert len(emulator.journal.query(operation="webhook")) == 120
    assert listed["queue"] == {"scheduled": 0, "due": 0, "in_flight": 0, "workers": WORKERS}
    assert listed["pending"] == 0


def test_workers_setting_is_validated() -> None:
    with pytest.raises(Exception, match="webhook_concurrency must be a positive integer"):
        Emulator(webhook_concurrency=0)


def test_workers_start_only_when_there_is_work_for_them(receiver: SlowReceiver) -> None:
    # A test's emulator that never sends a webhook must not pay for a pool of 64 tasks.
    clock = ManualClock()
    emulator = Emulator(clock=clock, profile="fast", seed=5, webhook_concurrency=WORKERS)
    with TestClient(create_app(emulator)) as client:

        def workers() -> int:
            names = client.portal.call(_task_names)
            return sum(name.startswith("grok-mock-webhook-") for name in names)

        headers = {**AUTH, "X-Webhook-URL": receiver.url}
        assert client.post(T2I, json=PAGE_BODY, headers=headers).status_code == 202
        assert workers() == 0  # the runner waits on the clock; nobody else is needed
        clock.advance(3600)
        emulator.webhooks.wait(1)
        assert workers() == 1  # one delivery due: one worker, not the pool
        for _ in range(10):
            assert client.post(T2I, json=PAGE_BODY, headers=headers).status_code == 202
        clock.advance(3600)
        emulator.webhooks.wait(11)
        assert workers() == WORKERS


async def _task_names() -> list[str]:
    import asyncio

    return [task.get_name() for task in asyncio.all_tasks()]
