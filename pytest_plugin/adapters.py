"""Contract checks for your own adapter: the whole provider contract, one short test file.

    from pytest_plugin.adapters import adapter_contract

    TestMyAdapter = adapter_contract(
        "segmind",
        factory=lambda base_url, api_key: MyAdapter(base_url, api_key),
        call=lambda adapter, request: adapter.generate(request.prompt, n=request.n),
        retries=3,
    )

Hypothesis draws requests from the contract and what goes wrong from the
scenario catalogue, runs your adapter against the emulator (in-process by
default) in virtual time, and checks what it returned and what it sent.
A failure names the problem, the shrunk case and the requests that show it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

from contracts.record import record
from mockserver.engine.errors import AdapterContractError

try:
    from pytest_plugin._adapter_cases import NEUTRAL_FIELDS, ImageRequest
except ModuleNotFoundError as missing:  # pragma: no cover - exercised in a subprocess
    if missing.name != "hypothesis":
        raise
    raise ModuleNotFoundError(
        "adapter_contract draws its cases with hypothesis, which is not installed: "
        "pip install 'grok-imagine-mock[pytest]'",
        name="hypothesis",
    ) from None

__all__ = ["AdapterOptions", "ImageRequest", "adapter_contract"]


@record
class AdapterOptions:
    """What the checks expect of an adapter; every number is in (virtual) seconds.

    - `retries`: how many times the adapter retries an error that can pass (429, 5xx,
      a dropped connection) before it gives up; 0 means it reports the first one.
    - `min_backoff`: a retry sooner than this after the failure is a retry storm.
    - `min_poll_interval`: polls of one job closer together than this fail.
    - `max_poll_interval`: the adapter must return (or report a failure) within this
      long after the job ended: a client that checks too seldom fails.
    - `max_wait`: a job that never finishes must be given up within this long.
    - `webhooks`: the factory takes a third argument, a URL the adapter must register
      as its webhook; the checks then expect a delivery there for each job.
    - `vary`: the neutral request fields the checks vary (others stay None).
    - `examples`: hypothesis examples per check.
    - `live`: run against a real server on a free port instead of in-process.
    - `transport`: "grpc" for an adapter on xAI's official SDK: requests use the values
      its gRPC enums have, and waits of the gRPC channel's own retries are not judged.
    """

    provider: str
    model: str
    retries: int = 0
    min_backoff: float = 0.1
    min_poll_interval: float = 0.5
    max_poll_interval: float = 20.0
    max_wait: float = 600.0
    webhooks: bool = False
    vary: tuple[str, ...] = ("n", "aspect_ratio", "resolution", "output_format")
    examples: int = 10
    live: bool = False
    transport: str = "rest"
    api_key: str = "grok-mock-adapter-key"


def _fail(message: str) -> AdapterContractError:
    return AdapterContractError(f"adapter_contract: {message}")


def _check_number(name: str, value: Any, *, integer: bool = False) -> None:
    ok = isinstance(value, int) if integer else isinstance(value, (int, float))
    if isinstance(value, bool) or not ok or value < 0:
        what = "a non-negative integer" if integer else "a non-negative number of seconds"
        raise _fail(f"{name} must be {what}, got {value!r}")


def _resolve_model(provider: str, model: str | None) -> str:
    from contracts import CONTRACTS

    contract = CONTRACTS[provider]
    if model is None:
        first = next(m for m in contract.models.values() if m.task == "text-to-image")
        return first.id if first.route == "" else first.route
    if model in contract.models:
        return model
    routes = [
        key for key, m in contract.models.items() if m.id == model and m.task == "text-to-image"
    ]
    if routes:
        return routes[0]
    known = ", ".join(contract.models)
    raise _fail(f"{provider} has no model {model!r}; its models: {known}")


def adapter_contract(
    provider: str,
    factory: Callable[..., Any],
    call: Callable[[Any, ImageRequest], Any],
    *,
    model: str | None = None,
    retries: int = 0,
    min_backoff: float = 0.1,
    min_poll_interval: float = 0.5,
    max_poll_interval: float = 20.0,
    max_wait: float = 600.0,
    webhooks: bool = False,
    vary: Sequence[str] | None = None,
    examples: int = 10,
    live: bool = False,
    transport: str = "rest",
) -> type:
    """A pytest test class that runs the provider's contract against your adapter.

    `factory(base_url, api_key)` (plus `webhook_url` with `webhooks=True`) builds
    the adapter for the emulated provider: `base_url` is scheme and host, as
    https://api.segmind.com, with no version path. `call(adapter, request)` makes
    one generation from an `ImageRequest` and returns its images (bytes, data:
    URIs, base64 or URLs), or raises. Either may be async.
    """
    from contracts import CONTRACTS

    if provider not in CONTRACTS:
        raise _fail(f"unknown provider {provider!r}; known: {', '.join(CONTRACTS)}")
    if not callable(factory) or not callable(call):
        raise _fail("factory and call must be callables")
    _check_number("retries", retries, integer=True)
    _check_timing(min_backoff, min_poll_interval, max_poll_interval, max_wait)
    if isinstance(examples, bool) or not isinstance(examples, int) or examples < 1:
        raise _fail(f"examples must be a positive integer, got {examples!r}")
    chosen = _checked_vary(vary)
    _check_reach(provider, transport, webhooks)
    _check_arity(factory, 3 if webhooks else 2, "factory")
    options = AdapterOptions(
        provider=provider,
        model=_resolve_model(provider, model),
        retries=retries,
        min_backoff=float(min_backoff),
        min_poll_interval=float(min_poll_interval),
        max_poll_interval=float(max_poll_interval),
        max_wait=float(max_wait),
        webhooks=webhooks,
        vary=chosen,
        examples=examples,
        live=live,
        transport=transport,
    )
    from pytest_plugin._adapter_checks import AdapterChecks

    name = f"TestAdapterContract_{provider}"
    return type(
        name,
        (AdapterChecks,),
        {"options": options, "factory": staticmethod(factory), "call": staticmethod(call)},
    )


def _check_timing(
    min_backoff: float, min_poll_interval: float, max_poll_interval: float, max_wait: float
) -> None:
    for name, value in (
        ("min_backoff", min_backoff),
        ("min_poll_interval", min_poll_interval),
        ("max_poll_interval", max_poll_interval),
        ("max_wait", max_wait),
    ):
        _check_number(name, value)
    if max_poll_interval < min_poll_interval:
        raise _fail(
            f"max_poll_interval ({max_poll_interval:g}) is below min_poll_interval "
            f"({min_poll_interval:g})"
        )


def _checked_vary(vary: Sequence[str] | None) -> tuple[str, ...]:
    """The request fields to vary (all but the prompt, by default)."""
    allowed = NEUTRAL_FIELDS[1:]
    chosen = tuple(allowed if vary is None else vary)
    unknown = [f for f in chosen if f not in allowed]
    if unknown or isinstance(vary, str):
        raise _fail(f"vary takes a list of fields among {', '.join(allowed)}; got {vary!r}")
    return chosen


def _check_reach(provider: str, transport: str, webhooks: bool) -> None:
    """The transport and webhooks asked for are ones the provider has."""
    from contracts import CONTRACTS

    if transport not in ("rest", "grpc"):
        raise _fail(f"transport is 'rest' or 'grpc', got {transport!r}")
    if transport == "grpc" and CONTRACTS[provider].grpc is None:
        raise _fail(f"{provider} has no gRPC service; only xai does")
    if webhooks and not CONTRACTS[provider].webhooks:
        raise _fail(f"{provider} sends no webhooks, so webhooks=True cannot be checked")


def _check_arity(function: Callable[..., Any], count: int, name: str) -> None:
    try:
        inspect.signature(function).bind(*range(count))
    except TypeError:
        raise _fail(f"{name} must accept {count} positional arguments") from None
    except ValueError:  # builtins without a signature: trust them
        pass
