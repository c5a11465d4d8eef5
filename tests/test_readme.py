"""The README's examples run against a real `grok-mock serve`, so they cannot rot."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from contracts import CONTRACTS, get_contract
from mockserver.catalogue import markdown
from tests.test_cli import Served, serve

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()
DOC_ORIGIN = "http://127.0.0.1:8000"
FENCE = re.compile(r"```(\w*)\n(.*?)```", re.S)


# Where the README's Redis example points; the test starts a real one instead.
DOC_REDIS = "redis://127.0.0.1:6379/0"


def blocks(language: str) -> list[str]:
    return [body for lang, body in FENCE.findall(README) if lang == language]


def section(name: str) -> str:
    start, end = f"<!-- {name}:start -->\n", f"\n<!-- {name}:end -->"
    return README[README.index(start) + len(start) : README.index(end)]


def notes(provider: str) -> str:
    contract = get_contract(provider)
    return "\n".join(f"- **{n.topic}** ({n.source.kind}): {n.text}" for n in contract.notes)


@pytest.fixture(scope="module")
def server() -> Iterator[Served]:
    with serve() as served:
        yield served


@pytest.mark.parametrize("provider", list(CONTRACTS))
def test_the_scenario_table_is_the_contracts(provider: str) -> None:
    # After changing a contract: python -m tests.test_readme rewrites these sections.
    assert section(f"scenarios:{provider}") == markdown(get_contract(provider))


@pytest.mark.parametrize("provider", list(CONTRACTS))
def test_the_fidelity_notes_are_the_contracts(provider: str) -> None:
    assert section(f"notes:{provider}") == notes(provider)


@pytest.mark.slow
def test_the_announced_urls_are_as_documented(server: Served) -> None:
    documented = next(body for lang, body in FENCE.findall(README) if "segmind    http" in body)
    assert server.banner == documented.replace(DOC_ORIGIN, server.origin).strip()


def test_the_ci_script_runs_the_readme_test_command() -> None:
    command = next(b for b in blocks("bash") if "pytest" in b).strip()
    ci = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text()
    assert command in ci


@pytest.mark.skipif(shutil.which("curl") is None, reason="the QA recipes are curl commands")
@pytest.mark.parametrize(
    "recipe",
    [b for b in blocks("bash") if b.startswith("# expect:")],
    ids=lambda b: b.split("\n")[1][:40],
)
@pytest.mark.slow
def test_each_curl_recipe_answers_as_documented(server: Served, recipe: str) -> None:
    expected = [int(code) for code in recipe.split("\n", 1)[0].split(":", 1)[1].split()]
    shows = re.findall(r"^# shows: (.+)$", recipe, re.M)
    script = recipe.replace(DOC_ORIGIN, server.origin)
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    statuses = [int(code) for code in re.findall(r"^HTTP/[\d.]+ (\d{3})", result.stdout, re.M)]
    assert statuses == expected, result.stdout
    for text in shows:
        assert text in result.stdout, (text, result.stdout)


TEST_FILES = [b for b in blocks("python") if b.startswith("# test file")]
EXAMPLES = [b for b in blocks("python") if not b.startswith("# test file")]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda b: b.strip().split("\n")[0][:40])
@pytest.mark.slow
def test_each_python_example_runs(
    server: Served, example: str, request: pytest.FixtureRequest
) -> None:
    code = example.replace(DOC_ORIGIN, server.origin)
    if DOC_REDIS in code:  # the state store's example, on a real redis-server
        code = code.replace(DOC_REDIS, request.getfixturevalue("redis_url"))
    exec(compile(code, "README.md", "exec"), {"__name__": "readme_example"})


def _test_file_id(block: str) -> str:
    found = re.search(r"def (test_\w+)|^(Test\w+) =", block, re.M)
    return (found.group(1) or found.group(2))[:35] if found else "test file"


@pytest.mark.parametrize("test_file", TEST_FILES, ids=_test_file_id)
@pytest.mark.slow
def test_each_plugin_example_passes(pytester: pytest.Pytester, test_file: str) -> None:
    pytester.syspathinsert(Path(__file__).resolve().parents[1] / "examples" / "adapters")
    pytester.makepyfile(test_file)
    result = pytester.runpytest("-p", "no:cacheprovider")
    declared = re.search(r"^# passes: (\d+)$", test_file, re.M)
    expected = int(declared.group(1)) if declared else test_file.count("\ndef test_")
    result.assert_outcomes(passed=expected)


def test_the_config_excerpt_loads(tmp_path: Path) -> None:
    from mockserver import Emulator
    from mockserver.config import load_config

    (excerpt,) = blocks("toml")
    path = tmp_path / "grok-mock.toml"
    path.write_text(excerpt)
    emulator = Emulator(load_config(path))
    assert (emulator.seed, len(emulator.rules), len(emulator.director.chaos.entries)) == (7, 1, 1)


def _synced(text: str) -> str:
    """`text` with every generated section rewritten from the contracts."""
    for provider in CONTRACTS:
        for name, body in (
            (f"scenarios:{provider}", markdown(get_contract(provider))),
            (f"notes:{provider}", notes(provider)),
        ):
            start, end = f"<!-- {name}:start -->\n", f"\n<!-- {name}:end -->"
            head, found, rest = text.partition(start)
            _, closed, tail = rest.partition(end)
            if not (found and closed):
                raise SystemExit(f"README.md has no complete {name} section")
            text = head + start + body + end + tail
    return text


if __name__ == "__main__":  # python -m tests.test_readme: rewrite the generated sections
    path = Path(__file__).resolve().parents[1] / "README.md"
    path.write_text(_synced(path.read_text()))
