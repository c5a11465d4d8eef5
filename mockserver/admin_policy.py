"""Who may use the admin API: the token, the Host names it answers to, and no browser
that is not on the server's own origin."""

from __future__ import annotations

import secrets
from collections.abc import Collection
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from contracts.record import record
from mockserver.responses import json_response

_LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


@record
class AdminPolicy:
    """Who may use the admin API.

    - `token`: required (X-Admin-Token or Authorization: Bearer) except on the open
      endpoints (health, the OpenAPI documents);
    - `hosts`: the Host names it answers to; a request naming another host is refused,
      as a DNS-rebinding page would send. None answers to any (an in-process app, or a
      server on a wildcard address, which always has a token).
    Whatever the host, a request a browser marks as cross-origin (an `Origin` that is
    not the server's own, or `Sec-Fetch-Site: cross-site`) is refused.
    """

    token: str | None = None
    hosts: frozenset[str] | None = None

    @classmethod
    def listening(
        cls, host: str, token: str | None, extra_hosts: Collection[str] = ()
    ) -> AdminPolicy:
        """The policy for a server bound to `host`."""
        bare = host.strip("[]").lower()
        if bare in ("", "0.0.0.0", "::"):
            return cls(token, None)
        names = {bare, *(h.lower() for h in extra_hosts)}
        if bare in _LOOPBACK_NAMES or bare.startswith("127."):
            names |= _LOOPBACK_NAMES
        return cls(token, frozenset(names))

    def refusal(self, request: Request, *, open_to_all: bool) -> Response | None:
        """The answer refusing `request`, or None when it may go on."""
        host = request.headers.get("host", "")
        name = _hostname(host)
        if self.hosts is not None and name not in self.hosts:
            allowed = ", ".join(sorted(self.hosts))
            message = (
                f"the admin API answers to {allowed} only, not {name!r} (a page that rebinds "
                "a name to this address would send that); add the name with --admin-host"
            )
            return json_response({"error": message}, 403)
        origin = request.headers.get("origin")
        site = request.headers.get("sec-fetch-site", "")
        if (origin is not None and _origin_host(origin) != host.lower()) or site in (
            "cross-site",
            "same-site",
        ):
            message = f"cross-origin admin requests are refused (Origin {origin or site!r})"
            return json_response({"error": message}, 403)
        if self.token and not open_to_all and not _token_ok(request, self.token):
            message = "the admin API requires the header X-Admin-Token (grok-mock prints it)"
            return json_response({"error": message}, 401)
        return None


def _hostname(host: str) -> str:
    host = host.lower()
    if host.startswith("["):
        return host[1 : host.find("]")]
    name, _, port = host.rpartition(":")
    return name if name and port.isdigit() else host


def _origin_host(origin: str) -> str | None:
    parts = urlsplit(origin)
    return parts.netloc.lower() if parts.scheme in ("http", "https") and parts.netloc else None


def _token_ok(request: Request, token: str) -> bool:
    given = request.headers.get("x-admin-token")
    if given is None:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        given = value if scheme.lower() == "bearer" else None
    # Headers arrive as latin-1 text: compare the bytes, whatever characters they hold.
    return given is not None and secrets.compare_digest(
        given.encode("latin-1", "replace"), token.encode("utf-8")
    )
