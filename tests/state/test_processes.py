"""`grok-mock serve --state redis://...` as real processes: one emulator across them, and
across a kill -9 and a restart."""

from __future__ import annotations

import signal
import uuid

import httpx
import pytest

from tests.test_cli import serve

pytestmark = pytest.mark.slow

SEGMIND = {"x-api-key": "shared-key", "content-type": "application/json"}


def _submit(origin: str) -> str:
    answer = httpx.post(
        f"{origin}/segmind/v2/grok-imagine-image", json={"prompt": "a lighthouse"}, headers=SEGMIND
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
        jobs = [_submit(origin) for origin in (a.origin, b.origin, a.origin, b.origin)]
        assert len(set(jobs)) == 4  # one id sequence for both
        # The profile is still each process's own: a's jobs never end, b's take a second.
        assert {_status(b.origin, job).json()["status"] for job in jobs[::2]} <= {
            "QUEUED",
            "PROCESSING",
        }
        # One clock: a minute passes through b, and a sees it at once.
        httpx.post(f"{b.origin}/__mock/clock/advance", json={"seconds": 60})
        for job in jobs[1::2]:
            assert _status(a.origin, job).json()["status"] == "COMPLETED"
        # One account: b's two finished jobs charged once each, a's two still held.
        assert _account(a.origin) == _account(b.origin)
        account = _account(a.origin)
        assert (account["held"], account["spent"]) == ("0.04", "0.04")  # 0.02 per image


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


def test_an_unreachable_store_is_a_clear_refusal() -> None:
    import subprocess
    import sys

    found = subprocess.run(
        [
            sys.executable,
            "-m",
            "mockserver",
            "serve",
            "--port",
            "0",
            "--state",
            "redis://127.0.0.1:1/0",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert found.returncode == 2
    assert "cannot use the Redis state store at 'redis://127.0.0.1:1/0'" in found.stderr
    wrong = subprocess.run(
        [sys.executable, "-m", "mockserver", "serve", "--port", "0", "--state", "postgres://x"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert wrong.returncode == 2
    assert "state must be 'memory' or a Redis URL" in wrong.stderr
