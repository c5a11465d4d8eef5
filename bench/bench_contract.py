"""Adapter contract benchmark: prints figures, asserts nothing.

    python bench/bench_contract.py [--runs 3]

For each provider, the default contract run (`adapter_contract` with its
default number of examples) against that provider's reference httpx adapter
in examples/adapters, in a fresh pytest process with an empty hypothesis
database, as a user's first run would be. Reports the median wall time of the
whole pytest process and of the five checks alone (pytest's own total), and the
process as a multiple of the same pytest process running one empty test with the fixture.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ADAPTERS = ROOT / "examples" / "adapters"

CALLS = {
    "all": (
        "lambda a, r: a.generate(r.prompt, n=r.n, aspect_ratio=r.aspect_ratio, "
        "resolution=r.resolution, output_format=r.output_format)"
    ),
    "openai": (
        "lambda a, r: a.generate(r.prompt, n=r.n, aspect_ratio=r.aspect_ratio, "
        "resolution=r.resolution)"
    ),
    "apikley": "lambda a, r: a.generate(r.prompt, aspect_ratio=r.aspect_ratio)",
}
# provider -> (module, class, call, options)
REFERENCE = {
    "segmind": ("segmind_httpx", "SegmindImages", "all", "retries=3, min_poll_interval=1.0"),
    "pixazo": ("pixazo_httpx", "PixazoImages", "all", "retries=3, min_poll_interval=1.0"),
    "apikley": ("apikley_httpx", "ApikleyImages", "apikley", "retries=3, min_poll_interval=2.0"),
    "kie": ("apikley_httpx", "ApikleyImages", "apikley", "retries=3, min_poll_interval=2.0"),
    "agtcloud": ("openai_style_httpx", "OpenAIStyleImages", "openai", "retries=3, max_wait=1300"),
    "xai": ("openai_style_httpx", "OpenAIStyleImages", "openai", "retries=3, max_wait=1300"),
}


# The same pytest process with one test that only asks for the fixture: start-up and imports.
BASELINE = "def test_only_the_fixture(grok_mock):\n    pass\n"


def _test_file(provider: str) -> str:
    if provider == "baseline":
        return BASELINE
    module, cls, call, options = REFERENCE[provider]
    return (
        f"from {module} import {cls}\n"
        "from pytest_plugin.adapters import adapter_contract\n\n"
        f'TestReference = adapter_contract("{provider}", {cls}, {CALLS[call]}, {options})\n'
    )


def _run(provider: str) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "test_reference.py"
        path.write_text(_test_file(provider))
        env = {**os.environ, "PYTHONPATH": f"{ADAPTERS}{os.pathsep}{ROOT}"}
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "pytest", str(path), "-q", "-p", "no:cacheprovider"],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{provider}: the contract run failed\n{done.stdout}\n{done.stderr}")
    found = re.search(r"passed in ([\d.]+)s", done.stdout)
    return wall, float(found.group(1)) if found else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    base = statistics.median(_run("baseline")[0] for _ in range(args.runs))
    print(f"default contract run per provider, median of {args.runs} (budget 10 s):")
    print(f"  baseline: a pytest process with one test asking for grok_mock, {base:.2f} s")
    for provider in REFERENCE:
        runs = [_run(provider) for _ in range(args.runs)]
        wall = statistics.median(r[0] for r in runs)
        checks = statistics.median(r[1] for r in runs)
        print(
            f"  {provider:<9} {wall:5.2f} s for the pytest process ({wall / base:.1f}x the "
            f"baseline), {checks:5.2f} s in the checks"
        )


if __name__ == "__main__":
    main()
