"""Judging retries: how many, after what, how soon, and what an adapter may do when the
answer to its submit is lost."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from contracts import NETWORK_SCENARIOS, Contract
from pytest_plugin._adapter_cases import operations_of
from pytest_plugin._adapter_judges import resubmit_problems
from pytest_plugin._adapter_run import Run
from pytest_plugin._adapter_verdicts import accepted_jobs, attempts
from pytest_plugin._controller import GrokMock

if TYPE_CHECKING:
    from pytest_plugin._adapter_checks import Case
    from pytest_plugin.adapters import AdapterOptions

_AT_ONCE = 1e-9
_TOLERANCE = 1e-6
Judged = Callable[..., list[str]]


class RetryJudge:
    """Judges each run of the retry check, and the adapter's backoff over all of them:
    a wait drawn at random (full jitter) may be short once, never every time."""

    def __init__(self, contract: Contract, options: AdapterOptions) -> None:
        self.contract = contract
        self.options = options
        self.waits: list[float] = []
        self.sample: tuple[Case, Run] | None = None

    def problems(
        self, case: Case, run: Run, grok_mock: GrokMock, success: Judged, common: Judged
    ) -> list[str]:
        tries = self._tries(case, run)
        if not tries:  # the adapter never used what the trouble struck (a read it skips)
            return list(success(grok_mock, case, run))
        operation = tries[0].operation or case.place
        retried = max(0, len(tries) - 1)
        problems: list[str] = []
        allowed = self.options.retries
        if allowed == 0 and retried:
            problems.append(
                f"your adapter retries ({operation} {retried + 1} times here) but the checks "
                f"were told retries=0: declare retries=N, how many times it retries, and "
                "every check holds it to that"
            )
            allowed = retried
        if case.failures <= allowed:
            problems += self._passed(case, run, grok_mock, success, common)
        else:
            problems += self._gave_up(case, run, grok_mock, common, operation, retried)
        waits = [b.at - a.at for a, b in itertools.pairwise(tries)]
        # A gRPC channel's own retries wait in its C core's real time, which the virtual
        # clock cannot see: their waits are not judged.
        judged = self.options.transport != "grpc"
        if judged and any(wait <= _AT_ONCE for wait in waits):
            problems.append(f"retried {operation} at once, without waiting at all")
        if waits and judged:
            self.waits += waits
            self.sample = (case, run)
        return problems

    def backoff_problem(self) -> tuple[Case, Run, str] | None:
        """Over every run: the longest wait before a retry must reach min_backoff."""
        wanted = self.options.min_backoff
        if not self.waits or self.sample is None or max(self.waits) >= wanted - _TOLERANCE:
            return None
        case, run = self.sample
        return (
            case,
            run,
            f"over {len(self.waits)} retries the longest wait before one was "
            f"{max(self.waits):.3f} s; min_backoff is {wanted:g} s",
        )

    def _tries(self, case: Case, run: Run) -> list[Any]:
        """The attempts at the operation the trouble struck, from the first failure on."""
        ops = set(operations_of(self.contract, case.place))
        failed = [e for e in run.entries if e.operation in ops and e.scenario_source == "rule"]
        if not failed:
            return []
        first = failed[0]
        same = [
            e
            for e in run.entries
            if e.operation == first.operation and e.seq >= first.seq and e.job_id == first.job_id
        ]
        if case.place == "submit":  # each submit opens a job of its own
            same = [e for e in run.entries if e.operation == first.operation and e.seq >= first.seq]
        return same

    def _passed(
        self, case: Case, run: Run, grok_mock: GrokMock, success: Judged, common: Judged
    ) -> list[str]:
        """Within `retries`: the images, with one submit per failed submit plus one."""
        lost_submit = case.place == "submit" and case.scenario in NETWORK_SCENARIOS
        if lost_submit and run.error is not None and not run.runaway:
            # Not resubmitting a POST whose answer was lost is a fair choice (no second
            # charge), as long as the failure is reported.
            return list(common(run, accepted_jobs(self.contract, run, grok_mock)))
        problems = list(success(grok_mock, case, run))
        sent = len(attempts(self.contract, run))
        wanted = case.failures + 1 if case.place == "submit" else 1
        if sent != wanted and run.error is None:
            why = f"{case.failures} failed" if case.place == "submit" else "only a read failed"
            problems.append(f"sent {sent} submits; {why}, so {wanted} were needed")
        return problems

    def _gave_up(
        self,
        case: Case,
        run: Run,
        grok_mock: GrokMock,
        common: Judged,
        operation: str,
        retried: int,
    ) -> list[str]:
        """Beyond `retries`: an error, after at most `retries` retries, and no resubmit
        when a read or a download failed."""
        problems = list(common(run, []))
        problems += resubmit_problems(self.contract, run, grok_mock)
        if run.error is None and not run.runaway:
            problems.insert(0, f"returned {run.result!r:.80} although every attempt failed")
        retries = self.options.retries
        if retries and retried > retries:
            problems.append(
                f"tried {operation} {retried + 1} times; retries={retries} allows {retries + 1}"
            )
        return problems
