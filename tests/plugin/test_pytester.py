"""The plugin as users meet it: installed, auto-loaded, run by pytest itself."""

from __future__ import annotations

import subprocess
import sys

import pytest

# Every test here runs pytest inside pytest.
pytestmark = pytest.mark.slow

HEAVY = ("starlette", "uvicorn", "PIL", "hypothesis", "respx", "responses", "mockserver", "httpx")


def test_loading_the_plugin_imports_nothing_heavy() -> None:
    code = (
        "import sys, pytest_plugin.plugin; "
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == ""


def test_the_plugin_is_registered_with_its_options(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines(["*--grok-mock-seed*", "*--grok-mock-profile*"])
    markers = pytester.runpytest("--markers")
    markers.stdout.fnmatch_lines(["*@pytest.mark.grok_mock(profile=*"])


USER_TESTS = """
import httpx, pytest, segmind

def test_submit(grok_mock):
    job = httpx.post("https://api.segmind.com/v2/grok-imagine-image",
                     json={"prompt": "x"}, headers={"x-api-key": "k"}).json()
    assert job["status"] == "QUEUED"
    assert grok_mock.profile == "{profile}"
    assert grok_mock.seed == {seed}

def test_clock(grok_mock):
    grok_mock.advance(60)
    assert grok_mock.now == 1767225660.0
"""


def test_a_users_test_file_runs(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(USER_TESTS.replace("{profile}", "instant").replace("{seed}", "0"))
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_command_line_options(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(USER_TESTS.replace("{profile}", "polls").replace("{seed}", "7"))
    result = pytester.runpytest("--grok-mock-seed", "7", "--grok-mock-profile", "polls")
    result.assert_outcomes(passed=2)
    bad = pytester.runpytest("--grok-mock-profile", "warp")
    assert bad.ret != 0
    bad.stderr.fnmatch_lines(["*invalid choice: 'warp'*"])


def test_a_marker_beats_the_command_line(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.grok_mock(seed=3, profile="stuck")
        def test_marked(grok_mock):
            assert (grok_mock.seed, grok_mock.profile) == (3, "stuck")
        """
    )
    pytester.runpytest("--grok-mock-seed", "9").assert_outcomes(passed=1)


def test_bad_marker_options_fail_clearly(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.grok_mock(profle="polls")
        def test_typo(grok_mock):
            pass

        @pytest.mark.grok_mock(profile="warp")
        def test_bad_value(grok_mock):
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(["*unknown option(s) profle; known: *", "*unknown profile 'warp'*"])


def test_a_failing_test_reports_the_journal_tail(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import httpx

        def test_fails(grok_mock):
            httpx.post("https://api.segmind.com/v2/grok-imagine-image",
                       json={"prompt": "x [mock:insufficient-credits]"}, headers={"x-api-key": "k"})
            assert False, "the adapter should have raised"
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    output = result.stdout.str()
    assert "grok-mock journal (last requests)" in output
    assert (
        "#1 POST api.segmind.com/v2/grok-imagine-image -> 406 [segmind.v2.submit] "
        "scenario=insufficient-credits" in output
    )
    assert "Task was destroyed" not in output


XDIST_TESTS = """
import httpx, pytest

@pytest.mark.parametrize("index", range(6))
def test_in_process(grok_mock, index):
    grok_mock.queue("job-failed")
    job = httpx.post("https://api.segmind.com/v2/grok-imagine-image",
                     json={"prompt": "x"}, headers={"x-api-key": "k"}).json()
    status = httpx.get(job["status_url"], headers={"x-api-key": "k"})
    assert status.status_code == 422
    assert len(grok_mock.requests()) == 2

@pytest.mark.parametrize("index", range(4))
def test_live(grok_mock_server, index):
    base = grok_mock_server.url("pixazo")
    assert httpx.get(base + "/v2/requests/status/nope",
                     headers={"Ocp-Apim-Subscription-Key": "k"}).status_code == 404
"""


def test_the_fixtures_are_safe_under_xdist(pytester: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    pytester.makepyfile(XDIST_TESTS)
    result = pytester.runpytest("-n", "2", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=10)


def test_the_fixture_tests_themselves_pass_under_xdist() -> None:
    pytest.importorskip("xdist")
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "tests/plugin/test_fixtures.py",
            "-n",
            "2",
            "-q",
            "-p",
            "no:cacheprovider",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert " passed" in result.stdout


STATE_TESTS = """
import httpx

def _submit(server):
    answer = httpx.post(server.url("segmind") + "/v2/grok-imagine-image",
                        json={"prompt": "x"}, headers={"x-api-key": "k"})
    return answer.json()["request_id"]

def test_one(grok_mock_server):
    assert grok_mock_server.emulator.settings.state_namespace.startswith("grok-mock-test-")
    first = _submit(grok_mock_server)
    assert len(grok_mock_server.emulator.jobs) == 1
    assert grok_mock_server.emulator.job(first) is not None

def test_two(grok_mock_server):
    _submit(grok_mock_server)
    assert len(grok_mock_server.emulator.jobs) == 1  # not the other test's
"""


@pytest.mark.slow
def test_the_live_fixture_keeps_its_state_in_redis_per_test(
    pytester: pytest.Pytester, redis_url: str
) -> None:
    import redis

    pytester.makepyfile(STATE_TESTS)
    result = pytester.runpytest("-p", "no:cacheprovider", "--grok-mock-state", redis_url)
    result.assert_outcomes(passed=2)
    assert redis.Redis.from_url(redis_url).keys("grok-mock-test-*") == []
