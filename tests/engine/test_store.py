"""The billing store's contract, judged the same way in this process and in Redis;
and for Redis, atomicity across processes racing on one account."""

from __future__ import annotations

import json
import multiprocessing
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from decimal import Decimal
from typing import TYPE_CHECKING, TypeVar

import httpx
import pytest
from starlette.testclient import TestClient

from mockserver import Emulator, LiveServer, ManualClock
from mockserver.engine import Choice, JobOrder, MediaRequest
from mockserver.engine.accounts import Accounts
from mockserver.engine.jobs import Job
from mockserver.engine.scenarios import RuleMatch, ScenarioRule
from mockserver.engine.settings import Settings
from mockserver.engine.store import Billing, MemoryBilling, State, memory_state

if TYPE_CHECKING:
    import redis

PRICE = Decimal("0.02")
_R = TypeVar("_R")
SUBMIT = "/segmind/v2/grok-imagine-image"
SEGMIND = {"x-api-key": "k"}


@pytest.fixture
def billing(store: State | None) -> Billing:
    return store.billing if store is not None else MemoryBilling()


def test_an_account_opens_once_and_keeps_its_balance(billing: Billing) -> None:
    assert billing.account("segmind", "k") is None
    opened = billing.open_account("segmind", "k", Decimal("10"), "whsec")
    assert (opened.balance, opened.held, opened.webhook_key) == (Decimal(10), 0, "whsec")
    again = billing.open_account("segmind", "k", Decimal("99"))
    assert again.balance == Decimal(10)  # the first opening wins
    assert billing.set_balance("segmind", "k", Decimal("0.5")).balance == Decimal("0.5")
    assert billing.set_webhook_key("segmind", "k", None).webhook_key is None
    assert [(a.provider, a.key) for a in billing.accounts()] == [("segmind", "k")]


def test_holds_never_spend_more_than_the_balance(billing: Billing) -> None:
    billing.open_account("pixazo", "k", Decimal("0.05"))
    assert billing.hold("a", "pixazo", "k", PRICE).placed
    assert billing.hold("b", "pixazo", "k", PRICE).placed
    refused = billing.hold("c", "pixazo", "k", PRICE)
    assert not refused.placed
    assert (refused.account.held, refused.account.available) == (Decimal("0.04"), Decimal("0.01"))
    assert billing.active("pixazo", "k") == 2
    assert billing.open_jobs() == 2


def test_settlement_happens_once_whoever_asks(billing: Billing) -> None:
    billing.open_account("xai", "k", Decimal("1"))
    billing.hold("charged", "xai", "k", PRICE)
    billing.hold("released", "xai", "k", PRICE)
    assert billing.settle("charged", charge=True, fee=Decimal(0)) == 0
    assert billing.settle("charged", charge=True, fee=Decimal(0)) is None
    assert billing.settle("released", charge=False, fee=Decimal(0)) == 0
    assert billing.settle("never-held", charge=True, fee=Decimal(0)) is None
    account = billing.account("xai", "k")
    assert account is not None
    assert (account.balance, account.held, account.spent) == (Decimal("0.98"), 0, PRICE)
    assert billing.active("xai", "k") == 0


def test_a_fee_never_takes_the_balance_below_zero(billing: Billing) -> None:
    billing.open_account("xai", "k", Decimal("0.03"))
    billing.hold("moderated", "xai", "k", PRICE)
    taken = billing.settle("moderated", charge=False, fee=Decimal("0.05"))
    assert taken == Decimal("0.03")
    account = billing.account("xai", "k")
    assert account is not None
    assert (account.balance, account.spent) == (0, Decimal("0.03"))


def test_due_jobs_are_handed_out_once_in_time(billing: Billing) -> None:
    billing.open_account("segmind", "k", Decimal("1"))
    for job_id, ends in (("late", 30.0), ("early", 10.0), ("polled", None)):
        billing.hold(job_id, "segmind", "k", PRICE)
        if ends is not None:
            billing.ends(job_id, ends)
    assert billing.due(5.0) == []
    assert billing.due(10.0) == ["early"]
    assert billing.due(10.0) == []  # handed out already
    assert billing.due(100.0) == ["late"]


def test_presets_open_what_is_missing_and_clear_forgets(billing: Billing) -> None:
    billing.open_account("segmind", "kept", Decimal("3"))
    Accounts(
        billing,
        listed={"pixazo": {"both": Decimal("2")}},
        balances={
            "segmind": {"kept": Decimal("50"), "new": Decimal("7")},
            "pixazo": {"both": Decimal(9)},
        },
        webhook_keys={"segmind": {"new": "whsec"}},
    )
    kept, new = billing.account("segmind", "kept"), billing.account("segmind", "new")
    both = billing.account("pixazo", "both")
    assert kept is not None
    assert new is not None
    assert both is not None
    assert (kept.balance, new.balance, new.webhook_key) == (Decimal(3), Decimal(7), "whsec")
    assert both.balance == Decimal(2)  # a listed key's balance beats a preset one
    billing.hold("j", "segmind", "kept", PRICE)
    billing.clear()
    assert billing.accounts() == []
    assert billing.open_jobs() == 0
    assert billing.settle("j", charge=True, fee=Decimal(0)) is None


# -- across processes (Redis) ---------------------------------------------------------

WORKERS, JOBS, AFFORDABLE = 4, 150, 222


def _in_processes(step: Callable[..., _R], *args: object) -> list[_R]:
    """`step(*args, worker)` in WORKERS processes at once; their answers."""
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(WORKERS, mp_context=spawn) as pool:
        return list(pool.map(step, *([a] * WORKERS for a in args), range(WORKERS)))


def _race(url: str, namespace: str, worker: int) -> tuple[int, int]:
    from mockserver.engine.store_redis import RedisBilling, connect

    billing = RedisBilling(connect(url), namespace)
    placed = [
        job_id
        for n in range(JOBS)
        if billing.hold(job_id := f"w{worker}-{n}", "segmind", "shared", PRICE).placed
    ]
    # Every worker tries to settle every job: each must be settled exactly once.
    settled = 0
    for other in range(WORKERS):
        for n in range(JOBS):
            if billing.settle(f"w{other}-{n}", charge=True, fee=Decimal(0)) is not None:
                settled += 1
    return len(placed), settled


@pytest.mark.slow  # processes or servers of their own, on Redis
def test_processes_racing_on_one_account_hold_and_settle_exactly(redis_url: str) -> None:
    from mockserver.engine.store_redis import RedisBilling, connect

    namespace = f"race-{uuid.uuid4().hex}"
    billing = RedisBilling(connect(redis_url), namespace)
    billing.open_account("segmind", "shared", PRICE * AFFORDABLE)
    outcomes = _in_processes(_race, redis_url, namespace)
    placed = sum(p for p, _ in outcomes)
    settled = sum(s for _, s in outcomes)
    assert placed == AFFORDABLE  # of 600 attempts, exactly what the balance allowed
    assert settled == AFFORDABLE  # each once, though every worker tried every job
    account = billing.account("segmind", "shared")
    assert account is not None
    assert (account.balance, account.held, account.spent) == (0, 0, PRICE * AFFORDABLE)
    assert billing.active("segmind", "shared") == 0
    billing.clear()


# -- jobs and numbers --------------------------------------------------------------------


@pytest.fixture
def state(store: State | None) -> State:
    return store if store is not None else memory_state()


def _job(emulator: Emulator, **headers: str) -> Job:
    account = emulator.authenticate("segmind", "k")
    return emulator.open_job(
        JobOrder(
            provider="segmind",
            operation="v2.submit",
            model="grok-imagine-image",
            account=account,
            params={"prompt": "a lighthouse", "odd": "\udcff bytes kept"},
            media=MediaRequest(1024, 1024, "png", 2),
            price_per_image=PRICE,
            choice=Choice("success", "default"),
            **headers,  # type: ignore[arg-type]
        )
    )


def test_a_job_comes_back_as_it_went_in(state: State) -> None:
    emulator = Emulator(clock=ManualClock(), profile="polls", state=state)
    job = _job(emulator)
    kept = state.jobs.held(job.id)
    assert kept is not None
    for name in ("id", "request", "created_at", "timeline", "outcome", "media", "cost", "seed"):
        assert getattr(kept, name) == getattr(job, name), name
    assert kept.params == job.params
    assert len(state.jobs) == 1
    assert [j.id for j in state.jobs] == [job.id]


def test_reads_count_atomically_and_progress_never_goes_back(state: State) -> None:
    emulator = Emulator(clock=ManualClock(), profile="polls", state=state)
    job = _job(emulator)
    behind = state.jobs.held(job.id)  # a copy another reader kept
    assert behind is not None
    assert [emulator.observe(job) for _ in range(3)] == [0, 1, 2]  # a phase per read
    emulator.observe(behind, count_read=False)  # the stale copy saw less: no step back
    kept = state.jobs.held(job.id)
    assert kept is not None
    assert (kept.reads, kept.observed) == (3, 2)
    assert state.jobs.count_read(behind) == 4  # counted where the record is, not the copy


def test_record_not_ready_reads_are_spent_once_each(state: State) -> None:
    emulator = Emulator(clock=ManualClock(), profile="instant", state=state)
    job = _job(emulator)
    job.unready_reads = 2
    state.jobs.add(job)  # as planned for a record-not-ready job
    reads = [state.jobs.read(job.id, job.created_at, "segmind", "k") for _ in range(3)]
    assert [read is None for read in reads] == [True, True, False]
    assert reads[2] is not None
    assert reads[2].reads == 1


def test_a_read_shows_only_the_callers_live_pollable_job_and_counts_only_then(
    state: State,
) -> None:
    emulator = Emulator(clock=ManualClock(), profile="polls", state=state)
    job = _job(emulator)
    at = job.created_at
    assert state.jobs.read(job.id, at, "segmind", "someone else") is None
    assert state.jobs.read(job.id, at, "pixazo", "k") is None
    assert state.jobs.read(job.id, job.expires_at, "segmind", "k") is None
    assert state.jobs.read("no-such-job", at, "segmind", "k") is None
    kept = state.jobs.held(job.id)
    assert kept is not None
    assert kept.reads == 0
    shown = state.jobs.read(job.id, at, "segmind", "k")
    assert shown is not None
    assert (shown.id, shown.reads) == (job.id, 1)
    hidden = _job(emulator, pollable=False)  # type: ignore[arg-type]
    assert state.jobs.read(hidden.id, at, "segmind", "k") is None


@pytest.fixture
def space(redis_url: str) -> Iterator[tuple[redis.Redis, str]]:
    """A Redis client and a namespace of this test's own, its keys gone afterwards."""
    from mockserver.engine.store_redis import connect

    client, namespace = connect(redis_url), f"test-{uuid.uuid4().hex}"
    yield client, namespace
    names = list(client.scan_iter(match=f"{namespace}:*"))
    if names:
        client.delete(*names)
    client.close()


@pytest.mark.slow
def test_a_redis_record_kept_before_reads_had_their_own_fields_is_still_read(
    space: tuple[redis.Redis, str],
) -> None:
    from mockserver.engine.store_redis import redis_state

    client, namespace = space
    state = redis_state(client, namespace=namespace)
    job = _job(Emulator(clock=ManualClock(), profile="polls", state=state))
    client.hdel(f"{namespace}:job:{job.id}", "reader", "expires_at")  # as an older version
    assert state.jobs.read(job.id, job.created_at, "segmind", "someone else") is None
    assert state.jobs.read(job.id, job.expires_at, "segmind", "k") is None
    shown = state.jobs.read(job.id, job.created_at, "segmind", "k")
    assert shown is not None
    assert shown.reads == 1


@pytest.mark.slow
def test_a_state_url_given_to_the_emulator_is_its_state_setting(
    redis_url: str, space: tuple[redis.Redis, str]
) -> None:
    _, namespace = space
    first = Emulator(state=redis_url, state_namespace=namespace, clock=ManualClock())
    second = Emulator(Settings(state=redis_url, state_namespace=namespace), clock=ManualClock())
    assert first.shared
    assert first.settings.state == redis_url
    job = _job(first)
    assert second.job(job.id) is not None  # one state, whichever way it was named


def test_expired_jobs_are_swept_once(state: State) -> None:
    clock = ManualClock()
    emulator = Emulator(clock=clock, profile="instant", state=state)
    job = _job(emulator)
    assert state.jobs.sweep(clock.now() + 10) == []
    (gone,) = state.jobs.sweep(job.expires_at)
    assert gone.id == job.id
    assert state.jobs.sweep(job.expires_at) == []
    assert state.jobs.held(job.id) is None


@pytest.mark.slow  # on Redis: in one process ids come from one seeded stream instead
def test_numbers_are_handed_out_once(redis_url: str) -> None:
    from mockserver.engine.store_redis import RedisNumbers, connect

    numbers = RedisNumbers(connect(redis_url), f"numbers-{uuid.uuid4().hex}")
    assert [numbers.next("ids") for _ in range(3)] == [1, 2, 3]
    assert numbers.next("jobs") == 1
    numbers.clear()
    assert numbers.next("ids") == 1
    numbers.clear()


@pytest.mark.slow  # processes or servers of their own, on Redis
def test_two_emulators_on_one_redis_are_one_emulator(redis_url: str) -> None:
    """Two servers (as two processes would be) sharing one state: submit at one, read at
    the other; one charge; ids that never collide, reproducible from the seed."""
    from mockserver.engine.store_redis import connect, redis_state

    namespace = f"pair-{uuid.uuid4().hex}"
    states = [redis_state(connect(redis_url), namespace) for _ in range(2)]
    first, second = (Emulator(profile="instant", seed=9, state=s) for s in states)
    with LiveServer(first) as a, LiveServer(second) as b:
        headers = {"x-api-key": "shared", "content-type": "application/json"}
        ids = []
        for server in (a, b, a, b):
            answer = httpx.post(
                server.url("segmind") + "/v2/grok-imagine-image",
                json={"prompt": "a lighthouse"},
                headers=headers,
            ).json()
            ids.append(answer["request_id"])
        assert len(set(ids)) == 4
        for job_id, server in zip(ids, (b, a, b, a), strict=True):
            status = httpx.get(
                f"{server.url('segmind')}/v2/requests/{job_id}/status", headers=headers
            )
            assert status.json()["status"] == "COMPLETED"
        account = second.account("segmind", "shared")
        assert account is not None
        assert (account.held, account.spent) == (0, PRICE * 4)
    states[0].clear()
    # The same seed and numbers give the same ids again.
    again = Emulator(profile="instant", seed=9, state=redis_state(connect(redis_url), namespace))
    assert _job(again).id == ids[0]
    states[0].clear()


# -- rules ---------------------------------------------------------------------------------


def test_each_use_of_a_rule_is_claimed_once_and_can_be_given_back(state: State) -> None:
    rule = state.rules.add("server-error", RuleMatch(provider="segmind", times=2), None)
    assert [r.id for r in state.rules.candidates("segmind", "k", 0.0)] == [rule.id]
    assert state.rules.claim(rule)
    assert state.rules.claim(rule)
    assert not state.rules.claim(rule)  # both uses taken
    assert state.rules.candidates("segmind", "k", 0.0) == []
    state.rules.release(rule)  # one request did not play it
    (back,) = state.rules.candidates("segmind", "k", 0.0)
    assert (back.id, back.used) == (rule.id, 1)
    assert state.rules.remove(rule.id)
    state.rules.release(rule)  # removed meanwhile: it stays removed
    assert len(state.rules) == 0


def test_lapsed_and_unlimited_rules(state: State) -> None:
    lapsing = state.rules.add("server-error", RuleMatch(times=None), expires_at=10.0)
    for _ in range(5):
        assert state.rules.claim(lapsing)  # no limit on uses
    assert state.rules.candidates("xai", "k", 9.0) != []
    assert state.rules.candidates("xai", "k", 10.0) == []


def test_a_requests_candidates_are_the_rules_it_could_match_in_queue_order(
    state: State,
) -> None:
    rules = state.rules
    add = rules.add
    anyone = add("server-error", RuleMatch(times=None), None)
    mine = add("job-failed", RuleMatch(provider="segmind", key="k", times=None), None)
    theirs = [add("job-failed", RuleMatch(key=f"other-{i}"), None) for i in range(50)]
    segmind = add("rate-limited", RuleMatch(provider="segmind", times=None), None)
    my_key = add("timeout", RuleMatch(key="k", times=None), None)
    add("server-error", RuleMatch(provider="xai"), None)
    wanted = [anyone.id, mine.id, segmind.id, my_key.id]
    assert [r.id for r in rules.candidates("segmind", "k", 0.0)] == wanted
    assert [r.id for r in rules.candidates("segmind", None, 0.0)] == [anyone.id, segmind.id]
    assert [r.id for r in rules.candidates("pixazo", "other-7", 0.0)] == [anyone.id, theirs[7].id]
    assert len(rules) == 55
    assert [r.id for r in rules][:2] == [anyone.id, mine.id]  # every rule, in order


def test_a_rule_given_back_returns_to_its_place_and_lapsed_ones_leave(state: State) -> None:
    rules = state.rules
    first = rules.add("job-failed", RuleMatch(key="k", times=1), None)
    second = rules.add("server-error", RuleMatch(key="k", times=None), None)
    lapsing = rules.add("timeout", RuleMatch(key="k", times=None), expires_at=5.0)
    assert rules.claim(first)  # used up: it leaves the queue
    assert [r.id for r in rules.candidates("segmind", "k", 0.0)] == [second.id, lapsing.id]
    rules.release(first)  # its request did not play it: back in front
    ids = [r.id for r in rules.candidates("segmind", "k", 0.0)]
    assert ids == [first.id, second.id, lapsing.id]
    assert [r.id for r in rules.candidates("segmind", "k", 5.0)] == [first.id, second.id]
    assert len(rules) == 2  # the lapsed rule is gone, not merely skipped
    assert rules.remove(second.id)
    assert [r.id for r in rules.candidates("segmind", "k", 5.0)] == [first.id]


@pytest.mark.slow
def test_rules_an_older_version_queued_in_redis_are_indexed_when_a_process_starts(
    space: tuple[redis.Redis, str],
) -> None:
    from mockserver.engine.store_redis import RedisRules

    client, prefix = space
    older = {"operation": None, "model": None, "prompt": None, "expires_in": None}
    live = {
        "rule-1": {"scenario": "job-failed", "expires_at": None, "provider": None, "key": "k"},
        "rule-3": {"scenario": "timeout", "expires_at": 5.0, "provider": "segmind", "key": None},
    }
    spent = {"rule-2": {"scenario": "server-error", "expires_at": None, "provider": None}}
    for name, specs in ((f"{prefix}:rules:live", live), (f"{prefix}:rules:spent", spent)):
        for rule_id, spec in specs.items():
            client.hset(name, rule_id, json.dumps({**older, "times": 1, "key": None, **spec}))
    client.hset(f"{prefix}:rules:used", "rule-2", 1)
    rules = RedisRules(client, prefix)
    assert [r.id for r in rules.candidates("segmind", "k", 0.0)] == ["rule-1", "rule-3"]
    (used_up,) = [r for r in rules if r.id == "rule-1"]
    back = ScenarioRule("rule-2", "server-error", RuleMatch(), None, used=1)
    rules.release(back)  # a use of the spent one given back: into its bucket
    assert [r.id for r in rules.candidates("segmind", "k", 0.0)] == ["rule-1", "rule-2", "rule-3"]
    assert [r.id for r in rules.candidates("segmind", "k", 5.0)] == ["rule-1", "rule-2"]
    assert used_up.scenario == "job-failed"


def test_a_request_refused_before_it_plays_gives_its_rule_back(
    client: TestClient, emulator: Emulator
) -> None:
    emulator.queue_scenario("job-failed", provider="segmind", times=1)
    bad = client.post(SUBMIT, json={"prompt": "x", "resolution": "9k"}, headers=SEGMIND)
    assert bad.status_code == 400  # refused by validation, after choosing the rule
    good = client.post(SUBMIT, json={"prompt": "x"}, headers=SEGMIND).json()
    status = client.get(f"/segmind/v2/requests/{good['request_id']}/status", headers=SEGMIND)
    assert status.json()["status"] == "FAILED"  # the rule played on the accepted job


def _claim_rule(url: str, namespace: str, rule_id: str, worker: int) -> int:
    from mockserver.engine.store_redis import RedisRules, connect

    rules = RedisRules(connect(url), namespace)
    (rule,) = [r for r in rules if r.id == rule_id] or [None]
    won = 0
    for _ in range(50):
        if rule is not None and rules.claim(rule):
            won += 1
    return won


@pytest.mark.slow  # processes or servers of their own, on Redis
def test_a_times_3_rule_fires_exactly_3_times_across_processes(redis_url: str) -> None:
    from mockserver.engine.store_redis import RedisRules, connect

    namespace = f"rules-{uuid.uuid4().hex}"
    rules = RedisRules(connect(redis_url), namespace)
    rule = rules.add("rate-limited", RuleMatch(times=3), None)
    assert sum(_in_processes(_claim_rule, redis_url, namespace, rule.id)) == 3
    assert len(rules) == 0
    rules.clear()


# -- the journal ---------------------------------------------------------------------------


@pytest.mark.slow  # processes or servers of their own, on Redis
def test_a_shared_journal_numbers_entries_across_processes_and_keeps_the_latest(
    redis_url: str,
) -> None:
    from mockserver.engine.journal import Journal, JournalEntry
    from mockserver.engine.store_redis import RedisLog, connect

    namespace = f"journal-{uuid.uuid4().hex}"
    first, second = (Journal(3, shared=RedisLog(connect(redis_url), namespace)) for _ in range(2))
    for n in range(5):
        writer = first if n % 2 else second
        writer.record(JournalEntry(at=float(n), method="GET", path=f"/{n}", host="h", status=200))
    assert [(e.seq, e.path) for e in first] == [(3, "/2"), (4, "/3"), (5, "/4")]
    assert [e.path for e in second.query(status=200)] == ["/2", "/3", "/4"]
    assert len(second) == 3
    first.clear()
    assert len(second) == 0


@pytest.mark.slow  # on Redis
def test_a_shared_journal_gives_back_every_field_as_recorded(
    space: tuple[redis.Redis, str],
) -> None:
    from mockserver.engine.journal import Journal, JournalEntry
    from mockserver.engine.store_redis import RedisLog

    journal = Journal(10, shared=RedisLog(*space))
    entry = JournalEntry(at=12.5, method="POST", path="/v2/x", host="h", status=201)
    entry.keep_headers([(b"x-api-key", b"sk-secret-key"), (b"accept", b"*/*")], 4096)
    entry.keep_json_body(b'{"prompt": "a", "n": 2}', 4096, json.loads)
    entry.provider, entry.operation = "segmind", "v2.submit"
    entry.job_id, entry.warnings = "j", ["w"]
    journal.record(entry)
    (back,) = list(journal)
    assert back.to_dict() == {**entry.to_dict(), "seq": back.seq}
    assert "sk-secret-key" not in json.dumps(back.to_dict())  # redacted before it left


@pytest.mark.slow  # two emulators on Redis
def test_tuning_through_one_emulator_reaches_the_other_at_its_next_sync(redis_url: str) -> None:
    from mockserver.engine.store_redis import connect, redis_state

    namespace = f"tuned-{uuid.uuid4().hex}"
    first = Emulator(profile="polls", state=redis_state(connect(redis_url), namespace))
    second = Emulator(profile="fast", state=redis_state(connect(redis_url), namespace))
    assert second.profile == "polls"  # set up by the first
    first.set_chaos([{"scenario": "server-error", "probability": 0.5, "provider": "segmind"}])
    first.set_latency([{"kind": "fixed", "seconds": 0.25}])
    first.set_profile("instant")
    assert second.director.chaos.entries == ()  # not before its next request
    second.sync()
    assert second.profile == "instant"
    assert [e.scenario for e in second.director.chaos.entries] == ["server-error"]
    assert [e.seconds for e in second.director.latency.entries] == [0.25]
    first.discard_state()


def test_creations_count_within_the_hour_up_to_the_limit(billing: Billing) -> None:
    billing.open_account("apikley", "k", Decimal("10"))
    for n in range(5):
        billing.note_created(f"job-{n}", "apikley", "k", 100.0 + n, limit=3)
    assert billing.created("apikley", "k", 104.0, limit=3) == 3  # only the limit is kept
    assert billing.created("apikley", "k", 3600.0 + 103.0, limit=3) == 1  # two left the hour
