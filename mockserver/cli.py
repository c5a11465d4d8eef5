"""`grok-mock` (and `python -m mockserver`)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

from mockserver.engine import PROFILES, Emulator, MockUsageError, Settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="grok-mock",
        description="Offline emulator of the HTTP surfaces that sell xAI's Grok Imagine.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _serve_options(commands.add_parser("serve", help="serve every provider surface until stopped"))
    scenarios = commands.add_parser(
        "scenarios", help="print every scenario and what each provider answers for it"
    )
    scenarios.add_argument("--provider", help="only this provider")
    scenarios.add_argument("--format", choices=["text", "markdown", "json"], default="text")
    openapi = commands.add_parser(
        "openapi", help="print a provider surface as an OpenAPI 3.1 document (JSON)"
    )
    openapi.add_argument("provider", metavar="PROVIDER", help="segmind, pixazo, apikley, ...")
    openapi.add_argument(
        "--server",
        metavar="URL",
        help="the emulator's base URL for it, listed first in servers "
        "(default http://127.0.0.1:8000/PROVIDER)",
    )
    openapi.add_argument("--output", "-o", metavar="FILE", help="write here instead of stdout")
    return parser


def _serve_options(serve: argparse.ArgumentParser) -> None:
    serve.add_argument("--host", default="127.0.0.1", help="interface to listen on")
    serve.add_argument("--port", type=int, default=8000, help="port; 0 picks a free one")
    serve.add_argument("--config", metavar="FILE", help="a TOML config file (see the README)")
    serve.add_argument("--seed", type=int, help="reproduces ids, timings, images (default 0)")
    serve.add_argument(
        "--profile",
        choices=list(PROFILES),
        help="how jobs progress (default fast): "
        + "; ".join(f"{k}: {v}" for k, v in PROFILES.items()),
    )
    serve.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="HOST",
        help="a host beyond loopback that may receive webhooks and serve input images "
        "(repeatable; '*.example.com' covers subdomains)",
    )
    serve.add_argument(
        "--log-level", default="warning", choices=["critical", "error", "warning", "info", "debug"]
    )
    serve.add_argument("--access-log", action="store_true", help="log every request")
    serve.add_argument(
        "--grpc-port",
        type=int,
        metavar="PORT",
        help="also serve xAI's gRPC Image service (the official xai-sdk) here; 0 picks one",
    )
    _admin_options(serve.add_argument_group("admin API"))
    _state_options(serve.add_argument_group("shared state"))


def _admin_options(admin: argparse._ArgumentGroup) -> None:
    admin.add_argument(
        "--admin-token",
        help="required as X-Admin-Token on the admin API (one is made up when listening "
        "beyond loopback without one)",
    )
    admin.add_argument(
        "--admin-host",
        action="append",
        default=[],
        metavar="NAME",
        help="a host name the admin API answers to besides the address it listens on "
        "(repeatable; other Host headers are refused, as DNS rebinding would send)",
    )


def _state_options(state: argparse._ArgumentGroup) -> None:
    state.add_argument(
        "--state",
        metavar="URL",
        help="keep the state in Redis (redis://HOST:PORT/DB; default: this process, or "
        "GROK_MOCK_STATE): processes given the same URL share jobs, accounts, ids and the "
        "clock, and a restart continues where it was",
    )
    state.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="serve from N processes on the one port (needs --state: they share it)",
    )
    state.add_argument(
        "--state-namespace",
        metavar="NAME",
        help="prefix of this emulator's keys in Redis, so several share one (default grok-mock)",
    )


def _settings(args: argparse.Namespace) -> Settings:
    from mockserver.config import load_config

    settings = load_config(args.config) if args.config else Settings()
    changes: dict[str, Any] = {}
    if args.seed is not None:
        changes["seed"] = args.seed
    if args.profile is not None:
        changes["profile"] = args.profile
    elif not args.config:
        changes["profile"] = "fast"
    if args.allow_host:
        changes["allowed_hosts"] = (*settings.allowed_hosts, *args.allow_host)
    if args.admin_token:
        changes["admin_token"] = args.admin_token
    if args.admin_host:
        changes["admin_hosts"] = (*settings.admin_hosts, *args.admin_host)
    state = args.state or os.environ.get("GROK_MOCK_STATE")
    if state:
        changes["state"] = state
    if args.state_namespace:
        changes["state_namespace"] = args.state_namespace
    return dataclasses.replace(settings, **changes) if changes else settings


def _serve(args: argparse.Namespace) -> int:
    from mockserver.config import ConfigError
    from mockserver.engine.errors import ServeError
    from mockserver.server import serve

    if args.workers < 1:
        print(f"grok-mock: --workers must be at least 1, got {args.workers}", file=sys.stderr)
        return 2
    try:
        emulator = Emulator(_settings(args))
        serve(
            emulator,
            host=args.host,
            port=args.port,
            log_level=args.log_level,
            access_log=args.access_log,
            announce=lambda line: print(line, flush=True),
            grpc_port=args.grpc_port,
            workers=args.workers,
        )
    except (ServeError, ConfigError, MockUsageError) as exc:
        print(f"grok-mock: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        pass
    return 0


def _scenarios(args: argparse.Namespace) -> int:
    from contracts import CONTRACTS
    from mockserver.catalogue import markdown, rows

    providers = [args.provider] if args.provider else list(CONTRACTS)
    unknown = [p for p in providers if p not in CONTRACTS]
    if unknown:
        print(
            f"grok-mock: unknown provider {unknown[0]!r}; known: {', '.join(CONTRACTS)}",
            file=sys.stderr,
        )
        return 2
    if args.format == "json":
        data = {p: [dataclasses.asdict(r) for r in rows(CONTRACTS[p])] for p in providers}
        print(json.dumps(data, indent=2))
        return 0
    for provider in providers:
        contract = CONTRACTS[provider]
        if args.format == "markdown":
            print(f"### {provider}\n\n{markdown(contract)}\n")
            continue
        print(f"{provider} ({contract.title})")
        table = rows(contract)
        width = max(len(r.scenario) for r in table)
        for row in table:
            print(f"  {row.scenario:<{width}}  {row.answer}  [{row.source}]")
        print()
    return 0


def _openapi(args: argparse.Namespace) -> int:
    from contracts import CONTRACTS
    from contracts.openapi import openapi_document

    contract = CONTRACTS.get(args.provider)
    if contract is None:
        known = ", ".join(CONTRACTS)
        print(f"grok-mock: unknown provider {args.provider!r}; known: {known}", file=sys.stderr)
        return 2
    server = args.server or f"http://127.0.0.1:8000{contract.prefix}"
    text = json.dumps(openapi_document(contract, server), indent=2) + "\n"
    if args.output:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        sys.stdout.write(text)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command in ("scenarios", "openapi"):
        try:
            return _scenarios(args) if args.command == "scenarios" else _openapi(args)
        except BrokenPipeError:  # `grok-mock scenarios | head`: the reader has enough
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 0
    return _serve(args)


if __name__ == "__main__":
    raise SystemExit(main())
