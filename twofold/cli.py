"""The `twofold` console command: serve, demo data, worker, checks, and Django's commands."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
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
    from django.db import DatabaseError

    try:
        execute_from_command_line(["twofold", *args])
    except DatabaseError as exc:
        if not _no_tables(exc):
            raise
        # A command run before `twofold migrate` (the worker, demo, createorg, …) ended in a
        # traceback ("no such table"); `serve` already said what to do.
        print(
            "The database has no tables yet: run `twofold migrate` first.",
            file=sys.stderr,
            flush=True,
        )
        return 1
    return 0


def _no_tables(exc: BaseException) -> bool:
    text = str(exc)
    return "no such table" in text or ("relation" in text and "does not exist" in text)


def _has_command(name: str) -> bool:
    _django()
    from django.core.management import get_commands

    return name in get_commands()


def _migrate() -> int:
    """Apply pending migrations quietly: nothing printed when the schema is current, else one line."""
    _django()
    from django.db import DEFAULT_DB_ALIAS, connections
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if not plan:
        return 0
    _manage(["migrate", "--noinput", "--verbosity", "0"])
    count = len(plan)
    print(f"Database: applied {count} migration{'s' if count != 1 else ''}.", flush=True)
    return 0


def base_url(host: str, port: int) -> str:
    """Where links in e-mails point: TWOFOLD_BASE_URL, else the address this server listens on."""
    configured = os.environ.get("TWOFOLD_BASE_URL", "").strip()
    if configured:
        return configured.rstrip("/")
    shown = "127.0.0.1" if host in {"", "0.0.0.0", "::"} else host  # noqa: S104 - a comparison
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


def control_socket_args(var_dir: str) -> list[str]:
    """Gunicorn's control socket lives under var/ (never in $HOME); off if the path is too long."""
    path = os.path.join(var_dir, "gunicorn.ctl")
    if len(path.encode()) > 100:  # AF_UNIX paths are limited to about 107 bytes
        return ["--no-control-socket"]
    return ["--control-socket", path]


def gunicorn_command(bindir: str, bind: str, workers: int, var_dir: str) -> list[str]:
    return [
        os.path.join(bindir, "gunicorn"),
        "twofold.wsgi:application",
        "--bind",
        bind,
        "--workers",
        str(workers),
        "--threads",
        "4",
        "--access-logfile",
        "-",
        "--logger-class",
        "twofold.core.access_log.RedactingLogger",
        "--graceful-timeout",
        "5",
        *control_socket_args(var_dir),
    ]


def _serve(host: str, port: int, workers: int, with_worker: bool) -> int:
    """Run gunicorn in the foreground and, unless told not to, the background worker beside it."""
    url = base_url(host, port)
    # The web and worker processes build e-mail links from this (settings.TWOFOLD_BASE_URL).
    os.environ["TWOFOLD_BASE_URL"] = url
    _manage(["collectstatic", "--noinput", "--verbosity", "0"])
    from django.conf import settings

    var_dir = str(settings.VAR_DIR)
    os.makedirs(var_dir, exist_ok=True)
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    bindir = os.path.dirname(sys.executable)
    children: list[subprocess.Popen[bytes]] = []
    if with_worker and _has_command("worker"):
        children.append(subprocess.Popen([os.path.join(bindir, "twofold"), "worker"]))
    print(f"\nTwofold is running at http://{bind}/")
    print(_sign_in_hint(), flush=True)
    server = subprocess.Popen(gunicorn_command(bindir, bind, workers, var_dir))
    children.append(server)

    def _stop(signum: int, frame: object) -> None:
        # SIGTERM (systemd, a container runtime, `kill`) must stop the children too: Python's
        # default would end this process at once and leave gunicorn and the worker running.
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    try:
        return server.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()


def _sign_in_hint() -> str:
    """The demo's sign-in when the demo is loaded; otherwise where first run begins."""
    from django.db import DatabaseError

    from twofold.accounts.models import User

    try:
        if User.objects.filter(email=DEMO_EMAIL).exists():
            return f"Sign in as {DEMO_EMAIL} with password {DEMO_PASSWORD}  (Ctrl+C stops it)\n"
        if not User.objects.exists():
            return "Open it to set up your organisation  (Ctrl+C stops it)\n"
    except DatabaseError:
        return "The database has no tables yet: run `twofold migrate`  (Ctrl+C stops it)\n"
    return "(Ctrl+C stops it)\n"


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
    serve.add_argument(
        "--no-worker", action="store_true", help="do not start the background worker"
    )
    sub.add_parser("migrate", help="create or upgrade the database schema")
    demo = sub.add_parser("demo", help="load the demo organisation")
    demo.add_argument(
        "--if-empty", action="store_true", help="only when the database has no organisation"
    )
    demo.add_argument("--scale", choices=["normal", "large"], default="normal")
    sub.add_parser(
        "createuser",
        help="create a person: EMAIL [--name NAME] [--password-from-stdin] [--admin]",
        add_help=False,
    )
    sub.add_parser(
        "createorg",
        help="create an organisation: NAME --owner EMAIL [--timezone ZONE]",
        add_help=False,
    )
    sub.add_parser("worker", help="run background jobs (routine occurrences, …)", add_help=False)
    sub.add_parser(
        "mspdi-check",
        help="compare our schedule with MS Project's dates in MSPDI files",
        add_help=False,
    )
    reindex = sub.add_parser("search-reindex", help="rebuild the search index")
    reindex.add_argument("--organisation", metavar="SLUG", help="only this organisation")
    backup = sub.add_parser("backup", help="write a backup archive (database + files) to PATH")
    backup.add_argument("path")
    restore = sub.add_parser("restore", help="restore a backup archive into an empty instance")
    restore.add_argument("path")
    sub.add_parser(
        "export-organisation",
        help="write one organisation to a ZIP archive: SLUG PATH",
        add_help=False,
    )
    sub.add_parser(
        "import-organisation",
        help="create an organisation from such an archive: PATH --owner EMAIL [--name NAME]",
        add_help=False,
    )
    sub.add_parser("manage", help="any Django management command", add_help=False)

    passed_on = {"createuser", "createorg", "export-organisation", "import-organisation"}
    if args and args[0] in {"mspdi-check", "manage", "worker", *passed_on}:
        command, rest = args[0], args[1:]
        if command == "manage":
            return _manage(rest)
        if command in passed_on:
            return _manage([command.replace("-", "_"), *rest])
        if command == "worker":
            return _manage(["worker", *rest])
        from twofold.interop.mspdi_check import main as mspdi_check

        return int(mspdi_check(rest))

    ns = parser.parse_args(args)
    if ns.command == "serve":
        return _serve(ns.host, ns.port, ns.workers, not ns.no_worker)
    if ns.command == "migrate":
        return _migrate()
    if ns.command == "demo":
        return _manage(["demo", "--scale", ns.scale, *(["--if-empty"] if ns.if_empty else [])])
    if ns.command in {"backup", "restore"}:
        return _manage([ns.command, ns.path])
    if ns.command == "search-reindex":
        extra = ["--organisation", ns.organisation] if ns.organisation else []
        return _manage(["search_reindex", *extra])
    parser.error(f"unknown command {ns.command}")  # pragma: no cover
    return 2  # pragma: no cover


if __name__ == "__main__":
    sys.exit(main())
