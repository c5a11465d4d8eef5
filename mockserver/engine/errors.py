"""Exceptions the emulator raises on purpose.

MockError
├── Refusal            a provider must answer with one of its error cases
└── MockUsageError     the emulator itself was asked for something wrong (ValueError)
    └── UnknownScenario
"""

from __future__ import annotations

from typing import Any


class MockError(Exception):
    pass


class Refusal(MockError):
    """Answer this request with the contract's error case `case`.

    `message` fills the case's `{message}` placeholder; `fields` fill the rest.
    """

    def __init__(
        self, case: str, message: str | None = None, *, named: bool = False, **fields: Any
    ) -> None:
        self.case = case
        self.message = message
        # The request named the culprit (an unknown model): the case's `named` wording.
        self.named = named
        self.fields = fields
        super().__init__(f"{case}: {message}" if message else case)


class MockUsageError(MockError, ValueError):
    pass


class UnknownScenario(MockUsageError):
    def __init__(self, name: str, provider: str, available: list[str]) -> None:
        self.name = name
        self.provider = provider
        self.available = available
        super().__init__(
            f"scenario {name!r} is not available on {provider}; "
            f"available scenarios: {', '.join(available)}"
        )
