"""`grok-mock` (and `python -m mockserver`)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from mockserver.engine import PROFILES, Emulator, MockUsageError, Settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="grok-mock",
        description="Offline emulator of the HTTP surfaces that sell xAI's Grok Imagine.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser("serve", help="serve every provider surface until stopped")
    serve.add_argument("--host", default="127.0.0.1", help="interface to listen on")
    serve.add_argument("--port", type=int, default=8000, help="port; 0 picks a free one")
    serve.add_argument("--seed", type=int, default=0, help="reproduces ids, timings, images")
    serve.add_argument(
        "--profile",
        default="fast",
        choices=list(PROFILES),
        help="how jobs progress: " + "; ".join(f"{k}: {v}" for k, v in PROFILES.items()),
    )
    serve.add_argument(
        "--log-level", default="warning", choices=["critical", "error", "warning", "info", "debug"]
    )
    serve.add_argument("--access-log", action="store_true", help="log every request")
    serve.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="HOST",
        help="a host beyond loopback that may receive webhooks and serve input images "
        "(repeatable; '*.example.com' covers subdomains)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "serve":
        from mockserver.server import ServeError, serve

        try:
            settings = Settings(
                seed=args.seed, profile=args.profile, allowed_hosts=tuple(args.allow_host)
            )
            emulator = Emulator(settings)
            serve(
                emulator,
                host=args.host,
                port=args.port,
                log_level=args.log_level,
                access_log=args.access_log,
                announce=lambda line: print(line, flush=True),
            )
        except (ServeError, MockUsageError) as exc:
            print(f"grok-mock: {exc}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
