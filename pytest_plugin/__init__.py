"""The pytest plugin for grok-imagine-mock.

Fixtures (`grok_mock`, `grok_mock_server`, ...) arrive with the plugin issue;
until then tests use `mockserver.Emulator`, `create_app` and `LiveServer`.
"""

from __future__ import annotations

__all__: list[str] = []
