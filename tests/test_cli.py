"""`grok-mock serve` as a real process: the announcement, the snippets, the exit codes."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from segmind import SegmindClient

from pytest_plugin.receiver import WebhookReceiver
from tests.conftest import decode
from tests.pixazo.test_pixazo import T2I

# Every test here starts the CLI as a real process.
pytestmark = pytest.mark.slow

SCRIPT = Path(sys.executable).parent / "grok-mock"


@dataclass
class Served:
    process: subprocess.Popen[str]
    banner: str
    origin: str


def _command(*args: str) -> list[str]:
    if SCRIPT.exists():
        return [str(SCRIPT), *args]
    return [sys.executable, "-m", "mockserver", *args]


@contextlib.contextmanager
def serve(*args: str, module: bool = False, python: str | None = None) -> Iterator[Served]:
    """Start the CLI on a free port and read its announcement (`python`: a script run
    instead, given the CLI's arguments)."""
    base = [sys.executable, "-m", "mockserver"] if module else _command()
    if python is not None:
        base = [sys.executable, "-c", python]
    process = subprocess.Popen(
        [*base, "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline()]
        while lines[-1] and not lines[-1].lstrip().startswith("admin"):
            lines.append(process.stdout.readline())
        banner = "".join(lines).strip()
        origin = lines[0].split(" on ", 1)[1].split(" ", 1)[0]
        deadline = time.monotonic() + 10
        while True:
            try:
                httpx.get(f"{origin}/__mock/health", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.01)  # waiting for another process to listen
        yield Served(process, banner, origin)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def test_serve_announces_every_surface_and_serves_the_sdk() -> None:
    with serve("--profile", "instant", "--seed", "3") as served:
        assert "seed 3, profile instant" in served.banner
        assert f"segmind    {served.origin}/segmind" in served.banner
        client = SegmindClient(api_key="k", base_url=f"{served.origin}/segmind/v1")
        result = client.submit_async("grok-imagine-image", prompt="x", resolution="1k").wait()
        image = decode(httpx.get(result["output"]).content)
        assert image.size == (1408, 768)


def test_a_served_process_sends_webhooks_from_its_loop_and_after_a_reset() -> None:
    # The server's loop is where webhooks go from (requests do not look for one): a reset,
    # which makes the webhook sender anew, must leave it sending.
    headers = {"Ocp-Apim-Subscription-Key": "k"}
    with WebhookReceiver() as receiver, serve("--profile", "instant") as served:
        sent = []
        for round_ in range(2):
            answer = httpx.post(
                served.origin + T2I,
                json={"prompt": "a lighthouse"},
                headers={**headers, "X-Webhook-URL": receiver.url},
            )
            assert answer.status_code == 202, answer.text
            sent.append(answer.json()["request_id"])
            received = receiver.wait(round_ + 1, timeout=10)
            assert [r.json["request_id"] for r in received] == sent
            httpx.post(f"{served.origin}/__mock/reset", json={})


def test_python_dash_m_mockserver_is_the_same_command() -> None:
    with serve(module=True) as served:
        assert httpx.get(f"{served.origin}/__mock/health").json()["profile"] == "fast"


def test_stopping_with_ctrl_c_exits_cleanly() -> None:
    with serve() as served:
        pass
    assert served.process.returncode == 0


def test_a_busy_port_is_a_clear_error() -> None:
    with serve() as served:
        port = served.origin.rsplit(":", 1)[1]
        result = subprocess.run(
            [*_command(), "serve", "--port", port], capture_output=True, text=True, timeout=20
        )
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "--port 0" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["serve", "--profile", "warp"], "invalid choice: 'warp'"),
        (["serve", "--seed", "x"], "invalid int value: 'x'"),
        ([], "the following arguments are required: COMMAND"),
        (
            ["serve", "--port", "0", "--state", "redis://127.0.0.1:1/0"],
            "cannot use the Redis state store at 'redis://127.0.0.1:1/0'",
        ),
        (["serve", "--state", "postgres://x"], "state must be 'memory' or a Redis URL"),
        (
            ["serve", "--port", "0", "--workers", "2"],
            "--workers needs the state shared between the workers",
        ),
        (["serve", "--workers", "0"], "--workers must be at least 1, got 0"),
    ],
)
def test_bad_arguments_say_what_is_wrong(args: list[str], message: str) -> None:
    result = subprocess.run([*_command(), *args], capture_output=True, text=True, timeout=20)
    assert result.returncode == 2
    assert message in result.stderr
