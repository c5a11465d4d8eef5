"""Network faults over a real socket and in-process, and latency."""

from __future__ import annotations

import http.client
from collections.abc import Iterator

import httpx
import pytest
import requests
from openai import APIConnectionError, APITimeoutError, OpenAI
from starlette.testclient import TestClient

from mockserver import Emulator, LiveServer, ManualClock, create_app
from pytest_plugin import GrokMock

SUBMIT = "/v2/grok-imagine-image"
AUTH = {"x-api-key": "k"}

# What each client raises over a socket: (httpx exception, requests exception, text in it).
EXPECTED = {
    "disconnect": (httpx.ReadError, requests.ConnectionError, "Connection reset by peer"),
    "empty-response": (httpx.RemoteProtocolError, requests.ConnectionError, "without"),
    "garbage-response": (httpx.RemoteProtocolError, requests.ConnectionError, ""),
    "truncated-body": (
        httpx.RemoteProtocolError,
        requests.exceptions.ChunkedEncodingError,
        "IncompleteRead",
    ),
    # The headers came in time; requests reports a timeout while reading the body this way.
    "slow-response": (httpx.ReadTimeout, requests.ConnectionError, "Read timed out"),
    "hang": (httpx.ReadTimeout, requests.exceptions.ReadTimeout, "timed out"),
}


# Faults act on the transport: each is proven over both of uvicorn's HTTP implementations.
@pytest.fixture(scope="module", params=["httptools", "h11"])
def server(request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    emulator = Emulator(clock=ManualClock(), profile="instant", slow_response_interval=1.5)
    with LiveServer(emulator, http=request.param) as live:
        yield live


def _post(client: str, server: LiveServer, fault: str) -> None:
    url = server.url("segmind") + SUBMIT
    headers = {**AUTH, "X-Mock-Scenario": fault}
    if client == "httpx":
        httpx.post(url, json={"prompt": "x"}, headers=headers, timeout=0.5)
    else:
        requests.post(url, json={"prompt": "x"}, headers=headers, timeout=0.5)


@pytest.mark.parametrize("fault", list(EXPECTED))
def test_each_fault_reaches_httpx_over_the_socket(server: LiveServer, fault: str) -> None:
    expected = EXPECTED[fault][0]
    with pytest.raises(expected):
        _post("httpx", server, fault)


@pytest.mark.slow  # the httpx twin above runs in the inner loop
@pytest.mark.parametrize("fault", list(EXPECTED))
def test_each_fault_reaches_requests_over_the_socket(server: LiveServer, fault: str) -> None:
    _, expected, text = EXPECTED[fault]
    with pytest.raises(expected) as raised:
        _post("requests", server, fault)
    assert text in str(raised.value)


def test_specific_causes_over_the_socket(server: LiveServer) -> None:
    url = server.url("segmind") + SUBMIT
    with pytest.raises(requests.ConnectionError) as empty:
        requests.post(url, json={}, headers={**AUTH, "X-Mock-Scenario": "empty-response"})
    assert isinstance(empty.value.args[0].args[1], http.client.RemoteDisconnected)
    with pytest.raises(requests.ConnectionError) as garbage:
        requests.post(url, json={}, headers={**AUTH, "X-Mock-Scenario": "garbage-response"})
    assert isinstance(garbage.value.args[0].args[1], http.client.BadStatusLine)


def test_the_server_keeps_serving_after_faults(server: LiveServer) -> None:
    for fault in EXPECTED:
        with pytest.raises((httpx.TransportError, httpx.TimeoutException)):
            _post("httpx", server, fault)
    assert (
        httpx.post(server.url("segmind") + SUBMIT, json={"prompt": "x"}, headers=AUTH).status_code
        == 200
    )


def test_a_slow_response_arrives_for_a_patient_client() -> None:
    emulator = Emulator(clock=ManualClock(), profile="instant", slow_response_interval=0.01)
    with LiveServer(emulator) as live:
        response = httpx.post(
            live.url("segmind") + SUBMIT,
            json={"prompt": "x"},
            headers={**AUTH, "X-Mock-Scenario": "slow-response"},
            timeout=5,
        )
    assert response.status_code == 200
    assert response.json()["status"] == "QUEUED"


def test_truncated_means_processed_but_lost(server: LiveServer) -> None:
    before = len(server.emulator.jobs)
    with pytest.raises(httpx.RemoteProtocolError):
        _post("httpx", server, "truncated-body")
    assert len(server.emulator.jobs) == before + 1  # the job exists; the client never saw its id
    journal = server.emulator.journal.query(scenario="truncated-body")
    assert journal[-1].error == "network fault: truncated-body"


def test_a_rule_faults_media_downloads(server: LiveServer) -> None:
    job = httpx.post(server.url("segmind") + SUBMIT, json={"prompt": "x"}, headers=AUTH).json()
    result = httpx.get(job["response_url"], headers=AUTH).json()
    server.emulator.queue_scenario("truncated-body", provider="segmind", operation="media")
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(result["output"])
    assert httpx.get(result["output"]).status_code == 200


# -- in-process: the same exceptions, no socket --------------------------------


@pytest.mark.grok_mock(slow_response_interval=1.0)
@pytest.mark.parametrize("fault", list(EXPECTED))
def test_in_process_faults_raise_what_the_socket_would(grok_mock: GrokMock, fault: str) -> None:
    httpx_error, requests_error, text = EXPECTED[fault]
    url = "https://api.segmind.com" + SUBMIT
    headers = {**AUTH, "X-Mock-Scenario": fault}
    with pytest.raises(httpx_error):
        httpx.post(url, json={"prompt": "x"}, headers=headers, timeout=0.5)
    if fault != "slow-response":  # requests does not tell a transport its read timeout
        with pytest.raises(requests_error) as raised:
            requests.post(url, json={"prompt": "x"}, headers=headers, timeout=0.5)
        assert text in str(raised.value)
    sdk = OpenAI(api_key="k", base_url="https://api.x.ai/v1", max_retries=0, timeout=0.5)
    expected = APITimeoutError if httpx_error is httpx.ReadTimeout else APIConnectionError
    with pytest.raises(expected):
        sdk.images.generate(model="grok-imagine-image", prompt=f"x [mock:{fault}]")


# -- latency ----------------------------------------------------------------------


def test_latency_moves_the_virtual_clock_and_is_seeded(grok_mock: GrokMock) -> None:
    grok_mock.emulator.set_latency(
        [
            {"kind": "fixed", "provider": "segmind", "operation": "v2.submit", "seconds": 2.5},
            {"kind": "uniform", "provider": "segmind", "low": 0.1, "high": 0.3},
        ]
    )
    start = grok_mock.now
    job = httpx.post("https://api.segmind.com" + SUBMIT, json={"prompt": "x"}, headers=AUTH).json()
    assert grok_mock.now - start == pytest.approx(2.5)
    waited = grok_mock.now
    httpx.get(job["status_url"], headers=AUTH)
    assert 0.1 <= grok_mock.now - waited <= 0.3


def test_lognormal_latency_has_its_median() -> None:
    from mockserver.engine.chaos import Latency, LatencyEntry
    from mockserver.engine.scenarios import RequestFacts

    latency = Latency(7, [LatencyEntry("lognormal", median=0.2, sigma=0.5)])
    delays = sorted(latency.delay(RequestFacts("segmind", "v2.status", False)) for _ in range(2001))
    assert 0.18 < delays[1000] < 0.22
    again = Latency(7, [LatencyEntry("lognormal", median=0.2, sigma=0.5)])
    assert again.delay(RequestFacts("segmind", "v2.status", False)) == pytest.approx(
        Latency(7, [LatencyEntry("lognormal", median=0.2, sigma=0.5)]).delay(
            RequestFacts("xai", "deferred", False)
        )
    )


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"kind": "gaussian"}, "latency kind must be one of fixed, uniform, lognormal"),
        ({"kind": "fixed", "seconds": -1}, "fixed latency needs seconds >= 0"),
        ({"kind": "uniform", "low": 2, "high": 1}, "uniform latency needs high >= low"),
        ({"kind": "fixed", "secs": 1}, "latency: unknown key(s) secs"),
        ({"kind": "fixed", "provider": "nope"}, "provider 'nope' is not served"),
    ],
)
def test_bad_latency_is_refused(entry: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Emulator(clock=ManualClock()).set_latency([entry])


def test_a_fault_rule_after_handling_is_spent_once_per_request(emulator: Emulator) -> None:
    # A truncated answer still opens its job; that job must not spend the rule a second time.
    emulator.queue_scenario("truncated-body", provider="xai", operation="generations", times=2)
    xai, key = "/xai/v1/images/generations", {"Authorization": "Bearer k"}
    with TestClient(create_app(emulator)) as client:
        for _ in range(2):
            with pytest.raises(AssertionError):  # TestClient's word for a cut body
                client.post(xai, json={"prompt": "x"}, headers=key)
        assert client.post(xai, json={"prompt": "x"}, headers=key).status_code == 200
