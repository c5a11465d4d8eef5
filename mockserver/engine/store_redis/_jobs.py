"""Job records in Redis."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from mockserver.engine.jobs import Job, MediaPlan, Outcome
from mockserver.engine.lifecycle import Timeline
from mockserver.engine.store_redis._billing import DUE_SCRIPT, SEP

if TYPE_CHECKING:
    import redis

# KEYS: job hash. ARGV: observed, read log (JSON). A read that saw less never undoes one
# that saw more.
_PROGRESS = """
local seen = tonumber(redis.call('HGET', KEYS[1], 'observed') or '0')
if tonumber(ARGV[1]) > seen then
  redis.call('HSET', KEYS[1], 'observed', ARGV[1], 'read_log', ARGV[2])
end
return 0
"""

# KEYS: job hash. ARGV: now, the caller ("provider<US>account"). A client's read in one
# step: nothing when the job is unknown, past its retention, another caller's or not
# pollable, or when it does not show yet (one "not there yet" read spent); else its
# fields, this read counted. A record kept before `reader` existed is read from its spec.
_READ = """
local got = redis.call('HMGET', KEYS[1], 'reader', 'expires_at')
local reader, expires = got[1], got[2]
if not reader then
  local spec = redis.call('HGET', KEYS[1], 'spec')
  if not spec then return nil end
  local job = cjson.decode(spec)
  reader = job['pollable'] and (job['provider'] .. '\\31' .. job['account']) or ''
  expires = job['expires_at']
end
if reader ~= ARGV[2] or tonumber(ARGV[1]) >= tonumber(expires) then return nil end
if tonumber(redis.call('HGET', KEYS[1], 'unready') or '0') > 0 then
  redis.call('HINCRBY', KEYS[1], 'unready', -1)
  return nil
end
redis.call('HINCRBY', KEYS[1], 'reads', 1)
return redis.call('HGETALL', KEYS[1])
"""


class RedisJobs:
    """Job records in Redis: one hash per job, what never changes as one JSON field and
    what reads change field by field (atomic counters and monotonic progress)."""

    def __init__(self, client: redis.Redis, namespace: str = "grok-mock") -> None:
        self._redis = client
        self._prefix = f"{namespace}:job:"
        self._expiry = f"{namespace}:jobs:expiry"
        self._progress = client.register_script(_PROGRESS)
        self._read = client.register_script(_READ)
        self._expired = client.register_script(DUE_SCRIPT)  # each expired job, once

    def add(self, job: Job) -> None:
        with self._redis.pipeline() as pipe:
            pipe.hset(self._prefix + job.id, mapping=_record(job))
            pipe.zadd(self._expiry, {job.id: job.expires_at})
            pipe.execute()

    def held(self, job_id: str) -> Job | None:
        return _job(self._redis.hgetall(self._prefix + job_id))

    def get(self, job_id: str, now: float) -> Job | None:
        job = self.held(job_id)
        return None if job is None or job.expired(now) else job

    def count_read(self, job: Job) -> int:
        return int(self._redis.hincrby(self._prefix + job.id, "reads", 1))

    def read(self, job_id: str, now: float, provider: str, account: str) -> Job | None:
        found = self._read(
            keys=[self._prefix + job_id], args=[repr(now), f"{provider}{SEP}{account}"]
        )
        return _job(dict(zip(found[::2], found[1::2], strict=True))) if found else None

    def progress(self, job: Job) -> None:
        log = json.dumps(job.read_log) if job.read_log is not None else ""
        self._progress(keys=[self._prefix + job.id], args=[job.observed, log])

    def settled(self, job: Job) -> None:
        self._redis.hset(self._prefix + job.id, mapping={"settled": 1, "fee": str(job.fee)})

    def next_expiry(self) -> float:
        return -math.inf  # shared: another process may store a job at any time

    def sweep(self, now: float) -> list[Job]:
        expired = [i.decode() for i in self._expired(keys=[self._expiry], args=[repr(now)])]
        if not expired:
            return []
        with self._redis.pipeline() as pipe:
            for job_id in expired:
                pipe.hgetall(self._prefix + job_id)
            pipe.delete(*(self._prefix + job_id for job_id in expired))
            found = pipe.execute()[:-1]
        return [job for job in map(_job, found) if job is not None]

    def clear(self) -> None:
        names = list(self._redis.scan_iter(match=self._prefix + "*", count=1000))
        self._redis.delete(self._expiry, *names)

    def __len__(self) -> int:
        return int(self._redis.zcard(self._expiry))

    def __iter__(self) -> Iterator[Job]:
        found_ids: list[bytes] = self._redis.zrange(self._expiry, 0, -1)  # type: ignore[assignment]
        ids = [job_id.decode() for job_id in found_ids]
        with self._redis.pipeline() as pipe:
            for job_id in ids:
                pipe.hgetall(self._prefix + job_id)
            found = pipe.execute()
        return iter([job for job in map(_job, found) if job is not None])


def _record(job: Job) -> dict[Any, Any]:
    timeline, media, outcome = job.timeline, job.media, job.outcome
    spec = {
        "id": job.id,
        "provider": job.provider,
        "operation": job.operation,
        "model": job.model,
        "account": job.account,
        # The request bytes as they were (latin-1 maps each byte to one character).
        "request": job.request.decode("latin-1"),
        "created_at": job.created_at,
        "timeline": [
            timeline.phases,
            list(timeline.ends),
            timeline.by_reads,
            timeline.reads_per_phase,
            timeline.finishes,
        ],
        "outcome": [outcome.kind, outcome.message, outcome.code],
        "media": [media.width, media.height, media.format, media.count, media.variant],
        "expires_at": job.expires_at,
        "media_expires_at": job.media_expires_at,
        "cost": str(job.cost),
        "profile": job.profile,
        "scenario": job.scenario,
        "scenario_source": job.scenario_source,
        "seed": job.seed,
        "inline": job.inline,
        "pollable": job.pollable,
    }
    return {
        "spec": json.dumps(spec, separators=(",", ":")),
        "reads": job.reads,
        "observed": job.observed,
        "read_log": json.dumps(job.read_log) if job.read_log is not None else "",
        "settled": int(job.settled),
        "fee": str(job.fee),
        "unready": job.unready_reads,
        # What a read checks without decoding the spec (see _READ).
        "reader": f"{job.provider}{SEP}{job.account}" if job.pollable else "",
        "expires_at": repr(job.expires_at),
    }


def _job(fields: Mapping[Any, Any]) -> Job | None:
    raw = fields.get(b"spec")
    if raw is None:
        return None
    spec = json.loads(raw)
    phases, ends, by_reads, reads_per_phase, finishes = spec["timeline"]
    kind, message, code = spec["outcome"]
    log = fields.get(b"read_log")
    return Job(
        id=spec["id"],
        provider=spec["provider"],
        operation=spec["operation"],
        model=spec["model"],
        account=spec["account"],
        request=spec["request"].encode("latin-1"),
        created_at=spec["created_at"],
        timeline=Timeline(phases, tuple(ends), by_reads, reads_per_phase, finishes),
        outcome=Outcome(kind, message, code),
        media=MediaPlan(*spec["media"]),
        expires_at=spec["expires_at"],
        media_expires_at=spec["media_expires_at"],
        cost=Decimal(spec["cost"]),
        profile=spec["profile"],
        scenario=spec["scenario"],
        scenario_source=spec["scenario_source"],
        seed=spec["seed"],
        inline=spec["inline"],
        pollable=spec["pollable"],
        fee=Decimal(fields.get(b"fee", b"0").decode()),
        unready_reads=int(fields.get(b"unready", 0)),
        reads=int(fields.get(b"reads", 0)),
        observed=int(fields.get(b"observed", 0)),
        read_log=json.loads(log) if log else None,
        settled=fields.get(b"settled") == b"1",
    )
