"""grok-imagine-mock: an offline emulator of every HTTP surface that sells Grok Imagine.

    from mockserver import Emulator, ManualClock, create_app

    emulator = Emulator(profile="polls", seed=7, clock=ManualClock())
    app = create_app(emulator)          # any ASGI server or httpx.ASGITransport

The web parts (Starlette, uvicorn) load on first use of `create_app` or `LiveServer`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mockserver.engine import (
    PROFILES,
    Delivery,
    Job,
    JournalEntry,
    ManualClock,
    RuleMatch,
    ScenarioRule,
    Settings,
    SystemClock,
)
from mockserver.engine.emulator import Emulator
from mockserver.engine.errors import (
    ConfigError,
    InputImageError,
    JournalMismatch,
    MockError,
    MockSignal,
    MockUsageError,
    NotIntercepted,
    Refusal,
    ServeError,
    UnknownScenario,
)

if TYPE_CHECKING:
    from mockserver.app import MockApp, create_app
    from mockserver.server import LiveServer

__all__ = [
    "PROFILES",
    "ConfigError",
    "Delivery",
    "Emulator",
    "InputImageError",
    "Job",
    "JournalEntry",
    "JournalMismatch",
    "LiveServer",
    "ManualClock",
    "MockApp",
    "MockError",
    "MockSignal",
    "MockUsageError",
    "NotIntercepted",
    "Refusal",
    "RuleMatch",
    "ScenarioRule",
    "ServeError",
    "Settings",
    "SystemClock",
    "UnknownScenario",
    "create_app",
]

_LAZY = {
    "MockApp": "mockserver.app",
    "create_app": "mockserver.app",
    "LiveServer": "mockserver.server",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'mockserver' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
