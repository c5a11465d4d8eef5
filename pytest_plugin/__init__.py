"""pytest plugin for grok-imagine-mock.

Installed with the package and registered under the `pytest11` entry point:
tests ask for `grok_mock` (in-process: the real provider hosts are served to
httpx, httpx2 and requests code), `grok_mock_server` (a live server on a free
port) or `grok_webhook_receiver`; `adapter_contract(...)` runs a provider's
whole contract against your own adapter. Importing this package is cheap: the
emulator loads when a fixture is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mockserver.engine import Delivery, Job, JournalEntry, ScenarioRule
    from mockserver.engine.errors import JournalMismatch, NotIntercepted, Runaway
    from pytest_plugin._controller import GrokMock
    from pytest_plugin.adapters import AdapterOptions, ImageRequest, adapter_contract
    from pytest_plugin.receiver import ReceivedWebhook, WebhookReceiver

__all__ = [
    "AdapterOptions",
    "Delivery",
    "GrokMock",
    "ImageRequest",
    "Job",
    "JournalEntry",
    "JournalMismatch",
    "NotIntercepted",
    "ReceivedWebhook",
    "Runaway",
    "ScenarioRule",
    "WebhookReceiver",
    "adapter_contract",
]

_LAZY = {
    "AdapterOptions": "pytest_plugin.adapters",
    "ImageRequest": "pytest_plugin.adapters",
    "adapter_contract": "pytest_plugin.adapters",
    "GrokMock": "pytest_plugin._controller",
    "NotIntercepted": "mockserver.engine.errors",
    "JournalMismatch": "mockserver.engine.errors",
    "Runaway": "mockserver.engine.errors",
    "Delivery": "mockserver.engine",
    "Job": "mockserver.engine",
    "JournalEntry": "mockserver.engine",
    "ScenarioRule": "mockserver.engine",
    "ReceivedWebhook": "pytest_plugin.receiver",
    "WebhookReceiver": "pytest_plugin.receiver",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pytest_plugin' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
