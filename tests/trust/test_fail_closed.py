"""Fail closed: with every extra, with each one missing and with the core install only,
a `grok_mock` test calling a provider host through httpx, requests, urllib, aiohttp or
pycurl is served, or stopped with an error that says what to do, and nothing leaves.

Each configuration runs in a fresh pytest process. Missing extras are blocked when the
interpreter starts (a `sitecustomize` on PYTHONPATH), with plugin autoload off as in an
install without them. Beneath the guard sits a tripwire: any lookup of a provider host
or connection to a non-loopback address that gets past the guard is written down, and
the test fails if anything was.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from contracts import CONTRACTS

HOSTS = sorted(h for c in CONTRACTS.values() for h in c.hosts)
INSTALL = "pip install 'grok-imagine-mock[pytest]'"

SITECUSTOMIZE = f"""
import ipaddress, os, socket, sys

for name in filter(None, os.environ.get("GROK_BLOCK", "").split(",")):
    sys.modules[name] = None  # "import name" now fails as if it were not installed

HOSTS = {HOSTS!r}
LOG = os.environ["GROK_TRIPWIRE"]


def _note(what):
    with open(LOG, "a") as log:
        log.write(what + "\\n")


_lookup = socket.getaddrinfo


def getaddrinfo(host, *args, **kwargs):
    name = host.decode() if isinstance(host, bytes) else str(host or "")
    if name.lower().rstrip(".") in HOSTS:
        _note("lookup " + name)
        raise OSError("tripwire: a provider host lookup got past the guard")
    return _lookup(host, *args, **kwargs)


_connect = socket.socket.connect


def connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6):
        if not ipaddress.ip_address(address[0]).is_loopback:
            _note("connect " + str(address))
            raise OSError("tripwire: a connection beyond loopback")
    return _connect(self, address)


socket.getaddrinfo = getaddrinfo
socket.socket.connect = connect
"""

TESTS = """
import asyncio
import json
import os
import urllib.request

import pytest

URL = "https://api.segmind.com/v2/grok-imagine-image"
BODY = {"prompt": "x"}
HEADERS = {"x-api-key": "k", "content-type": "application/json"}


def outcome(call):
    try:
        return {"served": call()}
    except BaseException as exc:  # the verdict is what was raised, whatever it is
        return {"raised": type(exc).__name__, "message": str(exc)}


@pytest.fixture
def record(request):
    results = {}
    yield results
    with open(os.environ["GROK_RESULTS"], "a") as out:
        out.write(json.dumps(results) + "\\n")


def test_httpx(grok_mock, record):
    import httpx

    record["httpx"] = outcome(lambda: httpx.post(URL, json=BODY, headers=HEADERS).status_code)


def test_requests(grok_mock, record):
    import requests

    record["requests"] = outcome(
        lambda: requests.post(URL, json=BODY, headers=HEADERS, timeout=5).status_code
    )


def test_urllib(grok_mock, record):
    request = urllib.request.Request(URL, data=json.dumps(BODY).encode(), headers=HEADERS)
    record["urllib"] = outcome(lambda: urllib.request.urlopen(request, timeout=5).status)


def test_aiohttp(grok_mock, record):
    import aiohttp

    async def post():
        async with aiohttp.ClientSession() as session:
            async with session.post(URL, json=BODY, headers=HEADERS) as response:
                return response.status

    record["aiohttp"] = outcome(lambda: asyncio.run(post()))


def test_pycurl(grok_mock, record):
    import pycurl

    def post():
        curl = pycurl.Curl()
        curl.setopt(pycurl.URL, URL)
        curl.setopt(pycurl.POSTFIELDS, json.dumps(BODY))
        curl.perform()
        return curl.getinfo(pycurl.RESPONSE_CODE)

    record["pycurl"] = outcome(post)


def test_the_live_server(grok_mock_server, record):
    import httpx

    url = grok_mock_server.url("segmind") + "/v2/grok-imagine-image"
    record["live"] = outcome(lambda: httpx.post(url, json=BODY, headers=HEADERS).status_code)
"""

SERVED = {"served": 200}


def stopped(library: str, *more: str) -> dict[str, object]:
    return {"raised": "NotIntercepted", "says": [f"grok_mock: {library} tried", *more]}


NOT_SERVED = "use the grok_mock_server fixture"
CONFIGURATIONS = {
    "every extra": (
        (),
        {
            "httpx": SERVED,
            "requests": SERVED,
            "urllib": stopped("urllib", f"does not serve urllib in-process; {NOT_SERVED}"),
            "aiohttp": stopped("aiohttp", f"does not serve aiohttp in-process; {NOT_SERVED}"),
            "pycurl": stopped("pycurl", f"does not serve pycurl in-process; {NOT_SERVED}"),
        },
    ),
    "no respx": (
        ("respx",),
        {
            "httpx": stopped("httpx", f"through respx, which is not installed: {INSTALL}"),
            "requests": SERVED,
        },
    ),
    "no responses": (
        ("responses",),
        {
            "httpx": SERVED,
            "requests": stopped(
                "requests", f"through responses, which is not installed: {INSTALL}"
            ),
        },
    ),
    "core only": (
        ("respx", "responses", "hypothesis", "httpx2", "httpcore2"),
        {
            "httpx": stopped("httpx", INSTALL),
            "requests": stopped("requests", INSTALL),
            "urllib": stopped("urllib", NOT_SERVED),
            "aiohttp": stopped("aiohttp", NOT_SERVED),
            "pycurl": stopped("pycurl", NOT_SERVED),
        },
    ),
}


def matches(seen: dict[str, object], wanted: dict[str, object]) -> bool:
    if "served" in wanted:
        return seen == wanted
    message = str(seen.get("message", ""))
    says = wanted["says"]
    assert isinstance(says, list)
    return seen.get("raised") == wanted["raised"] and all(text in message for text in says)


@pytest.mark.slow
@pytest.mark.parametrize("configuration", list(CONFIGURATIONS))
def test_every_client_is_served_or_stopped(
    pytester: pytest.Pytester, tmp_path: Path, configuration: str
) -> None:
    blocked, expected = CONFIGURATIONS[configuration]
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE)
    pytester.makepyfile(test_clients=TESTS)
    results, tripwire = tmp_path / "results.jsonl", tmp_path / "tripwire.log"
    tripwire.touch()
    root = Path(__file__).resolve().parents[2]
    env = {
        "PYTHONPATH": os.pathsep.join([str(site), str(root)]),
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
        "GROK_BLOCK": ",".join(blocked),
        "GROK_TRIPWIRE": str(tripwire),
        "GROK_RESULTS": str(results),
    }
    for name, value in env.items():
        pytester._monkeypatch.setenv(name, value)
    run = pytester.runpytest_subprocess("-p", "pytest_plugin.plugin", "-p", "no:cacheprovider")
    run.assert_outcomes(passed=6)
    seen: dict[str, dict[str, object]] = {}
    for line in results.read_text().splitlines():
        seen.update(json.loads(line))
    assert tripwire.read_text() == "", "something got past the guard"
    assert seen["live"] == SERVED, "grok_mock_server needs no extra"
    for library, wanted in expected.items():
        assert matches(seen[library], wanted), (library, seen[library])
    assert sys.executable  # the inner run used this interpreter (runpytest_subprocess)


@pytest.mark.slow
@pytest.mark.parametrize("module", ["pytest_plugin.adapters", "contracts.strategies"])
def test_a_missing_extra_names_the_install_command(module: str) -> None:
    import subprocess

    blocker = "import sys; sys.modules['hypothesis'] = None; "
    run = subprocess.run(
        [sys.executable, "-c", blocker + f"import {module}"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("ModuleNotFoundError: ")
    assert "hypothesis, which is not installed: " + INSTALL in last


@pytest.mark.grok_mock(providers=["segmind"])
def test_grpc_channels_to_provider_hosts_are_stopped(grok_mock: object) -> None:
    grpc = pytest.importorskip("grpc")
    from pytest_plugin import NotIntercepted

    # xAI is not served here, so its SDK's channel has nowhere to go: stopped, named.
    for target in ("api.x.ai:443", "dns:///api.x.ai:443", "api.x.ai"):
        with pytest.raises(NotIntercepted, match=r"grok_mock: grpc tried to reach api\.x\.ai"):
            grpc.insecure_channel(target)
    with pytest.raises(NotIntercepted):
        grpc.secure_channel("api.x.ai:443", grpc.ssl_channel_credentials())
    grpc.insecure_channel("127.0.0.1:1").close()  # loopback is nobody's provider


def test_grpc_channels_to_a_served_xai_go_to_the_emulator(grok_mock: object) -> None:
    grpc = pytest.importorskip("grpc")
    pytest.importorskip("xai_sdk")
    channel = grpc.secure_channel("api.x.ai:443", grpc.ssl_channel_credentials())
    # A channel to the emulator's loopback server: it connects, where api.x.ai never would.
    grpc.channel_ready_future(channel).result(timeout=5)
    channel.close()
