"""Emulator settings, checked when made so nothing starts half-configured."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import field
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any

from contracts import CONTRACTS, Contract, freeze
from contracts.record import record
from mockserver.engine.accounts import DEFAULT_BALANCE
from mockserver.engine.chaos import ChaosEntry, LatencyEntry
from mockserver.engine.errors import MockUsageError
from mockserver.engine.lifecycle import check_profile
from mockserver.engine.webhooks import WebhookPolicy


@record
class Settings:
    seed: int = 0
    profile: str = "fast"
    providers: tuple[str, ...] = tuple(CONTRACTS)
    journal_size: int = 1000
    default_balance: Decimal = DEFAULT_BALANCE
    # Listing keys for a provider makes it strict: only those keys are valid.
    keys: Mapping[str, Mapping[str, Decimal]] = field(default_factory=dict)
    # Starting balances for some keys, without making the provider strict.
    balances: Mapping[str, Mapping[str, Decimal]] = field(default_factory=dict)
    # Per provider, model -> price per image, replacing the contract's placeholder.
    prices: Mapping[str, Mapping[str, Decimal]] = field(default_factory=dict)
    max_body_bytes: int = 32 * 1024 * 1024
    # What the journal (and the webhook record) keeps of each body and each header set;
    # past it, the size and a SHA-256 digest.
    journal_body_bytes: int = 16 * 1024
    journal_header_bytes: int = 8 * 1024
    # How long a synchronous call may wait for its job before the gateway times out.
    sync_timeout: float = 300.0
    # Hosts beyond loopback that may receive webhooks and serve input images
    # (`*.example.com` covers subdomains). Nothing else is ever contacted.
    allowed_hosts: tuple[str, ...] = ()
    # Per provider, API key -> the secret its callbacks are signed with (Apikley/Kie.ai).
    webhook_keys: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # Documented per-account limits: None enforces them in the realistic profile only.
    enforce_limits: bool | None = None
    # Per provider overrides of its documented limits: {"concurrent": N, "per_hour": M}.
    limits: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    # Initial scenario rules: mappings with scenario, provider, operation, model, key,
    # prompt (a regex), times and expires_in (seconds).
    rules: tuple[Mapping[str, Any], ...] = ()
    chaos: tuple[ChaosEntry, ...] = ()
    latency: tuple[LatencyEntry, ...] = ()
    # Per provider, profile -> seconds per phase, replacing the contract's durations.
    durations: Mapping[str, Mapping[str, tuple[float, ...]]] = field(default_factory=dict)
    # Per provider, {"record_seconds": ..., "media_seconds": ...} replacing its retention.
    retention: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    # Seconds between the chunks of a slow-response fault (real time: it is the network).
    slow_response_interval: float = 1.0
    # Required on every admin request except health when set (`X-Admin-Token`).
    admin_token: str | None = None
    # Host names (beyond the address it listens on and loopback) the admin API answers to.
    admin_hosts: tuple[str, ...] = ()
    # Signs media URLs; random per process unless set (for URLs stable across restarts).
    media_secret: str | None = None
    # Per provider, the contract variant to serve ({"xai": "legacy"}); unset is the default.
    variants: Mapping[str, str] = field(default_factory=dict)
    webhook_attempts: int = 5
    webhook_backoff: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0)
    webhook_timeout: float = 10.0
    # Webhook attempts in flight at once (the worker pool); the rest queue.
    webhook_concurrency: int = 64
    # Where the state lives: None for this process, or a Redis URL (redis://HOST:PORT/DB)
    # that several processes (and restarts) share under one namespace.
    state: str | None = None
    state_namespace: str = "grok-mock"

    def __post_init__(self) -> None:
        for name, check in _CHECKS.items():
            object.__setattr__(self, name, check(name, getattr(self, name)))
        self._check_per_provider()

    def webhook_policy(self) -> WebhookPolicy:
        return WebhookPolicy(
            self.webhook_attempts,
            self.webhook_backoff,
            self.webhook_timeout,
            concurrency=self.webhook_concurrency,
            body_bytes=self.journal_body_bytes,
        )

    def _check_per_provider(self) -> None:
        """Per-provider tables name served providers and hold valid values, checked now."""
        for name in (
            "keys",
            "balances",
            "prices",
            "webhook_keys",
            "limits",
            "durations",
            "retention",
            "variants",
        ):
            unknown = sorted(set(getattr(self, name)) - set(CONTRACTS))
            if unknown:
                raise MockUsageError(
                    f"{name}: unknown provider(s) {', '.join(unknown)}; "
                    f"known: {', '.join(CONTRACTS)}"
                )
        for provider in self.durations:
            effective_durations(CONTRACTS[provider], self)
        for provider in self.retention:
            effective_retention(CONTRACTS[provider], self)
        for provider, variant in self.variants.items():
            try:
                CONTRACTS[provider].in_variant(variant)
            except ValueError as exc:
                raise MockUsageError(f"variants: {exc}") from None


# An hour: longer than any real call waits, short enough that a sleep cannot overflow.
MAX_SECONDS = 3600.0


def _integer(name: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise MockUsageError(f"{name} must be an integer, got {value!r}")
    return value


def _count(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise MockUsageError(f"{name} must be a positive integer, got {value!r}")
    return value


def _profile(name: str, value: Any) -> str:
    try:
        return check_profile(value)
    except ValueError as exc:
        raise MockUsageError(str(exc)) from None


def _providers(name: str, value: Any) -> tuple[str, ...]:
    unknown = [p for p in value if p not in CONTRACTS]
    if unknown:
        raise MockUsageError(
            f"unknown provider(s) {', '.join(unknown)}; known: {', '.join(CONTRACTS)}"
        )
    return tuple(value)


def _seconds(name: str, value: Any, *, positive: bool = False) -> float:
    """A finite number of seconds, not negative (or above zero), at most MAX_SECONDS."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    low_ok = ok and (value > 0 if positive else value >= 0)
    if not low_ok or not value <= MAX_SECONDS:
        bound = "above 0" if positive else "at least 0"
        raise MockUsageError(
            f"{name} must be a number of seconds {bound} and at most {MAX_SECONDS:.0f}, "
            f"got {value!r}"
        )
    return float(value) if isinstance(value, float) else value


def _positive_seconds(name: str, value: Any) -> float:
    return _seconds(name, value, positive=True)


def _backoff(name: str, value: Any) -> tuple[float, ...]:
    if isinstance(value, (str, bytes)) or not value:
        raise MockUsageError(f"{name} must be a list of seconds, got {value!r}")
    return tuple(_seconds(name, seconds) for seconds in value)


def _hosts(name: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str) or not all(isinstance(h, str) and h for h in value):
        raise MockUsageError(f"{name} must be a list of host names, got {value!r}")
    return tuple(value)


def _secret(name: str, value: Any) -> str | None:
    if value is not None and (not isinstance(value, str) or not value):
        raise MockUsageError(f"{name} must be a non-empty string, got {value!r}")
    return value


def _state_url(name: str, value: Any) -> str | None:
    if value is None or value == "memory":
        return None
    if not isinstance(value, str) or not value.startswith(("redis://", "rediss://", "unix://")):
        raise MockUsageError(
            f"{name} must be 'memory' or a Redis URL (redis://HOST:PORT/DB), got {value!r}"
        )
    return value


def _namespace(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value or any(c.isspace() for c in value):
        raise MockUsageError(f"{name} must be a non-empty word, got {value!r}")
    return value


def _optional_flag(name: str, value: Any) -> bool | None:
    if value is not None and not isinstance(value, bool):
        raise MockUsageError(f"{name} must be true, false or unset, got {value!r}")
    return value


def _entries(name: str, value: Any) -> tuple[Any, ...]:
    return tuple(value)


def _amount(name: str, value: Any) -> Decimal:
    return to_amount(value, name)


def _amounts(name: str, value: Any) -> Mapping[str, Mapping[str, Decimal]]:
    """Per provider, key (or model) -> an amount."""
    return freeze(  # type: ignore[no-any-return]
        {
            provider: {k: to_amount(v, f"{name}.{provider}.{k}") for k, v in values.items()}
            for provider, values in value.items()
        }
    )


def _limits(name: str, value: Any) -> Mapping[str, Mapping[str, int]]:
    for provider, values in value.items():
        unknown = sorted(set(values) - {"concurrent", "per_hour"})
        if unknown:
            raise MockUsageError(
                f"limits for {provider}: unknown key(s) {', '.join(unknown)}; "
                "use concurrent and per_hour"
            )
        for key, number in values.items():
            if not isinstance(number, int) or number < 1:
                raise MockUsageError(f"limits.{provider}.{key} must be a positive integer")
    return freeze(value)  # type: ignore[no-any-return]


def _frozen(name: str, value: Any) -> Any:
    return freeze(value)


# Each field's own check, which answers the value as kept; fields that depend on the
# served contracts (durations, retention, per-provider tables) are checked after.
_CHECKS: Mapping[str, Callable[[str, Any], Any]] = MappingProxyType(
    {
        "seed": _integer,
        "profile": _profile,
        "providers": _providers,
        "journal_size": _count,
        "max_body_bytes": _count,
        "journal_body_bytes": _count,
        "journal_header_bytes": _count,
        "webhook_attempts": _count,
        "webhook_concurrency": _count,
        "state": _state_url,
        "state_namespace": _namespace,
        "sync_timeout": _positive_seconds,
        "webhook_timeout": _positive_seconds,
        "slow_response_interval": _seconds,
        "webhook_backoff": _backoff,
        "allowed_hosts": _hosts,
        "admin_hosts": _hosts,
        "admin_token": _secret,
        "media_secret": _secret,
        "enforce_limits": _optional_flag,
        "chaos": _entries,
        "latency": _entries,
        "rules": _frozen,
        "limits": _limits,
        "default_balance": _amount,
        "keys": _amounts,
        "balances": _amounts,
        "prices": _amounts,
        "webhook_keys": _frozen,
        "durations": _frozen,
        "retention": _frozen,
        "variants": _frozen,
    }
)


def to_amount(value: Any, what: str = "amount") -> Decimal:
    """A balance or price from user input: numbers or numeric strings, not negative."""
    if isinstance(value, bool):
        raise MockUsageError(f"{what} must be a number, got {value!r}")
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise MockUsageError(f"{what} must be a number, got {value!r}") from None
    if not amount.is_finite() or amount < 0:
        raise MockUsageError(f"{what} must be a finite number >= 0, got {value!r}")
    return amount


def enforced_limits(
    contract: Contract, settings: Settings, profile: str
) -> tuple[int | None, int | None]:
    """(concurrent, per hour) enforced for the contract's provider; None where not.

    Documented limits apply in the realistic profile; limits set for a provider in
    the settings apply in every profile (`enforce_limits` overrides both).
    """
    override = settings.limits.get(contract.provider, {})
    enforce = settings.enforce_limits
    if enforce is None:
        enforce = profile == "realistic" or bool(override)
    if not enforce:
        return None, None
    documented = contract.limits
    return (
        override.get("concurrent", documented.concurrent if documented else None),
        override.get("per_hour", documented.per_hour if documented else None),
    )


def effective_durations(contract: Contract, settings: Settings) -> dict[str, tuple[float, ...]]:
    """The contract's phase durations per profile, with the settings' overrides."""
    given = settings.durations.get(contract.provider, {})
    phases = contract.lifecycle.phases
    for profile, seconds in given.items():
        if profile not in ("fast", "realistic"):
            raise MockUsageError(
                f"durations.{contract.provider}: profiles with durations are fast and "
                f"realistic, not {profile!r}"
            )
        if len(seconds) != len(phases) or any(s < 0 for s in seconds):
            raise MockUsageError(
                f"durations.{contract.provider}.{profile}: {len(phases)} non-negative numbers, "
                f"one per phase ({', '.join(phases)}), got {list(seconds)!r}"
            )
    return {**contract.lifecycle.durations, **{p: tuple(v) for p, v in given.items()}}


def effective_retention(contract: Contract, settings: Settings) -> tuple[float, float]:
    """(record seconds, media seconds) for the contract, with the settings' overrides."""
    given = dict(settings.retention.get(contract.provider, {}))
    unknown = sorted(set(given) - {"record_seconds", "media_seconds"})
    if unknown:
        raise MockUsageError(
            f"retention.{contract.provider}: unknown key(s) {', '.join(unknown)}; "
            "use record_seconds and media_seconds"
        )
    record = given.get("record_seconds", contract.retention.record_seconds)
    media = given.get("media_seconds", contract.retention.media_seconds)
    if record <= 0 or media <= 0:
        raise MockUsageError(f"retention.{contract.provider}: seconds must be positive")
    return float(record), float(media)
