"""What every contract module stands on: where a fact comes from, and frozen data."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Literal

from contracts.record import record

SourceKind = Literal["documented", "facts", "inferred"]
# How a provider writes times in its bodies.
TimeStyle = Literal["iso-millis", "iso-seconds", "epoch-millis", "epoch-seconds"]
JsonType = Literal["string", "integer", "number", "boolean", "array", "object"]
OperationKind = Literal["submit", "read", "media"]
ScenarioKind = Literal["outcome", "timing", "refusal", "network"]


@record
class Source:
    kind: SourceKind
    ref: str

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "ref": self.ref}


def documented(page: str) -> Source:
    """Stated on the provider page `page`."""
    return Source("documented", page)


def from_facts(section: str) -> Source:
    """Stated by a public source recorded in docs/SOURCES.md, section `section`."""
    return Source("facts", section)


def inferred(reason: str) -> Source:
    """Chosen by us; `reason` says why."""
    return Source("inferred", reason)


def freeze(value: Any) -> Any:
    """`value` with every mapping read-only and every list a tuple, all the way down:
    one test that pokes a shared contract cannot leak into every emulator."""
    if isinstance(value, Mapping):
        return MappingProxyType({key: freeze(item) for key, item in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(freeze(item) for item in value)
    return value


def thaw(value: Any) -> Any:
    """A plain, mutable copy of frozen JSON data (a schema for a validator, say)."""
    if isinstance(value, Mapping):
        return {key: thaw(item) for key, item in value.items()}
    if isinstance(value, tuple):
        return [thaw(item) for item in value]
    return value


def freeze_fields(instance: Any, *names: str) -> None:
    for name in names:
        object.__setattr__(instance, name, freeze(getattr(instance, name)))


class _Missing:
    """Marks a parameter without a default (distinct from a default of None)."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
