"""The checks `adapter_contract` runs, one test method per expectation."""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from contracts import CONTRACTS, Contract, Model
from pytest_plugin._adapter_cases import (
    ImageRequest,
    failed_outcomes,
    passing_troubles,
    permanent_refusals,
    requests,
)
from pytest_plugin._adapter_run import Run, run_adapter
from pytest_plugin._adapter_verdicts import (
    accepted_jobs,
    attempts,
    image_problems,
    polling_problems,
    request_problems,
    verdict,
)
from pytest_plugin._controller import GrokMock

if TYPE_CHECKING:
    from pytest_plugin.adapters import AdapterOptions
    from pytest_plugin.receiver import WebhookReceiver

_PROFILES = ("instant", "fast", "realistic", "polls")


@dataclass(frozen=True)
class Case:
    """One drawn situation: the request, the lifecycle, and what goes wrong."""

    request: ImageRequest
    profile: str = "instant"
    scenario: str = "success"
    failures: int = 0

    def __str__(self) -> str:
        trouble = "" if self.scenario == "success" else f", scenario {self.scenario!r}"
        times = f" x{self.failures}" if self.failures else ""
        return f"{self.request}, profile {self.profile!r}{trouble}{times}"


class AdapterChecks:
    options: ClassVar[AdapterOptions]
    factory: ClassVar[Callable[..., Any]]
    call: ClassVar[Callable[[Any, ImageRequest], Any]]

    # -- plumbing ------------------------------------------------------------

    @property
    def contract(self) -> Contract:
        return CONTRACTS[self.options.provider]

    @property
    def model(self) -> Model:
        return self.contract.models[self.options.model]

    def _controller(self, request: pytest.FixtureRequest) -> GrokMock:
        name = "grok_mock_server" if self.options.live else "grok_mock"
        controller: GrokMock = request.getfixturevalue(name)
        controller.journal_in_reports = False  # each verdict carries its own excerpt
        return controller

    def _receiver(self, request: pytest.FixtureRequest) -> WebhookReceiver | None:
        if not self.options.webhooks:
            return None
        receiver: WebhookReceiver = request.getfixturevalue("grok_webhook_receiver")
        return receiver

    def _requests(self) -> st.SearchStrategy[ImageRequest]:
        return requests(self.contract, self.model, self.options.vary)

    def _settings(self) -> Callable[[Any], Any]:
        return settings(
            max_examples=self.options.examples,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
            # The verdict already says what varied; hypothesis's explain phase would
            # rerun the adapter dozens of times to say it again.
            phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
        )

    def _run(
        self,
        grok_mock: GrokMock,
        receiver: WebhookReceiver | None,
        case: Case,
    ) -> Run:
        grok_mock.reset(profile=case.profile)
        if receiver is not None:
            receiver.clear()
        provider = self.options.provider
        if case.scenario != "success":
            times = case.failures or None
            grok_mock.queue(case.scenario, provider=provider, times=times)
        base_url = grok_mock.url(provider)
        extra = (receiver.url,) if receiver is not None else ()
        # Long enough for any honest run (a download just before media expires too);
        # an adapter that polls forever runs out of requests long before.
        max_seconds = max(2 * self.options.max_wait, self.contract.retention.media_seconds + 3600)
        wait = max(self.options.min_poll_interval, 0.01)
        budget = 2 * int(self.options.max_wait / wait) + 200

        def one_generation() -> Any:
            adapter = type(self).factory(base_url, self.options.api_key, *extra)
            if inspect.isawaitable(adapter):
                return _then(adapter, lambda built: type(self).call(built, case.request))
            return type(self).call(adapter, case.request)

        return run_adapter(grok_mock, one_generation, max_seconds=max_seconds, max_requests=budget)

    def _fail(self, what: str, case: Case, problems: list[str], run: Run) -> None:
        __tracebackhide__ = True
        headline = f"{self.options.provider} adapter contract: {what}"
        pytest.fail(verdict(headline, str(case), problems, run), pytrace=False)

    def _common(self, run: Run, jobs: list[Any]) -> list[str]:
        problems = request_problems(self.contract, run)
        problems += polling_problems(self.contract, run, jobs, self.options.min_poll_interval)
        if run.runaway:
            problems.insert(0, f"never stopped on its own: {run.runaway}")
        return problems

    def _success_problems(self, grok_mock: GrokMock, case: Case, run: Run) -> list[str]:
        jobs = accepted_jobs(self.contract, run, grok_mock)
        problems = self._common(run, jobs)
        if run.error is not None:
            problems.insert(0, f"raised {type(run.error).__name__}: {run.error}")
        elif not run.runaway:
            problems += image_problems(
                self.contract, self.model, case.request, run, jobs, grok_mock
            )
        return problems

    # -- the checks -----------------------------------------------------------

    def test_returns_the_images_asked_for(self, request: pytest.FixtureRequest) -> None:
        """Success: exactly the images asked for, readable, in the right format and size."""
        grok_mock, receiver = self._controller(request), self._receiver(request)

        @self._settings()
        @given(req=self._requests(), profile=st.sampled_from(_PROFILES))
        def check(req: ImageRequest, profile: str) -> None:
            case = Case(req, profile)
            run = self._run(grok_mock, receiver, case)
            problems = self._success_problems(grok_mock, case, run)
            if receiver is not None and not problems:
                problems += _webhook_problems(grok_mock, receiver, run, self.contract)
            if problems:
                self._fail("a successful generation went wrong", case, problems, run)

        check()

    def test_reports_failed_jobs(self, request: pytest.FixtureRequest) -> None:
        """A job that fails, errors or is moderated is reported as an error, not as images."""
        outcomes = failed_outcomes(self.contract)
        grok_mock, receiver = self._controller(request), self._receiver(request)

        @self._settings()
        @given(
            req=self._requests(),
            profile=st.sampled_from(_PROFILES),
            scenario=st.sampled_from(outcomes),
        )
        def check(req: ImageRequest, profile: str, scenario: str) -> None:
            case = Case(req, profile, scenario)
            run = self._run(grok_mock, receiver, case)
            jobs = accepted_jobs(self.contract, run, grok_mock)
            problems = self._common(run, jobs)
            if run.error is None and not run.runaway:
                problems.insert(
                    0,
                    f"returned {run.result!r:.80} although the job ended in {scenario!r}: "
                    "a failed job must be reported as an error",
                )
            if problems:
                self._fail("a failed job was not reported", case, problems, run)

        check()

    def test_does_not_retry_permanent_refusals(self, request: pytest.FixtureRequest) -> None:
        """No credits, a bad key, a rejected request: reported at once, not retried."""
        refusals = permanent_refusals(self.contract)
        grok_mock, receiver = self._controller(request), self._receiver(request)

        @self._settings()
        @given(req=self._requests(), scenario=st.sampled_from(refusals))
        def check(req: ImageRequest, scenario: str) -> None:
            case = Case(req, "instant", scenario)
            run = self._run(grok_mock, receiver, case)
            problems = self._common(run, [])
            # A refusal whose status looks like a rate limit (agtcloud's 429 for no quota)
            # cannot be told apart without reading its body: its retries are allowed.
            looks = self.contract.errors[scenario].looks_retryable
            allowed = 1 + (self.options.retries if looks else 0)
            sent = len(attempts(self.contract, run))
            if sent > allowed:
                problems.append(
                    f"sent {sent} submits for a refusal that cannot pass (at most {allowed})"
                )
            if run.error is None and not run.runaway:
                problems.insert(0, f"returned {run.result!r:.80} although every submit was refused")
            if problems:
                self._fail(f"a {scenario!r} refusal was mishandled", case, problems, run)

        check()

    def test_retries_what_can_pass(self, request: pytest.FixtureRequest) -> None:
        """Rate limits, 5xx and dropped connections: retried with backoff, within bounds."""
        troubles = passing_troubles(self.contract)
        retries = self.options.retries
        grok_mock, receiver = self._controller(request), self._receiver(request)

        @self._settings()
        @given(
            req=self._requests(),
            scenario=st.sampled_from(troubles),
            failures=st.integers(1, retries + 1),
        )
        def check(req: ImageRequest, scenario: str, failures: int) -> None:
            case = Case(req, "instant", scenario, failures)
            run = self._run(grok_mock, receiver, case)
            sent = attempts(self.contract, run)
            if failures <= retries:
                problems = self._success_problems(grok_mock, case, run)
                if len(sent) != failures + 1:
                    problems.append(
                        f"sent {len(sent)} submits; {failures} failed, so {failures + 1} "
                        "were needed"
                    )
            else:
                problems = self._common(run, [])
                if run.error is None and not run.runaway:
                    problems.insert(0, f"returned {run.result!r:.80} although every attempt failed")
                if len(sent) > retries + 1:
                    problems.append(
                        f"sent {len(sent)} submits; retries={retries} allows {retries + 1}"
                    )
            gaps = [b.at - a.at for a, b in itertools.pairwise(sent)]
            quick = [g for g in gaps if g < self.options.min_backoff - 1e-6]
            if quick:
                problems.append(
                    f"retried {min(quick):.3f} s after a failure; min_backoff is "
                    f"{self.options.min_backoff:g} s"
                )
            if problems:
                self._fail(f"a passing {scenario!r} was mishandled", case, problems, run)

        check()

    def test_gives_up_on_a_job_that_never_ends(self, request: pytest.FixtureRequest) -> None:
        """A stuck job: polled at a decent pace, and given up within max_wait."""
        grok_mock, receiver = self._controller(request), self._receiver(request)
        limit = self.options.max_wait
        case = Case(ImageRequest("a lighthouse at dusk"), "fast", "stuck")
        run = self._run(grok_mock, receiver, case)
        jobs = accepted_jobs(self.contract, run, grok_mock)
        problems = self._common(run, jobs)
        if run.error is None and not run.runaway:
            problems.insert(0, f"returned {run.result!r:.80} for a job that never finished")
        elif run.elapsed > limit + max(self.options.min_poll_interval, 1.0):
            problems.append(f"gave up after {run.elapsed:.0f} s; max_wait is {limit:g} s")
        if problems:
            self._fail("a job that never ends was mishandled", case, problems, run)


def _webhook_problems(
    grok_mock: GrokMock, receiver: WebhookReceiver, run: Run, contract: Contract
) -> list[str]:
    jobs = accepted_jobs(contract, run, grok_mock)
    registered = [job for job in jobs if grok_mock.deliveries(job.id)]
    if len(registered) < len(jobs):
        return [
            f"registered no webhook: {len(jobs)} job(s), {len(registered)} with a delivery "
            f"planned to {receiver.url}"
        ]
    try:
        receiver.wait(len(jobs), timeout=10)
    except TimeoutError as exc:
        return [f"its webhook registration did not reach {receiver.url}: {exc}"]
    return []


async def _then(pending: Any, then: Callable[[Any], Any]) -> Any:
    value = then(await pending)
    if inspect.isawaitable(value):
        value = await value
    return value
