"""The object tests hold: one API whether the emulator is served in-process or live."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from decimal import Decimal
from typing import Any, SupportsIndex

from contracts import CONTRACTS
from mockserver import Emulator
from mockserver.engine import Job, JournalEntry, ScenarioRule
from mockserver.engine.errors import JournalMismatch
from mockserver.engine.journal import Journal
from mockserver.engine.webhooks import Delivery

__all__ = ["GrokMock"]


class GrokMock:
    """Drive one emulator from a test.

    `url(provider)` is the base URL a client should use: the provider's real one
    for the in-process fixture (its host is intercepted), the live server's for
    `grok_mock_server`. `base_url` is the live server's origin (None in-process).
    """

    def __init__(
        self,
        emulator: Emulator,
        base_urls: dict[str, str],
        base_url: str | None = None,
        *,
        grpc_address: str | None = None,
    ) -> None:
        # Called before each in-process request, in the caller's thread (adapter checks).
        self.request_guards: list[Callable[[], None]] = []
        # A failing test's report ends with the journal, unless the test shows its own.
        self.journal_in_reports = True
        self.emulator = emulator
        self._base_urls = base_urls
        self._base_url = base_url
        self._grpc_address = grpc_address

    # -- where clients go -------------------------------------------------

    def url(self, provider: str) -> str:
        try:
            return self._base_urls[provider]
        except KeyError:
            served = ", ".join(self._base_urls)
            raise KeyError(f"{provider!r} is not served here; served: {served}") from None

    @property
    def base_urls(self) -> dict[str, str]:
        return dict(self._base_urls)

    @property
    def base_url(self) -> str | None:
        """The live server's origin (`http://127.0.0.1:PORT`), for the admin API and
        anything else not under a provider; None when served in-process."""
        return self._base_url

    @property
    def grpc_address(self) -> str | None:
        """The live server's gRPC address for xAI's SDK (`xai_sdk.Client(api_key=...,
        api_host=grok_mock_server.grpc_address)`); None in-process, where the SDK's
        default host is served as it is."""
        return self._grpc_address

    # -- time and lifecycles ------------------------------------------------

    @property
    def now(self) -> float:
        return self.emulator.clock.now()

    def advance(self, seconds: float) -> float:
        """Move the emulator's clock forward; answers the new time."""
        return self.emulator.advance(seconds)

    @property
    def profile(self) -> str:
        return self.emulator.profile

    def set_profile(self, profile: str) -> None:
        self.emulator.set_profile(profile)

    @property
    def seed(self) -> int:
        return self.emulator.seed

    def reset(self, *, seed: int | None = None, profile: str | None = None) -> None:
        self.emulator.reset(seed=seed, profile=profile)

    @contextlib.contextmanager
    def sleep_moves_clock(self) -> Iterator[None]:
        """Inside, `time.sleep` in this thread moves the emulator clock instead of waiting.

        Client code that polls with `time.sleep` then runs a realistic
        lifecycle in no wall time.
        """
        real_sleep = time.sleep
        owner = threading.current_thread()

        def sleep(seconds: float | SupportsIndex) -> None:
            if threading.current_thread() is owner:
                self.advance(max(0.0, float(seconds)))
            else:
                real_sleep(seconds)

        time.sleep = sleep
        try:
            yield
        finally:
            time.sleep = real_sleep

    # -- scenarios and accounts ------------------------------------------

    def queue(
        self,
        scenario: str,
        *,
        provider: str | None = None,
        operation: str | None = None,
        model: str | None = None,
        key: str | None = None,
        prompt: str | None = None,
        times: int | None = 1,
        expires_in: float | None = None,
    ) -> ScenarioRule:
        """The next `times` matching requests play `scenario` (`times=None`: until removed).

        `prompt` is a regex searched in the prompt; `expires_in` is virtual seconds.
        """
        return self.emulator.queue_scenario(
            scenario,
            provider=provider,
            operation=operation,
            model=model,
            key=key,
            prompt=prompt,
            times=times,
            expires_in=expires_in,
        )

    def set_chaos(self, entries: Iterable[Mapping[str, Any]]) -> None:
        """Each entry: `scenario`, `probability`, optional `provider` and `operation`."""
        self.emulator.set_chaos(entries)

    def set_latency(self, entries: Iterable[Mapping[str, Any]]) -> None:
        """Each entry: `kind` (fixed, uniform, lognormal), its figures, optional matchers."""
        self.emulator.set_latency(entries)

    def set_balance(self, provider: str, key: str, balance: Any) -> None:
        self.emulator.set_balance(provider, key, balance)

    def balance(self, provider: str, key: str) -> Decimal | None:
        account = self.emulator.account(provider, key)
        return account.balance if account else None

    def set_webhook_key(self, provider: str, key: str, secret: str | None) -> None:
        self.emulator.set_webhook_key(provider, key, secret)

    # -- what happened -------------------------------------------------------

    @property
    def journal(self) -> Journal:
        return self.emulator.journal

    def requests(self, **filters: Any) -> list[JournalEntry]:
        """Journaled provider requests: provider, operation, status, job_id, key, limit."""
        return self.emulator.journal.query(**filters)

    def assert_requests(
        self,
        count: int | None = None,
        *,
        at_least: int | None = None,
        at_most: int | None = None,
        **filters: Any,
    ) -> list[JournalEntry]:
        """Assert how many journaled requests match; the failure shows the near misses.

        Filters: provider, operation, method, status, scenario, job_id, key.
        With no count or bound, at least one must match.
        """
        __tracebackhide__ = True
        try:
            return self.emulator.journal.verify(
                count, at_least=at_least, at_most=at_most, **filters
            )
        except JournalMismatch as mismatch:
            raise JournalMismatch(str(mismatch)) from None  # the message is the story

    def deliveries(self, job_id: str | None = None) -> list[Delivery]:
        return self.emulator.webhooks.deliveries(job_id)

    def wait_for_deliveries(self, count: int = 1, timeout: float = 10.0) -> list[Delivery]:
        """Block until `count` webhook deliveries settled (delivered, failed or refused)."""
        return self.emulator.webhooks.wait(count, timeout)

    def job(self, job_id: str) -> Job | None:
        return self.emulator.job(job_id)

    def jobs(self) -> list[Job]:
        return list(self.emulator.jobs)

    def journal_tail(self, count: int = 15) -> str:
        """The last requests, one line each, for failure reports."""
        entries = self.emulator.journal.tail(count)
        if not entries:
            return "(no requests reached the emulator)"
        lines = []
        for entry in entries:
            what = f"{entry.provider or '-'}.{entry.operation or '-'}"
            extra = f" scenario={entry.scenario}" if entry.scenario not in (None, "success") else ""
            error = f" error={entry.error}" if entry.error else ""
            lines.append(
                f"#{entry.seq} {entry.method} {entry.host}{entry.path} -> {entry.status} "
                f"[{what}]{extra}{error}"
            )
        return "\n".join(lines)


def real_base_urls(providers: list[str]) -> dict[str, str]:
    return {p: f"https://{CONTRACTS[p].hosts[0]}" for p in providers}
