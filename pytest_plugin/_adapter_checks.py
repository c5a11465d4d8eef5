"""The checks `adapter_contract` runs, one test method per expectation.

Each check first runs explicit examples that between them try every scenario it covers,
every documented enum value and both ends of every range, then draws more with
hypothesis (derandomized: a run reproduces). What each run is held to is in
`_adapter_verdicts` (images, requests, polling) and `_adapter_judges` (charges, waits,
the end of a job, withheld images, timeouts).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Flaky

from contracts import CONTRACTS, Contract, Model
from contracts.record import record
from pytest_plugin._adapter_cases import (
    ImageRequest,
    cover,
    covering_requests,
    failed_outcomes,
    operations_of,
    passing_troubles,
    permanent_refusals,
    requests,
    trouble_places,
    withheld_outcomes,
)
from pytest_plugin._adapter_clock import BoundNames
from pytest_plugin._adapter_judges import (
    after_end_problems,
    lateness_problems,
    rate_limit_problems,
    resubmit_problems,
    timeout_problems,
    withheld_problems,
)
from pytest_plugin._adapter_retries import RetryJudge
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

_PROFILES = ["instant", "fast", "realistic", "polls"]


@record
class Case:
    """One situation: the request, the lifecycle, what goes wrong, how often and where."""

    request: ImageRequest
    profile: str = "instant"
    scenario: str = "success"
    failures: int = 0
    place: str = "submit"


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

    def _fixtures(self, request: pytest.FixtureRequest) -> tuple[GrokMock, WebhookReceiver | None]:
        name = "grok_mock_server" if self.options.live else "grok_mock"
        grok_mock: GrokMock = request.getfixturevalue(name)
        grok_mock.journal_in_reports = False  # each verdict carries its own excerpt
        self._seed = grok_mock.seed
        receiver = (
            request.getfixturevalue("grok_webhook_receiver") if self.options.webhooks else None
        )
        return grok_mock, receiver

    def _requests(self) -> st.SearchStrategy[ImageRequest]:
        return requests(self.contract, self.model, self.options.vary, self.options.transport)

    def _covering(self) -> list[ImageRequest]:
        options = self.options
        return covering_requests(self.contract, self.model, options.vary, options.transport)

    def _check_scenarios(self, body: Callable[..., None], scenarios: list[str]) -> None:
        """`body(req, profile, scenario)` over every covering request, profile and scenario
        given, then over draws of the three."""
        explicit = cover(self._covering(), _PROFILES, scenarios)
        self._check(
            body,
            [{"req": r, "profile": p, "scenario": s} for r, p, s in explicit],
            req=self._requests(),
            profile=st.sampled_from(_PROFILES),
            scenario=st.sampled_from(scenarios),
        )

    def _check(
        self, body: Callable[..., None], explicit: list[dict[str, Any]], **drawn: Any
    ) -> None:
        """Run `body` over the explicit examples, then over hypothesis draws."""
        test = given(**drawn)(body)
        for kwargs in reversed(explicit):
            test = example(**kwargs)(test)
        test = settings(
            max_examples=self.options.examples,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
            # The verdict already says what varied; hypothesis's explain phase would
            # rerun the adapter dozens of times to say it again.
            phases=[Phase.explicit, Phase.generate, Phase.shrink],
        )(test)
        try:
            test()
        except Flaky as flaky:
            pytest.fail(
                f"{self.options.provider} adapter contract: the same case failed once and "
                "passed when replayed, so no verdict can be given. The adapter depends on "
                "something the checks do not control (randomness from the OS, a clock or "
                f"wait outside virtual time).\n{flaky}",
                pytrace=False,
            )

    def _run(self, grok_mock: GrokMock, receiver: WebhookReceiver | None, case: Case) -> Run:
        grok_mock.reset(profile=case.profile)
        if receiver is not None:
            receiver.clear()
        provider = self.options.provider
        if case.scenario != "success":
            times = case.failures or None
            for operation in operations_of(self.contract, case.place):
                grok_mock.queue(case.scenario, provider=provider, operation=operation, times=times)
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

        names = self.__dict__.setdefault("_clock_names", BoundNames())  # one per check
        return run_adapter(
            grok_mock, one_generation, max_seconds=max_seconds, max_requests=budget, names=names
        )

    def _fail(self, what: str, case: Case, problems: list[str], run: Run) -> None:
        __tracebackhide__ = True
        headline = f"{self.options.provider} adapter contract: {what}"
        replay = (
            f"{case!r}\n  reproduce: rerun this test; the examples are fixed and the draws "
            f"derandomized, on emulator seed {getattr(self, '_seed', 0)}"
        )
        pytest.fail(verdict(headline, replay, problems, run), pytrace=False)

    def _common(self, run: Run, jobs: list[Any]) -> list[str]:
        problems = request_problems(self.contract, run)
        problems += polling_problems(self.contract, run, jobs, self.options.min_poll_interval)
        problems += after_end_problems(self.contract, run, jobs)
        problems += rate_limit_problems(self.contract, run)
        if run.runaway:
            problems.insert(0, f"never stopped on its own: {run.runaway}")
        return problems

    def _success_problems(self, grok_mock: GrokMock, case: Case, run: Run) -> list[str]:
        jobs = accepted_jobs(self.contract, run, grok_mock)
        problems = self._common(run, jobs) + resubmit_problems(self.contract, run, grok_mock)
        if run.error is not None:
            problems.insert(0, f"raised {type(run.error).__name__}: {run.error}")
            problems += timeout_problems(run, case.profile)
        elif not run.runaway:
            problems += image_problems(
                self.contract, self.model, case.request, run, jobs, grok_mock
            )
            if case.scenario == "success" or case.scenario in self.contract.tolerated:
                problems += lateness_problems(run, jobs, self.options.max_poll_interval)
        return problems

    # -- the checks -----------------------------------------------------------

    def test_returns_the_images_asked_for(self, request: pytest.FixtureRequest) -> None:
        """Success: exactly the images asked for, readable, in the right format and size,
        with one submit, noticed soon after the job ends; riding out what the provider
        does in normal operation (Kie's 'recordInfo is null' just after createTask)."""
        grok_mock, receiver = self._fixtures(request)

        everyday = ["success", *self.contract.tolerated]

        def check(req: ImageRequest, profile: str, scenario: str) -> None:
            case = Case(req, profile, scenario)
            run = self._run(grok_mock, receiver, case)
            problems = self._success_problems(grok_mock, case, run)
            if receiver is not None and not problems:
                problems += _webhook_problems(grok_mock, receiver, run, self.contract)
            if problems:
                self._fail("a successful generation went wrong", case, problems, run)

        self._check_scenarios(check, everyday)

    def test_reports_failed_jobs(self, request: pytest.FixtureRequest) -> None:
        """A job that fails, errors or is moderated is reported as an error, soon, with no
        second submit; an image the provider withholds is named, not dropped."""
        withheld = withheld_outcomes(self.contract)
        outcomes = failed_outcomes(self.contract) + withheld
        grok_mock, receiver = self._fixtures(request)

        def check(req: ImageRequest, profile: str, scenario: str) -> None:
            case = Case(req, profile, scenario)
            run = self._run(grok_mock, receiver, case)
            jobs = accepted_jobs(self.contract, run, grok_mock)
            problems = self._common(run, jobs) + resubmit_problems(self.contract, run, grok_mock)
            ended = run.error is not None or run.runaway
            if scenario in withheld and not ended:
                problems += withheld_problems(run.result, jobs, req.images)
            elif not ended:
                problems.insert(
                    0,
                    f"returned {run.result!r:.80} although the job ended in {scenario!r}: "
                    "a failed job must be reported as an error",
                )
            problems += lateness_problems(run, jobs, self.options.max_poll_interval)
            if problems:
                self._fail("a failed job was not reported", case, problems, run)

        self._check_scenarios(check, outcomes)

    def test_does_not_retry_permanent_refusals(self, request: pytest.FixtureRequest) -> None:
        """No credits, a bad key, a rejected request: reported at once, not retried."""
        refusals = permanent_refusals(self.contract)
        grok_mock, receiver = self._fixtures(request)

        def check(req: ImageRequest, scenario: str) -> None:
            case = Case(req, "instant", scenario)
            run = self._run(grok_mock, receiver, case)
            problems = self._common(run, [])
            # A refusal whose status looks like a rate limit cannot be told apart without
            # reading its body: its retries are allowed.
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

        explicit = cover(self._covering()[:1], refusals)
        self._check(
            check,
            [{"req": r, "scenario": s} for r, s in explicit],
            req=self._requests(),
            scenario=st.sampled_from(refusals),
        )

    def test_retries_what_can_pass(self, request: pytest.FixtureRequest) -> None:
        """Rate limits, 5xx and dropped connections, on submits, reads and downloads:
        retried with backoff and the waits the provider asks for, within `retries`."""
        troubles = passing_troubles(self.contract)
        places = trouble_places(self.contract)
        ends = sorted({1, self.options.retries + 1})
        grok_mock, receiver = self._fixtures(request)
        judge = RetryJudge(self.contract, self.options)

        def check(req: ImageRequest, scenario: str, failures: int, place: str) -> None:
            case = Case(req, "instant", scenario, failures, place)
            run = self._run(grok_mock, receiver, case)
            problems = judge.problems(case, run, grok_mock, self._success_problems, self._common)
            if problems:
                self._fail(f"a passing {scenario!r} was mishandled", case, problems, run)

        explicit = cover(self._covering()[:1], troubles, places, ends)
        self._check(
            check,
            [{"req": r, "scenario": s, "place": p, "failures": f} for r, s, p, f in explicit],
            req=self._requests(),
            scenario=st.sampled_from(troubles),
            failures=st.integers(1, self.options.retries + 1),
            place=st.sampled_from(places),
        )
        problem = judge.backoff_problem()
        if problem is not None:
            case, run, message = problem
            self._fail("retries come too soon", case, [message], run)

    def test_gives_up_on_a_job_that_never_ends(self, request: pytest.FixtureRequest) -> None:
        """A stuck job: polled at a decent pace, and given up within max_wait."""
        grok_mock, receiver = self._fixtures(request)
        limit = self.options.max_wait
        case = Case(ImageRequest("a lighthouse at dusk"), "fast", "stuck")
        run = self._run(grok_mock, receiver, case)
        jobs = accepted_jobs(self.contract, run, grok_mock)
        problems = self._common(run, jobs) + resubmit_problems(self.contract, run, grok_mock)
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
