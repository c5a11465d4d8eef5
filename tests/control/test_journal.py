"""Journal queries, counts, JSON lines and verification with near misses."""

from __future__ import annotations

import json

import httpx
import pytest
from starlette.testclient import TestClient

from mockserver import Emulator
from mockserver.bodies import parse_json
from mockserver.engine.journal import (
    TRUNCATED,
    JournalEntry,
    JournalMismatch,
    bounded,
    key_fingerprint,
    redact_headers,
)
from pytest_plugin import GrokMock

SEGMIND = "https://api.segmind.com"


def _traffic(grok_mock: GrokMock) -> str:
    """Two submits by two keys, one poll, one refused poll; returns the first job's id."""
    job = httpx.post(
        f"{SEGMIND}/v2/grok-imagine-image", json={"prompt": "x"}, headers={"x-api-key": "alice"}
    ).json()
    httpx.post(
        f"{SEGMIND}/v2/grok-imagine-image", json={"prompt": "y"}, headers={"x-api-key": "bob"}
    )
    httpx.get(job["status_url"], headers={"x-api-key": "alice"})
    httpx.get(job["status_url"], headers={"x-api-key": "bob"})  # not bob's job: 404
    return str(job["request_id"])


def test_queries_and_counts_filter_on_every_field(grok_mock: GrokMock) -> None:
    job_id = _traffic(grok_mock)
    journal = grok_mock.journal
    assert journal.count(provider="segmind") == 4
    assert journal.count(operation="v2.submit") == 2
    assert journal.count(key="alice") == 2
    assert journal.count(method="GET", status=404) == 1
    assert [e.operation for e in journal.query(job_id=job_id)] == [
        "v2.submit",
        "v2.status",
        "v2.status",
    ]
    assert journal.query(limit=1)[0].status == 404
    # The operation as the journal prints it ([segmind.v2.submit]) filters the same.
    assert journal.count(operation="segmind.v2.submit") == 2
    assert journal.count(operation="pixazo.v2.submit") == 0
    with pytest.raises(TypeError, match="unknown journal filter"):
        journal.query(colour="red")


def test_the_admin_api_filters_as_the_journal_prints(client: TestClient) -> None:
    host = {"host": "api.segmind.com", "x-api-key": "alice"}
    client.post("/v2/grok-imagine-image", json={"prompt": "x"}, headers=host)
    for operation in ("v2.submit", "segmind.v2.submit"):
        count = client.get("/__mock/journal/count", params={"operation": operation})
        assert count.json() == {"count": 1}
    unknown = client.get("/__mock/journal", params={"colour": "red"})
    assert unknown.status_code == 400
    message = unknown.json()["error"]
    assert "unknown journal filter(s) colour" in message
    assert "provider, operation, method, status, scenario, job_id, key" in message


def test_the_verification_helper_passes_and_returns_the_matches(grok_mock: GrokMock) -> None:
    _traffic(grok_mock)
    found = grok_mock.assert_requests(2, operation="v2.submit")
    assert {e.status for e in found} == {200}
    grok_mock.assert_requests(at_least=1, key="bob", status=404)
    grok_mock.assert_requests(at_most=0, provider="pixazo")


def test_a_failed_verification_shows_the_near_misses(grok_mock: GrokMock) -> None:
    _traffic(grok_mock)
    with pytest.raises(JournalMismatch) as failed:
        grok_mock.assert_requests(1, operation="v2.status", key="bob", status=200)
    message = str(failed.value)
    assert message.startswith("expected exactly 1 request(s) matching operation='v2.status', key=")
    assert "found 0 among 4 journaled" in message
    assert "closest requests that did not match:" in message
    # The nearest miss is bob's poll, which differs only in its status.
    nearest = message.split("closest requests that did not match:\n", 1)[1].splitlines()
    assert "GET api.segmind.com/v2/requests/" in nearest[0]
    assert "-> 404" in nearest[0]
    assert nearest[1].strip() == "differs in: status 404 (wanted 200)"


def test_journal_exports_json_lines(grok_mock: GrokMock) -> None:
    _traffic(grok_mock)
    lines = grok_mock.journal.jsonl().splitlines()
    assert len(lines) == 4
    rows = [json.loads(line) for line in lines]
    assert [r["status"] for r in rows] == [200, 200, 200, 404]
    assert all("alice" not in line and "bob" not in line for line in lines)  # keys stay secret


def test_the_admin_api_counts_exports_and_verifies(emulator: Emulator, client: TestClient) -> None:
    auth = {"x-api-key": "alice"}
    host = {"host": "api.segmind.com"}
    client.post("/v2/grok-imagine-image", json={"prompt": "x"}, headers={**auth, **host})
    client.post("/v2/grok-imagine-image", json={}, headers={**auth, **host})
    assert client.get("/__mock/journal/count?status=200").json() == {"count": 1}
    exported = client.get("/__mock/journal?format=jsonl")
    assert exported.headers["content-type"] == "application/x-ndjson"
    assert [json.loads(line)["status"] for line in exported.text.splitlines()] == [200, 400]
    ok = client.post("/__mock/journal/verify", json={"count": 2, "operation": "v2.submit"})
    assert ok.json() == {"ok": True, "count": 2}
    missed = client.post("/__mock/journal/verify", json={"count": 1, "status": 201})
    assert missed.status_code == 409
    assert "closest requests that did not match" in missed.json()["message"]
    bad = client.post("/__mock/journal/verify", json={"count": "two"})
    assert bad.status_code == 400
    assert "count" in bad.json()["error"]


@pytest.mark.slow
def test_a_pytest_failure_prints_the_near_misses(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import httpx

        def test_polls_once(grok_mock):
            httpx.post(
                "https://api.segmind.com/v2/grok-imagine-image",
                json={"prompt": "x"},
                headers={"x-api-key": "k"},
            )
            grok_mock.assert_requests(1, operation="v2.status")
        """
    )
    result = pytester.runpytest("-p", "no:xdist", "-p", "no:randomly")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*expected exactly 1 request(s) matching operation='v2.status'; found 0 among 1*",
            "*closest requests that did not match:*",
            "*POST api.segmind.com/v2/grok-imagine-image -> 200*",
            "*differs in: operation 'v2.submit' (wanted 'v2.status')*",
        ]
    )


def test_an_entry_redacts_and_summarizes_when_read_exactly_as_at_once() -> None:
    raw = [(b"x-api-key", b"sk-live-0123456789"), (b"authorization", b"Bearer tok-abcdefgh")]
    body = json.dumps({"prompt": "p" * 400, "n": 2, "list": list(range(50))}).encode()
    entry = JournalEntry(at=0.0, method="POST", path="/", host="h")
    entry.keep_headers(raw, 8192)
    entry.keep_json_body(body, 16384, parse_json)
    entry.note_key("sk-live-0123456789")
    decoded = [(k.decode(), v.decode()) for k, v in raw]
    assert entry.request_headers == redact_headers(decoded, 8192)
    assert entry.body == bounded(json.loads(body), 16384, body)
    assert entry.key_hint == "sk-l...89"
    assert entry.key_fingerprint == key_fingerprint("sk-live-0123456789")
    shown = json.dumps(entry.to_dict()) + repr(entry)
    assert "0123456789" not in shown
    assert "abcdefgh" not in shown


def test_big_headers_and_bodies_are_bounded_at_once_not_kept_whole() -> None:
    entry = JournalEntry(at=0.0, method="POST", path="/", host="h")
    big = [(f"x-h{i}".encode(), b"v" * 1000) for i in range(100)]
    entry.keep_headers(big, 8192)
    body = json.dumps({"prompt": "p" * 100, "items": ["x" * 150] * 200}).encode()
    entry.keep_json_body(body, 1024, parse_json)
    # Nothing held refers to what was received: only the bounded copies.
    assert entry._raw_headers is None
    assert entry._raw_body is None
    assert "..." in entry.request_headers
    assert entry.body[TRUNCATED] is True


def test_each_entry_says_how_long_its_request_took_in_milliseconds(grok_mock: GrokMock) -> None:
    _traffic(grok_mock)
    durations = [json.loads(line)["duration_ms"] for line in grok_mock.journal.jsonl().splitlines()]
    assert len(durations) == 4
    for duration in durations:
        assert isinstance(duration, float)
        assert 0 <= duration < 60_000
        assert duration == round(duration, 3)  # to the microsecond, as measured
    entry = JournalEntry(1.0, "GET", "/x", "h", duration_ms=12.3456789)
    assert entry.duration_ms == 12.346
    assert entry.to_dict()["duration_ms"] == 12.346
