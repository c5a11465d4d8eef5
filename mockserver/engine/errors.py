"""Every error grok-imagine-mock raises on purpose, in one tree.

MockError
├── Refusal              a provider must answer with one of its error cases
├── NetworkFault         the request's scenario is a network fault (the server acts on it)
├── InProcessFault       a network fault with no socket: the client gets its own error
├── NotFetched           an input-image URL the fence keeps the emulator from
├── OutboundRefused      the fence would not let a webhook or fetch out; nothing was sent
├── OutboundFailed       the peer could not be reached, timed out, or did not speak HTTP
├── InputImageError      (also ValueError) an input image that cannot be read, and why
├── ServeError           (also RuntimeError) the server could not start (a busy port)
├── JournalMismatch      (also AssertionError) the journal does not hold what a test expects
└── MockUsageError       (also ValueError) the emulator was asked for something wrong
    ├── UnknownScenario  a scenario the provider cannot show; lists the ones it can
    ├── ConfigError      a config file that cannot be served; names the key
    └── AdapterContractError  (also TypeError) adapter_contract given bad arguments

MockSignal               (BaseException: control flow that user code must not swallow)
├── NotIntercepted       a client the in-process fixture does not serve tried a provider host
└── Runaway              an adapter under the contract checks that would not stop
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AdapterContractError",
    "ConfigError",
    "InProcessFault",
    "InputImageError",
    "JournalMismatch",
    "MockError",
    "MockSignal",
    "MockUsageError",
    "NetworkFault",
    "NotFetched",
    "NotIntercepted",
    "OutboundFailed",
    "OutboundRefused",
    "Refusal",
    "Runaway",
    "ServeError",
    "UnknownScenario",
]


class MockError(Exception):
    pass


class Refusal(MockError):
    """Answer this request with the contract's error case `case`.

    `message` fills the case's `{message}` placeholder; `fields` fill the rest;
    `named` says the request itself named the culprit (an unknown model), so the
    case's `named` wording applies.
    """

    def __init__(
        self, case: str, message: str | None = None, *, named: bool = False, **fields: Any
    ) -> None:
        self.case = case
        self.message = message
        self.named = named
        self.fields = fields
        super().__init__(f"{case}: {message}" if message else case)


class NetworkFault(MockError):
    """Raised where a request's scenario turns out to be a network fault."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(name)


class InProcessFault(MockError):
    """A network fault with no socket to act on: each client library gets its own error."""

    def __init__(self, fault: dict[str, Any]) -> None:
        self.name: str = fault["name"]
        self.full: int = fault.get("length", 0)
        self.half = self.full // 2
        super().__init__(self.name)


class NotFetched(MockError):
    """A URL the emulator may not fetch (not loopback, not allow-listed)."""


class OutboundRefused(MockError):
    """The fence would not let this request out; nothing was sent."""


class OutboundFailed(MockError):
    """The peer could not be reached, timed out or did not speak HTTP."""


class InputImageError(MockError, ValueError):
    """A client-supplied image that cannot be used; the message says why."""


class ServeError(MockError, RuntimeError):
    """The server could not start; the message says what to change."""


class JournalMismatch(MockError, AssertionError):
    """The journal does not hold the expected requests; the message shows the near misses."""


class MockUsageError(MockError, ValueError):
    pass


class UnknownScenario(MockUsageError):
    def __init__(self, name: str, provider: str, available: list[str]) -> None:
        self.name = name
        self.provider = provider
        self.available = available
        import difflib  # only for a mistake: start-up skips it

        close = difflib.get_close_matches(name, available, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        super().__init__(
            f"scenario {name!r} is not available on {provider}{hint}; "
            f"available scenarios: {', '.join(available)}"
        )


class ConfigError(MockUsageError):
    """A config file that cannot be served; the message names the key."""


class AdapterContractError(MockUsageError, TypeError):
    """adapter_contract was given arguments it cannot check an adapter with."""


class MockSignal(BaseException):
    """Control flow through user code: an `except Exception` must not swallow it."""


class NotIntercepted(MockSignal):
    """A client the in-process fixture does not serve tried to reach a real provider host."""


class Runaway(MockSignal):
    """Raised inside an adapter that would not stop on its own."""
