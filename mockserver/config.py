"""The TOML config file for `grok-mock serve --config FILE`.

Every key is checked: a misspelt one is an error that names it (and what it
probably meant), so the server never starts half-configured.

    seed = 7
    profile = "fast"
    allowed_hosts = ["hooks.internal"]
    only_listed_keys = ["segmind"]        # these providers accept only the keys below

    [[accounts]]
    provider = "segmind"
    key = "SG_0123456789abcdef"
    balance = 25
    webhook_key = "whsec"                 # signs Apikley callbacks

    [prices.segmind]
    "grok-imagine-image" = 0.03

    [durations.segmind]
    realistic = [1.0, 12.0]

    [retention.apikley]
    record_seconds = 7200

    [limits.apikley]
    concurrent = 10

    [[rules]]
    scenario = "rate-limited"
    provider = "segmind"
    times = 2

    [[chaos]]
    provider = "segmind"
    operation = "v2.status"
    scenario = "server-error"
    probability = 0.05

    [[latency]]
    kind = "lognormal"
    median = 0.2
    sigma = 0.5

    [webhooks]
    attempts = 5
    backoff = [1, 2, 4, 8]
    timeout = 10
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

from mockserver.engine import MockUsageError, Settings
from mockserver.engine.chaos import ChaosEntry, LatencyEntry
from mockserver.engine.errors import ConfigError
from mockserver.engine.scenarios import RULE_FIELDS

__all__ = ["ConfigError", "load_config", "settings_from"]

# Config keys that fill Settings fields by another name or shape; every other Settings
# field is a key of the same name.
_SHAPED = {"only_listed_keys", "accounts", "webhooks"}
_BY_SHAPE = {"keys", "balances", "webhook_keys"} | {
    f.name for f in fields(Settings) if f.name.startswith("webhook_")
}
_TOP = {f.name for f in fields(Settings)} - _BY_SHAPE | _SHAPED
_TABLES = ("limits", "durations", "retention", "prices")
_LISTS = ("providers", "allowed_hosts", "admin_hosts")
_ACCOUNT = {"provider", "key", "balance", "webhook_key"}
_RULE = set(RULE_FIELDS)
_CHAOS = {f.name for f in fields(ChaosEntry)}
_LATENCY = {f.name for f in fields(LatencyEntry)}
# [webhooks] keys are the Settings fields named webhook_<key>.
_WEBHOOKS = {
    f.name.removeprefix("webhook_") for f in fields(Settings) if f.name.startswith("webhook_")
}


def _check_keys(table: Mapping[str, Any], allowed: set[str], where: str) -> None:
    for key in table:
        if key not in allowed:
            import difflib  # only for a mistake: start-up skips it

            hint = difflib.get_close_matches(key, sorted(allowed), n=1)
            maybe = f" (did you mean {hint[0]!r}?)" if hint else ""
            raise ConfigError(
                f"{where}: unknown key {key!r}{maybe}; known: {', '.join(sorted(allowed))}"
            )


def _table(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where} must be a table, got {type(value).__name__}")
    return value


def _tables(value: Any, where: str, allowed: set[str]) -> list[Mapping[str, Any]]:
    if not isinstance(value, list):
        raise ConfigError(f"{where} must be an array of tables ([[{where}]])")
    out = []
    for index, item in enumerate(value):
        item = _table(item, f"{where}[{index}]")
        _check_keys(item, allowed, f"{where}[{index}]")
        out.append(item)
    return out


def settings_from(data: Mapping[str, Any], base: Settings | None = None) -> Settings:
    """Settings from parsed config data (the same shape as the TOML file)."""
    _check_keys(data, _TOP, "config")
    given: dict[str, Any] = {k: v for k, v in data.items() if k not in _SHAPED}
    for name in _TABLES:
        if name in given:
            given[name] = _per_provider(given[name], name)
    for name in _LISTS:
        if name in given:
            given[name] = tuple(given[name])
    given.update(_accounts(data, base or Settings()))
    given.update(_entries(data))
    given.update(_webhooks(data))
    try:
        return Settings(**given)
    except (TypeError, MockUsageError) as exc:
        raise ConfigError(str(exc)) from None


def _per_provider(value: Any, name: str) -> dict[str, dict[str, Any]]:
    """A table of per-provider tables ([durations.segmind]); lists become tuples."""
    return {
        provider: {k: tuple(v) if isinstance(v, list) else v for k, v in table.items()}
        for provider, table in (
            (p, _table(v, f"{name}.{p}")) for p, v in _table(value, name).items()
        )
    }


def _accounts(data: Mapping[str, Any], base: Settings) -> dict[str, Any]:
    """[[accounts]] as keys (providers in only_listed_keys), balances and webhook keys."""
    strict = set(data.get("only_listed_keys", []))
    keys: dict[str, dict[str, Any]] = {provider: {} for provider in strict}
    balances: dict[str, dict[str, Any]] = {}
    webhook_keys: dict[str, dict[str, str]] = {}
    for account in _tables(data.get("accounts", []), "accounts", _ACCOUNT):
        if "provider" not in account or "key" not in account:
            raise ConfigError("accounts: every account needs a provider and a key")
        provider, key = account["provider"], account["key"]
        balance = account.get("balance", base.default_balance)
        (keys if provider in strict else balances).setdefault(provider, {})[key] = balance
        if "webhook_key" in account:
            webhook_keys.setdefault(provider, {})[key] = account["webhook_key"]
    return {"keys": keys, "balances": balances, "webhook_keys": webhook_keys}


def _entries(data: Mapping[str, Any]) -> dict[str, Any]:
    """[[rules]], [[chaos]] and [[latency]], each checked where it stands."""
    chaos = _tables(data.get("chaos", []), "chaos", _CHAOS)
    latency = _tables(data.get("latency", []), "latency", _LATENCY)
    return {
        "rules": tuple(dict(r) for r in _tables(data.get("rules", []), "rules", _RULE)),
        "chaos": tuple(_build(ChaosEntry, c, f"chaos[{i}]") for i, c in enumerate(chaos)),
        "latency": tuple(_build(LatencyEntry, e, f"latency[{i}]") for i, e in enumerate(latency)),
    }


def _webhooks(data: Mapping[str, Any]) -> dict[str, Any]:
    if "webhooks" not in data:
        return {}
    hooks = _table(data["webhooks"], "webhooks")
    _check_keys(hooks, _WEBHOOKS, "webhooks")
    return {
        f"webhook_{name}": tuple(value) if name == "backoff" else value
        for name, value in hooks.items()
    }


def _build(kind: type[Any], values: Mapping[str, Any], where: str) -> Any:
    try:
        return kind(**values)
    except (TypeError, MockUsageError) as exc:
        raise ConfigError(f"{where}: {exc}") from None


def load_config(path: str | Path) -> Settings:
    """Settings from a TOML file; raises ConfigError naming what is wrong."""
    if sys.version_info >= (3, 11):  # imported here: a server without a file skips it
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"config file {str(path)!r} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return settings_from(data)
