"""A provider's error catalogue: each named failure's status, body template and headers,
and which case answers for a name a provider has no case of its own for."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from types import MappingProxyType
from typing import Any

from contracts._base import Source, freeze_fields
from contracts.record import record

# Codes a client should retry after a while (Kie's 455 is "maintenance").
RETRYABLE_CODES = frozenset({408, 429, 455, 500, 502, 503, 504})


@record
class ErrorCase:
    """A provider's answer for one named failure.

    `body` is a template: string values may hold `{placeholders}` filled in
    when the error is rendered; `{message}` defaults to `message`.
    """

    name: str
    status: int
    body: Any
    source: Source
    message: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    content_type: str = "application/json"
    scenario: bool = True
    # Where the message text comes from, when not from `source` itself.
    wording: Source | None = None
    # The message when the request itself names the culprit (an unknown model's name),
    # where the provider says more than its generic `message`.
    named: str = ""

    def __post_init__(self) -> None:
        freeze_fields(self, "body", "headers")

    @property
    def code(self) -> int:
        """The status a client acts on: the body's own code where it rides on HTTP 200."""
        if self.status == 200 and isinstance(self.body, Mapping):
            code = self.body.get("code")
            if isinstance(code, int) and not isinstance(code, bool):
                return code
        return self.status

    @property
    def looks_retryable(self) -> bool:
        """Whether its code alone says "try again later" (429, 5xx, Kie's 455)."""
        return self.code in RETRYABLE_CODES

    def render(
        self, message: str | None = None, *, named: bool = False, **fields: Any
    ) -> tuple[Any, dict[str, str]]:
        """The body and headers, placeholders filled; unknown ones stay as written.

        `named`: the request named the culprit, so the `named` wording applies.
        """
        values = _Fields(fields)
        template = self.named if named and self.named else self.message
        values["message"] = message or template.format_map(values)
        headers = {name: value.format_map(values) for name, value in self.headers.items()}
        return _fill(self.body, values), headers


class _Fields(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _fill(template: Any, fields: _Fields) -> Any:
    if isinstance(template, str):
        name = template[1:-1]
        if template == "{" + name + "}" and name.isidentifier():
            return fields.get(name)  # a lone placeholder keeps its value's type; unset is null
        return template.format_map(fields)
    if isinstance(template, Mapping):
        return {key: _fill(value, fields) for key, value in template.items()}
    if isinstance(template, (list, tuple)):
        return [_fill(value, fields) for value in template]
    return template


# A provider without a case of its own answers with its nearest relative.
FALLBACKS: Mapping[str, str] = MappingProxyType(
    {
        "missing-key": "unauthorized",
        "malformed-body": "validation-error",
        "mock-usage": "validation-error",
        "payload-too-large": "validation-error",
        "invalid-content-type": "validation-error",
        "missing-parameter": "validation-error",
        "media-not-found": "request-not-found",
        "request-not-found": "model-not-found",
        "endpoint-not-found": "model-not-found",
        "method-not-allowed": "endpoint-not-found",
        "limit-exceeded": "rate-limited",
    }
)
