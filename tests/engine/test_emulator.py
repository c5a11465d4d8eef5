"""The engine's bookkeeping: scenarios, billing holds, visibility, expiry, determinism."""

from __future__ import annotations

import time
from dataclasses import replace
from decimal import Decimal
from functools import partial
from typing import Any

import pytest
from starlette.testclient import TestClient

from contracts import producible_sizes
from mockserver import (
    Emulator,
    ManualClock,
    MockUsageError,
    Settings,
    UnknownScenario,
    create_app,
)
from mockserver.engine import Choice, JobOrder, MediaRequest, Refusal
from mockserver.engine.journal import Journal, JournalEntry, redact_headers, summarize
from mockserver.engine.scenarios import RequestFacts

MEDIA = MediaRequest(64, 64, "png", 2)
PRICE = Decimal("0.02")


def _open(emulator: Emulator, key: str = "k", scenario: str = "success", **kw: object) -> object:
    account = emulator.authenticate("segmind", key)
    return emulator.open_job(
        JobOrder(
            provider="segmind",
            operation="v2.submit",
            model="grok-imagine-image",
            account=account,
            params={"prompt": "p"},
            media=MEDIA,
            price_per_image=PRICE,
            choice=Choice(scenario, "header"),
            **kw,  # type: ignore[arg-type]
        )
    )


def _choose(
    emu: Emulator,
    provider: str,
    operation: str,
    *,
    header: str | None,
    submit: bool,
    prompt: str | None = None,
    **facts: str,
) -> Choice:
    request = RequestFacts(provider, operation, submit, prompt=prompt, **facts)
    return emu.director.choose(request, header=header)


@pytest.fixture
def emu() -> Emulator:
    return Emulator(clock=ManualClock(), profile="fast", seed=5)


def test_any_key_is_an_account_with_a_generous_balance(emu: Emulator) -> None:
    account = emu.authenticate("segmind", "anything")
    assert account.balance == Decimal(10000)
    with pytest.raises(Refusal) as missing:
        emu.authenticate("segmind", "")
    assert missing.value.case == "missing-key"


def test_listed_keys_make_a_provider_strict() -> None:
    emu = Emulator(Settings(keys={"segmind": {"good": 5}}), clock=ManualClock())
    assert emu.authenticate("segmind", "good").balance == 5
    with pytest.raises(Refusal) as refused:
        emu.authenticate("segmind", "bad")
    assert refused.value.case == "unauthorized"


def test_success_is_charged_when_the_job_completes(emu: Emulator) -> None:
    job = _open(emu)
    account = emu.accounts.get("segmind", "k")
    assert account is not None
    assert account.held == Decimal("0.04")
    assert account.balance == 10000
    emu.advance(5)
    assert emu.account("segmind", "k") is account
    assert account.balance == Decimal("9999.96")
    assert account.held == 0
    assert job.settled  # type: ignore[attr-defined]


def test_failed_jobs_release_their_hold(emu: Emulator) -> None:
    _open(emu, scenario="job-failed")
    emu.advance(5)
    account = emu.account("segmind", "k")
    assert account is not None
    assert account.balance == 10000
    assert account.held == 0


def test_holds_stop_concurrent_jobs_overspending(emu: Emulator) -> None:
    emu.set_balance("segmind", "poor", "0.05")
    _open(emu, key="poor")
    with pytest.raises(Refusal) as refused:
        _open(emu, key="poor")
    assert refused.value.case == "insufficient-credits"
    assert refused.value.fields == {"balance": "0.01", "required": "0.04"}


def test_jobs_are_visible_only_to_their_key(emu: Emulator) -> None:
    job = _open(emu)
    other = emu.authenticate("segmind", "other")
    assert emu.find_job("segmind", job.id, other) is None  # type: ignore[attr-defined]
    mine = emu.authenticate("segmind", "k")
    assert emu.find_job("segmind", job.id, mine) is job  # type: ignore[attr-defined]


def test_records_expire_with_retention_and_are_swept(emu: Emulator) -> None:
    job = _open(emu)
    account = emu.authenticate("segmind", "k")
    emu.advance(3599)
    assert emu.find_job("segmind", job.id, account) is job  # type: ignore[attr-defined]
    emu.advance(1)
    assert emu.find_job("segmind", job.id, account) is None  # type: ignore[attr-defined]
    assert len(emu.jobs) == 0
    assert account.balance == Decimal("9999.96")  # charged on the way out


def _token(emu: Emulator, job: Any) -> tuple[str, str]:
    """A signed URL token for the job's first image, as served (a producible size)."""
    width, height = min(producible_sizes())
    ref = replace(emu.media_refs(job)[0], width=width, height=height)
    return job.id, emu.media_token(ref)


def test_moving_the_clock_evicts_without_any_request(emu: Emulator) -> None:
    tokens = [_token(emu, _open(emu)) for _ in range(5)]
    assert len(emu.jobs) == 5
    emu.clock.advance(3600)  # the clock itself, not through the emulator; no read follows
    assert len(emu.jobs) == 0  # the records' hour is up
    assert emu.authenticate("segmind", "k").balance == Decimal("9999.80")  # all settled
    # Segmind's output files outlive the record, until their own expiry.
    assert all(emu.resolve_media(*token) for token in tokens)
    emu.clock.advance(7 * 86400)
    assert not any(emu.resolve_media(*token) for token in tokens)


def test_a_sweep_wakes_for_whatever_falls_due_first(emu: Emulator) -> None:
    """Sweeps are skipped until the earliest end or expiry: a job opened later that
    falls due sooner (here, one whose record expires at once) moves that time up."""
    kept = _open(emu)
    gone = _open(emu, scenario="expired")
    account = emu.authenticate("segmind", "k")
    assert emu.find_job("segmind", kept.id, account) is kept  # type: ignore[attr-defined]
    assert len(emu.jobs) == 1  # the expired one was swept on the way, not at the hour
    assert emu.find_job("segmind", gone.id, account) is None  # type: ignore[attr-defined]


def test_a_job_that_ends_is_settled_by_the_next_sweep_not_at_its_expiry(emu: Emulator) -> None:
    """A clock-driven job's charge is taken when it ends (the `fast` profile: within
    seconds), though its record is held for an hour: sweeps must not sleep until then."""
    _open(emu)  # nothing reads it
    account = emu.authenticate("segmind", "k")
    emu.advance(30)
    assert len(emu.jobs) == 1
    assert account.balance == Decimal("9999.96")  # captured by the sweep, unread
    assert account.held == 0


def test_media_urls_from_before_a_reset_are_gone(emu: Emulator) -> None:
    token = _token(emu, _open(emu))
    assert emu.resolve_media(*token)
    emu.reset()
    assert emu.resolve_media(*token) is None


def test_a_running_server_evicts_on_a_timer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("mockserver.app.SWEEP_SECONDS", 0.02)
    emulator = Emulator(retention={"segmind": {"record_seconds": 0.05}}, profile="instant")
    with TestClient(create_app(emulator)):
        _open(emulator)
        assert len(emulator.jobs) == 1
        # Real time on a system clock: the janitor runs every 20 ms, nothing else touches it.
        deadline = time.monotonic() + 5
        while len(emulator.jobs) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(emulator.jobs) == 0


def test_the_expired_scenario_is_gone_at_once(emu: Emulator) -> None:
    job = _open(emu, scenario="expired")
    account = emu.authenticate("segmind", "k")
    assert emu.find_job("segmind", job.id, account) is None  # type: ignore[attr-defined]


def test_a_seed_reproduces_ids_timings_and_variants() -> None:
    def run(seed: int) -> list[object]:
        emu = Emulator(clock=ManualClock(), profile="realistic", seed=seed)
        jobs = [_open(emu) for _ in range(3)]
        return [(j.id, j.timeline, j.media.variant, j.seed) for j in jobs]  # type: ignore[attr-defined]

    assert run(7) == run(7)
    assert run(7) != run(8)


def test_reset_forgets_everything_and_rewinds_the_clock(emu: Emulator) -> None:
    first = _open(emu).id  # type: ignore[attr-defined]
    emu.queue_scenario("server-error")
    emu.advance(100)
    emu.reset()
    assert len(emu.jobs) == 0
    assert len(emu.rules) == 0
    assert len(emu.journal) == 0
    assert emu.clock.offset == 0
    assert _open(emu).id == first  # type: ignore[attr-defined]
    emu.reset(seed=6, profile="polls")
    assert emu.seed == 6
    assert emu.profile == "polls"


def test_rules_apply_in_order_and_run_out(emu: Emulator) -> None:
    emu.queue_scenario("server-error", provider="segmind", times=2)
    choose = partial(_choose, emu, "segmind", "v2.status", header=None, submit=False)
    first, second, third = choose(), choose(), choose()
    # Each choice claims one of the rule's uses: a third request finds none left.
    assert [c.scenario for c in (first, second, third)] == ["server-error"] * 2 + ["success"]
    emu.release(second)  # its request ended without playing it: the use goes back
    again = choose()
    assert again.scenario == "server-error"
    emu.commit(first)
    emu.commit(again)
    emu.release(first)  # played: nothing goes back
    assert choose().scenario == "success"


def test_job_rules_wait_for_a_submit(emu: Emulator) -> None:
    emu.queue_scenario("job-failed")
    read = _choose(emu, "segmind", "v2.status", header=None, submit=False)
    assert read.scenario == "success"
    submit = _choose(emu, "segmind", "v2.submit", header=None, submit=True)
    assert submit.scenario == "job-failed"
    assert submit.source == "rule"


def test_header_beats_prompt_beats_rules(emu: Emulator) -> None:
    emu.queue_scenario("forbidden")
    choose = partial(_choose, emu)
    assert (
        choose("segmind", "v2.submit", header="slow", prompt="[mock:stuck]", submit=True).source
        == "header"
    )
    assert (
        choose("segmind", "v2.submit", header=None, prompt="a [mock:stuck] b", submit=True).scenario
        == "stuck"
    )
    assert (
        choose("segmind", "v2.submit", header=None, prompt="plain", submit=True).scenario
        == "forbidden"
    )


def test_a_header_job_scenario_is_ignored_on_reads(emu: Emulator) -> None:
    pick = _choose(emu, "segmind", "v2.status", header="job-failed", submit=False)
    assert pick.scenario == "success"


def test_unknown_scenarios_list_what_the_provider_can_show(emu: Emulator) -> None:
    with pytest.raises(UnknownScenario) as unknown:
        _choose(emu, "segmind", "v2.submit", header="maintenance", submit=True)
    assert "insufficient-credits" in unknown.value.available
    assert "maintenance" not in unknown.value.available
    with pytest.raises(UnknownScenario, match="available scenarios"):
        emu.queue_scenario("no-such-thing")
    with pytest.raises(MockUsageError, match="unknown operation"):
        emu.queue_scenario("server-error", operation="v9.nothing")
    with pytest.raises(MockUsageError, match="positive integer"):
        emu.queue_scenario("server-error", times=0)


def test_settings_refuse_bad_values_by_name() -> None:
    with pytest.raises(MockUsageError, match="profile"):
        Settings(profile="warp")
    with pytest.raises(MockUsageError, match="journal_size"):
        Settings(journal_size=0)
    with pytest.raises(MockUsageError, match="unknown provider"):
        Settings(providers=("nope",))
    with pytest.raises(MockUsageError, match="finite number"):
        Settings(default_balance=Decimal("-1"))


def test_the_journal_is_a_bounded_ring_without_secrets() -> None:
    journal = Journal(size=3)
    for index in range(5):
        journal.record(JournalEntry(at=index, method="GET", path=f"/{index}", host="h"))
    assert [e.path for e in journal] == ["/2", "/3", "/4"]
    headers = redact_headers(
        [("X-Api-Key", "supersecretkey"), ("Authorization", "Bearer abcdefghij")]
    )
    assert headers == {"x-api-key": "supe...ey", "authorization": "Bearer abcd...ij"}
    body = summarize({"prompt": "x" * 1000, "items": list(range(50))})
    assert body["prompt"].endswith("(+840 chars)")
    assert body["items"][-1] == "...(+30 items)"
