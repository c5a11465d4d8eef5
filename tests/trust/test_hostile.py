"""No input produces a 5xx the provider does not document, a traceback or a dead server."""

from __future__ import annotations

import json
import re
import sys
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from contracts import CONTRACTS
from mockserver import Emulator, ManualClock, bodies, create_app
from mockserver.engine import Refusal, json_text
from mockserver.engine.store import State
from mockserver.responses import json_bytes
from tests.test_cli import serve
from tests.trust.hostile import Target, cases, targets, wire

TARGETS = targets()


def error_shapes(provider: str) -> list[frozenset[str]]:
    shapes = []
    for case in CONTRACTS[provider].errors.values():
        body, _ = case.render()
        if isinstance(body, dict):
            shapes.append(frozenset(body))
    return shapes


# Where the provider itself answers a bad input with a 5xx, the emulator does too: Segmind's
# v1 model meets an unreadable `image` during the call and fails with a 500 (docs/SOURCES.md
# §3). Such an answer must still name what was wrong, in the provider's shape.
_DOCUMENTED_5XX = {("segmind", "v1.generate"): re.compile(r"^Invalid value for 'image': ")}


def _documented_5xx(target: Target, response: httpx.Response) -> bool:
    said = _DOCUMENTED_5XX.get((target.provider, target.operation.split(":")[0]))
    if said is None or response.status_code != 500:
        return False
    body = response.json()
    return isinstance(body, dict) and bool(said.match(str(body.get("error", ""))))


def check_answer(target: Target, label: str, response: httpx.Response) -> list[str]:
    where = f"{target.operation} {label}"
    problems = []
    if response.status_code >= 500 and not _documented_5xx(target, response):
        problems.append(f"{where}: {response.status_code} {response.text[:300]}")
    if response.headers.get("x-mock-error") == "emulator-bug":
        problems.append(f"{where}: emulator-bug {response.text[:300]}")
    if response.status_code >= 400 and response.headers.get("content-type", "").startswith(
        "application/json"
    ):
        body = response.json()
        if not isinstance(body, dict) or frozenset(body) not in error_shapes(target.provider):
            problems.append(f"{where}: {response.status_code} not in the provider's shape: {body}")
    return problems


@pytest.mark.slow
def test_the_corpus_covers_every_post_operation() -> None:
    covered = {(t.provider, t.operation.split(":")[0]) for t in TARGETS}
    expected = {
        (c.provider, o.id) for c in CONTRACTS.values() for o in c.operations if o.method == "POST"
    }
    assert covered == expected
    assert len(TARGETS) == 19  # Kie's createTask adds three models
    assert sum(1 for t in TARGETS for _ in cases(t)) >= 900


# The inner loop runs two routes (a multipart-capable one and the strictest parser);
# the rest, and the whole corpus over a socket, run with the slow tests.
_QUICK = {("segmind", "v2.submit:grok-imagine-image"), ("xai", "edits")}


@pytest.mark.parametrize(
    "target",
    [
        pytest.param(t, marks=[] if (t.provider, t.operation) in _QUICK else [pytest.mark.slow])
        for t in TARGETS
    ],
    ids=lambda t: f"{t.provider}-{t.operation}",
)
def test_hostile_requests_get_the_providers_own_answers(
    target: Target, store: State | None
) -> None:
    emulator = Emulator(clock=ManualClock(), profile="instant", seed=11, state=store)
    problems: list[str] = []
    with TestClient(create_app(emulator), raise_server_exceptions=True) as client:
        for label, headers, body in cases(target):
            response = client.post(target.path, content=body, headers=wire(headers))
            problems += check_answer(target, label, response)
        # Whatever was accepted can be read back, by the client and through the admin API.
        assert client.get("/__mock/journal").status_code == 200
        assert client.get("/__mock/journal?format=jsonl").status_code == 200
        for job in emulator.jobs:
            assert client.get(f"/__mock/jobs/{job.id}").status_code == 200
        assert client.get("/__mock/webhooks").status_code == 200
    assert problems == []
    assert not [e for e in emulator.journal if e.error and "Internal emulator error" in e.error]


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b'{"prompt": "a\xed\xa0\x80b"}', "prompt"),  # a surrogate encoded, not escaped
        (b'{"prompt": "x", "\xed\xb0\x80": 1}', "\udc00"),  # in a key
        (b'{"prompt": "\xed\xa0\xbd\xed\xb8\x80"}', "prompt"),  # CESU-8's pair: not UTF-8
    ],
)
def test_surrogates_encoded_as_utf8_are_refused_naming_the_field(
    client: TestClient, raw: bytes, field: str
) -> None:
    answer = client.post(
        "/segmind/v2/grok-imagine-image",
        content=raw,
        headers={"x-api-key": "k", "content-type": "application/json"},
    )
    assert answer.status_code == 400
    message = answer.json()["error"]
    assert message.startswith(f"Request body is not valid JSON: '{field}' holds a lone UTF-16")


def test_a_lone_surrogate_never_poisons_later_reads(client: TestClient) -> None:
    headers = {"Authorization": "Bearer k", **{"content-type": "application/json"}}
    created = client.post(
        "/apikley/api/v1/jobs/createTask",
        content=b'{"model": "grok-imagine/text-to-image", "input": {"prompt": "a\\ud800"}}',
        headers=headers,
    )
    assert created.status_code == 200
    assert created.json() == {
        "code": 422,
        "msg": "Request body is not valid JSON: 'input.prompt' holds a lone UTF-16 surrogate, "
        "which is not valid Unicode",
        "data": None,
    }
    # An admin rule whose regex holds one is stored, and read back as valid JSON.
    rule = client.post(
        "/__mock/scenarios", content=b'{"scenario": "rate-limited", "prompt": "\\udc00"}'
    )
    assert rule.status_code == 400
    assert client.get("/__mock/scenarios").status_code == 200
    assert client.get("/__mock/journal").status_code == 200


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        (
            "/__mock/latency",
            {"entries": [{"kind": "lognormal", "median": 1e308, "sigma": 1000}]},
            "at most",
        ),
        ("/__mock/latency", {"entries": [{"kind": "fixed", "seconds": 1e300}]}, "at most 3600"),
        ("/__mock/clock/advance", {"seconds": 1e308}, "by at most"),
        ("/__mock/reset", {"seed": "1"}, "'seed' must be an integer"),
        ("/__mock/scenarios", {"scenario": "rate-limited", "times": 1.5}, "'times' must be"),
        ("/__mock/scenarios", {"scenario": "rate-limited", "prompt": "("}, "not a regex"),
        ("/__mock/chaos", {"entries": [{"scenario": "server-error", "probability": "x"}]}, ""),
    ],
)
def test_the_admin_api_validates_what_it_stores(
    client: TestClient, path: str, body: dict[str, Any], message: str
) -> None:
    method = client.put if path in ("/__mock/latency", "/__mock/chaos") else client.post
    response = method(path, json=body)
    assert response.status_code == 400, response.text
    assert message in response.json()["error"]
    # ... and every provider request still answers.
    ok = client.post(
        "/segmind/v2/grok-imagine-image", json={"prompt": "x"}, headers={"x-api-key": "k"}
    )
    assert ok.status_code == 200


def test_admin_bodies_and_journaled_paths_are_bounded(
    client: TestClient, emulator: Emulator
) -> None:
    huge = client.post("/__mock/scenarios", content=b"{" + b" " * (2 * 1024 * 1024) + b"}")
    assert (huge.status_code, huge.json()) == (
        413,
        {"error": "request body is larger than 1048576 bytes"},
    )
    path = "/segmind/v2/requests/x/status?" + "q=" * 15_000
    client.get(path, headers={"x-api-key": "k"})
    (entry,) = emulator.journal.query(operation="v2.status")
    assert entry.path == f"{path[:2048]}...(+{len(path) - 2048} chars)"


@pytest.mark.parametrize("raw", [b'{"seconds": NaN}', b'{"seconds": Infinity}', b'{"seed": 1e999}'])
def test_admin_bodies_refuse_non_standard_json(client: TestClient, raw: bytes) -> None:
    path = "/__mock/reset" if b"seed" in raw else "/__mock/clock/advance"
    response = client.post(path, content=raw)
    assert response.status_code == 400
    assert "JSON" in response.json()["error"]


def test_a_non_ascii_admin_token_is_refused_not_a_crash() -> None:
    emulator = Emulator(clock=ManualClock(), admin_token="s3cret")
    with TestClient(create_app(emulator)) as client:
        wrong = client.get("/__mock/journal", headers={"x-admin-token": "sécret".encode("latin-1")})
        assert wrong.status_code == 401
        right = client.get("/__mock/journal", headers={"x-admin-token": "s3cret"})
        assert right.status_code == 200


def test_the_safety_net_answers_an_emulator_bug_in_the_providers_shape(
    client: TestClient, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise ZeroDivisionError("a bug of ours")

    monkeypatch.setattr(emulator, "open_job", broken)
    response = client.post(
        (
            "/pixazo/grok-imagine-pro-text-to-image-quality/v1/"
            "grok-imagine-pro-text-to-image-quality-request"
        ),
        json={"prompt": "x"},
        headers={"Ocp-Apim-Subscription-Key": "k"},
    )
    assert response.status_code == 500
    assert response.headers["x-mock-error"] == "emulator-bug"
    assert response.json() == {
        "error": "Internal Server Error",
        "message": "Internal emulator error (ZeroDivisionError): a bug of ours",
    }
    monkeypatch.setattr(emulator, "job_summary", broken)
    admin = client.get("/__mock/jobs/anything")
    assert (admin.status_code, admin.headers["x-mock-error"]) == (500, "emulator-bug")
    assert "ZeroDivisionError" in admin.json()["error"]


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc for the server's memory")
def test_the_whole_corpus_over_a_socket_keeps_the_server_up_and_small() -> None:
    problems: list[str] = []
    with (
        serve("--profile", "instant") as served,
        httpx.Client(base_url=served.origin, timeout=30) as client,
    ):
        for target in TARGETS:
            for label, headers, body in cases(target):
                try:
                    response = client.post(target.path, content=body, headers=wire(headers))
                except httpx.LocalProtocolError:
                    continue  # the client library will not send this header at all
                except httpx.HTTPError as exc:
                    problems.append(f"{target.operation} {label}: {exc!r}")
                    continue
                problems += check_answer(target, label, response)
        assert client.get("/__mock/health").json()["status"] == "ok"
        rss = rss_mb(served.process.pid)
    assert problems == []
    print(f"server RSS after the corpus: {rss:.1f} MB")
    assert rss < 150, json.dumps({"server_rss_mb": rss})


@pytest.mark.parametrize("encoder", ["orjson", "standard"])
def test_json_answers_are_compact_standard_json_whatever_they_hold(
    encoder: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # orjson where it is installed, else the standard library's encoder (built once and
    # shared by every answer): both must write what json.dumps would, keep no state
    # between answers, and never write NaN.
    if encoder == "standard":
        monkeypatch.setattr(json_text, "_fast_json", None)
    else:
        assert json_text._fast_json is not None, "orjson is a dependency on CPython"
    body = {"a": "é", "n": [1, 2.5, None, True, {"k": []}], "q": 'say "hi"\n\x01'}
    expected = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    assert json_bytes(body) == expected
    # What orjson does not take is the standard encoder's, with the same text.
    assert json_bytes({"s": "\ud800 x"}) == b'{"s":"\\ud800 x"}'  # still valid JSON
    assert json_bytes({1: 10**20}) == b'{"1":100000000000000000000}'
    with pytest.raises(TypeError, match="not JSON serializable"):
        json_bytes({"x": object()})
    try:
        nan = json_bytes({"x": float("nan")})
    except ValueError:
        nan = b"refused"
    assert nan == (b'{"x":null}' if encoder == "orjson" else b"refused")
    assert json_bytes(body) == expected  # a failed answer leaves nothing behind
    assert json_bytes("text") == b'"text"'


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)
# After the object: JSON's own spaces, spaces JSON does not have, and more values.
_TAILS = st.sampled_from(["", " ", "\r\n\t ", "\x0b", "\u00a0", "x", "}", "{}", " 1", "]"])


def _decoded_whole(raw: bytes) -> Any:
    """What the standard decoder makes of the whole body, as parse_json words it."""
    try:
        return bodies._DECODER.decode(raw.decode("utf-8", "surrogatepass"))
    except json.JSONDecodeError as exc:
        return f"Request body is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
    except ValueError as exc:
        return f"Request body is not valid JSON: {exc}"


@settings(max_examples=300, deadline=None)
@given(
    fields=st.dictionaries(st.text(), _JSON_VALUES, max_size=4),
    tail=_TAILS,
    cut=st.integers(min_value=0, max_value=3),
)
def test_bodies_opening_with_a_brace_parse_as_the_whole_decoder_parses_them(
    fields: dict[str, Any], tail: str, cut: int
) -> None:
    text = json.dumps(fields, ensure_ascii=False)
    raw = (text[: len(text) - cut] + tail).encode("utf-8", "surrogatepass")
    if bodies._MAYBE_SURROGATE.search(raw) or not raw.startswith(b"{"):
        return  # another check words those; the fast path is for bodies opening with "{"
    try:
        parsed: Any = bodies.parse_json(raw)
    except Refusal as refusal:
        parsed = refusal.message
    assert parsed == _decoded_whole(raw)
