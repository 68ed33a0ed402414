"""The `twofold` console command: serve, demo data, worker, checks, and Django's commands."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

DEMO_EMAIL = "demo@twofold.example"
DEMO_PASSWORD = "twofold-demo"  # noqa: S105 - the published sign-in of the demo organisation


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "twofold.settings")
    import django

    django.setup()


def _manage(args: Sequence[str]) -> int:
    _django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["twofold", *args])
    return 0


def _serve(host: str, port: int, workers: int) -> int:
    _manage(["collectstatic", "--noinput", "--verbosity", "0"])
    bind = f"{host}:{port}"
    print(f"\nTwofold is running at http://{bind}/")
    print(f"Sign in as {DEMO_EMAIL} with password {DEMO_PASSWORD}  (Ctrl+C stops it)\n", flush=True)
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    argv = [
        gunicorn,
        "twofold.wsgi:application",
        "--bind",
        bind,
        "--workers",
        str(workers),
        "--threads",
        "4",
        "--access-logfile",
        "-",
        "--graceful-timeout",
        "5",
    ]
    os.execv(gunicorn, argv)  # noqa: S606 - replace this process with the server
    return 0  # pragma: no cover


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(
        prog="twofold", description="Projects and operations in one place."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the production web server (gunicorn)")
    serve.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    serve.add_argument("--workers", type=int, default=int(os.environ.get("WEB_WORKERS", "2")))
    sub.add_parser("migrate", help="create or upgrade the database schema")
    demo = sub.add_parser("demo", help="load the demo organisation")
    demo.add_argument(
        "--if-empty", action="store_true", help="only when the database has no organisation"
    )
    sub.add_parser(
        "mspdi-check",
        help="compare our schedule with MS Project's dates in MSPDI files",
        add_help=False,
    )
    sub.add_parser("manage", help="any Django management command", add_help=False)

    if args and args[0] in {"mspdi-check", "manage"}:
        command, rest = args[0], args[1:]
        if command == "manage":
            return _manage(rest)
        from twofold.interop.mspdi_check import main as mspdi_check

        return int(mspdi_check(rest))

    ns = parser.parse_args(args)
    if ns.command == "serve":
        return _serve(ns.host, ns.port, ns.workers)
    if ns.command == "migrate":
        return _manage(["migrate", "--noinput"])
    if ns.command == "demo":
        return _manage(["demo", *(["--if-empty"] if ns.if_empty else [])])
    parser.error(f"unknown command {ns.command}")  # pragma: no cover
    return 2  # pragma: no cover


if __name__ == "__main__":
    sys.exit(main())
