"""`grok-mock serve --state redis://...` as real processes: one emulator across them, and
across a kill -9 and a restart."""

from __future__ import annotations

import contextlib
import os
import signal
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from pytest_plugin.receiver import WebhookReceiver
from tests.pixazo.test_pixazo import T2I
from tests.test_cli import serve

pytestmark = pytest.mark.slow

SEGMIND = {"x-api-key": "shared-key", "content-type": "application/json"}


def _submit(origin: str, **headers: str) -> str:
    answer = httpx.post(
        f"{origin}/segmind/v2/grok-imagine-image",
        json={"prompt": "a lighthouse"},
        headers={**SEGMIND, **headers},
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["request_id"])


def _status(origin: str, job_id: str) -> httpx.Response:
    return httpx.get(f"{origin}/segmind/v2/requests/{job_id}/status", headers=SEGMIND)


def _account(origin: str) -> dict[str, str]:
    found = httpx.get(f"{origin}/__mock/accounts/segmind/shared-key").json()
    return {k: found[k] for k in ("balance", "held", "spent")}


def test_two_processes_are_one_emulator(redis_url: str) -> None:
    state = ("--state", redis_url, "--state-namespace", f"cli-{uuid.uuid4().hex}")
    with serve(*state, "--profile", "stuck") as a, serve(*state) as b:
        # One profile: the first process set it up (stuck), the second took it.
        assert httpx.get(f"{b.origin}/__mock/profile").json()["profile"] == "stuck"
        jobs = [_submit(origin) for origin in (a.origin, b.origin)]
        jobs += [_submit(origin, **{"X-Mock-Profile": "fast"}) for origin in (a.origin, b.origin)]
        assert len(set(jobs)) == 4  # one id sequence for both
        assert {_status(b.origin, job).json()["status"] for job in jobs[:2]} <= {
            "QUEUED",
            "PROCESSING",
        }
        # One clock: a minute passes through b, and a sees it at once.
        httpx.post(f"{b.origin}/__mock/clock/advance", json={"seconds": 60})
        for job in jobs[2:]:
            assert _status(a.origin, job).json()["status"] == "COMPLETED"
        # One account: the two finished jobs charged once each, the stuck two still held.
        assert _account(a.origin) == _account(b.origin)
        account = _account(a.origin)
        assert (account["held"], account["spent"]) == ("0.04", "0.04")  # 0.02 per image
        # One tuning: a profile set through a is b's from its next request.
        httpx.put(f"{a.origin}/__mock/profile", json={"profile": "instant"})
        assert _status(b.origin, _submit(b.origin)).json()["status"] == "COMPLETED"


def test_a_killed_process_loses_nothing_and_a_restart_continues(redis_url: str) -> None:
    state = ("--state", redis_url, "--state-namespace", f"cli-{uuid.uuid4().hex}")
    with serve(*state, "--profile", "instant") as a:
        before = [_submit(a.origin) for _ in range(3)]
        spent = _account(a.origin)
        a.process.send_signal(signal.SIGKILL)
        a.process.wait(10)
    with serve(*state, "--profile", "instant") as again:
        for job in before:
            assert _status(again.origin, job).json()["status"] == "COMPLETED"
        assert _account(again.origin) == spent  # settled once, before and after
        assert _submit(again.origin) not in before  # the id sequence went on


def test_workers_and_processes_share_jobs_rules_and_money(redis_url: str) -> None:
    """Two workers on one port and a third process, one state: every job ends, none lost,
    each charged once, and a times=3 rule plays exactly three times among them."""
    state = ("--state", redis_url, "--state-namespace", f"cli-{uuid.uuid4().hex}")
    with (
        serve(*state, "--workers", "2", "--profile", "instant") as a,
        serve(*state, "--profile", "instant") as b,
    ):
        queued = httpx.post(
            f"{b.origin}/__mock/scenarios",
            json={"scenario": "job-failed", "provider": "segmind", "times": 3},
        )
        assert queued.status_code == 201, queued.text

        with httpx.Client(timeout=30) as http, ThreadPoolExecutor(8) as pool:

            def health(_: int) -> int:  # a new connection each: any worker may accept it
                answer = http.get(f"{a.origin}/__mock/health", headers={"connection": "close"})
                return int(answer.json()["process"])

            def submit(origin: str) -> str:
                answer = http.post(
                    f"{origin}/segmind/v2/grok-imagine-image", json={"prompt": "x"}, headers=SEGMIND
                )
                return str(answer.json()["request_id"])

            def status(origin: str, job_id: str) -> str:
                answer = http.get(f"{origin}/segmind/v2/requests/{job_id}/status", headers=SEGMIND)
                return str(answer.json()["status"])

            origins = [a.origin, b.origin] * 150
            answered = set(pool.map(health, range(64)))
            jobs = list(pool.map(submit, origins))
            statuses = list(pool.map(status, origins[::-1], jobs))
        assert len(answered) == 2  # both workers took connections
        assert len(set(jobs)) == 300
        assert statuses.count("FAILED") == 3
        assert statuses.count("COMPLETED") == 297
        account = _account(b.origin)
        assert (account["held"], account["spent"]) == ("0", "5.94")  # 297 x 0.02, once each
        journaled = httpx.get(f"{a.origin}/__mock/journal/count", params={"operation": "v2.submit"})
        assert journaled.json()["count"] == 300  # one journal, whoever served


def _pixazo(origin: str, hook: str, **headers: str) -> dict[str, str]:
    answer = httpx.post(
        origin + T2I,
        json={"prompt": "a lighthouse"},
        headers={"Ocp-Apim-Subscription-Key": "k", "X-Webhook-URL": hook, **headers},
    )
    assert answer.status_code == 202, answer.text
    return dict(answer.json())


def test_a_webhook_goes_out_once_whichever_process_sees_the_end(redis_url: str) -> None:
    state = ("--state", redis_url, "--state-namespace", f"cli-{uuid.uuid4().hex}")
    with WebhookReceiver() as receiver, serve(*state) as a, serve(*state) as b:
        job = _pixazo(a.origin, receiver.url, **{"X-Mock-Profile": "polls"})
        polling = job["polling_url"].replace(a.origin, b.origin)
        for _ in range(4):  # read at b until the job ends there
            status = httpx.get(polling, headers={"Ocp-Apim-Subscription-Key": "k"}).json()
        assert status["status"] == "COMPLETED"
        (delivery,) = receiver.wait(1)
        assert delivery.json["request_id"] == job["request_id"]
        time.sleep(1.5)  # both runners looked again: still exactly one
        assert len(receiver.attempts) == 1


def test_pending_webhooks_survive_a_killed_process(redis_url: str) -> None:
    state = ("--state", redis_url, "--state-namespace", f"cli-{uuid.uuid4().hex}")
    with WebhookReceiver() as receiver:
        with serve(*state, "--profile", "realistic") as a:
            jobs = [_pixazo(a.origin, receiver.url)["request_id"] for _ in range(3)]
            a.process.send_signal(signal.SIGKILL)
            a.process.wait(10)
        assert receiver.attempts == []  # nothing was due yet
        with serve(*state) as again:
            httpx.post(f"{again.origin}/__mock/clock/advance", json={"seconds": 3600})
            received = receiver.wait(3, timeout=15)
        assert sorted(r.json["request_id"] for r in received) == sorted(jobs)
        assert len(receiver.attempts) == 3  # each exactly once


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.append(int(stat.parent.name))
    return found


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGINT])
def test_stopping_the_server_stops_its_workers(redis_url: str, how: int) -> None:
    state = ("--state", redis_url, "--state-namespace", f"cli-{uuid.uuid4().hex}")
    with serve(*state, "--workers", "3") as a:
        workers = _children(a.process.pid)
        assert len(workers) == 2
        a.process.send_signal(how)
        a.process.wait(10)
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()]  # stopped and reaped


# The parent takes its time getting ready after forking its workers (a slow machine).
SLOW_PARENT = """
import os, sys, time
import mockserver.server as server
from mockserver.cli import main

parent, ready = os.getpid(), server._server

def slow(*args, **kwargs):
    if os.getpid() == parent:
        time.sleep(3)
    return ready(*args, **kwargs)

server._server = slow
sys.exit(main(sys.argv[1:]))
"""


def test_a_stop_signal_while_the_server_gets_ready_still_stops_its_workers(
    redis_url: str,
) -> None:
    state = ("--state", redis_url, "--state-namespace", f"cli-{uuid.uuid4().hex}")
    # Announced and answering (a worker answers) while the parent still gets ready.
    with serve(*state, "--workers", "3", python=SLOW_PARENT) as a:
        workers = _children(a.process.pid)
        assert len(workers) == 2
        a.process.send_signal(signal.SIGTERM)  # before the parent's handlers are in place
        a.process.wait(20)
    left = [pid for pid in workers if Path(f"/proc/{pid}").exists()]
    for pid in left:  # never leave a server running behind the suite
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    assert not left  # stopped and reaped by the parent, not orphaned
