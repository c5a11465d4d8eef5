"""Small pieces every in-process interceptor shares."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence


def is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_guards(guards: Sequence[Callable[[], None]]) -> None:
    """Run the controller's guards before a request (they may stop a runaway caller)."""
    for guard in list(guards):
        guard()
