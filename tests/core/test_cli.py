"""The `twofold` console command."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.core.management import call_command

from twofold import cli
from twofold.accounts.models import Membership, Organisation, Role, User


@pytest.mark.django_db
def test_demo_loads_once_and_the_demo_user_can_sign_in(client, capsys):
    call_command("demo", "--if-empty")
    assert "Demo loaded: Halvorsen Precision with 23 people in 8 teams" in capsys.readouterr().out
    call_command("demo", "--if-empty")
    assert "already has data" in capsys.readouterr().out
    assert Organisation.objects.count() == 1
    dana = User.objects.get(email=cli.DEMO_EMAIL)
    assert Membership.objects.get(user=dana).role == Role.OWNER
    response = client.post(
        "/accounts/sign-in/", {"email": cli.DEMO_EMAIL, "password": cli.DEMO_PASSWORD}
    )
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["demo", "--if-empty"], ["demo", "--scale", "normal", "--if-empty"]),
        (["demo", "--scale", "large"], ["demo", "--scale", "large"]),
        (["worker", "--once"], ["worker", "--once"]),
        (["manage", "check", "--deploy"], ["check", "--deploy"]),
        # README and docs/backup.md name these two; they did not exist (argparse: invalid choice).
        (
            ["export-organisation", "acme", "acme.zip"],
            ["export_organisation", "acme", "acme.zip"],
        ),
        (
            ["import-organisation", "acme.zip", "--owner", "a@b.example"],
            ["import_organisation", "acme.zip", "--owner", "a@b.example"],
        ),
    ],
)
def test_commands_reach_django(monkeypatch, argv, expected):
    calls: list[list[str]] = []
    monkeypatch.setattr(cli, "_manage", lambda args: calls.append(list(args)) or 0)
    assert cli.main(argv) == 0
    assert calls == [expected]


def test_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    for command in (
        "serve",
        "migrate",
        "demo",
        "worker",
        "mspdi-check",
        "manage",
        "export-organisation",
        "import-organisation",
    ):
        assert command in out


@pytest.mark.django_db
def test_migrate_is_silent_when_the_schema_is_current(capsys):
    assert cli.main(["migrate"]) == 0
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(
    ("host", "env", "expected"),
    [
        ("127.0.0.1", "", "http://127.0.0.1:8123"),
        ("0.0.0.0", "", "http://127.0.0.1:8123"),  # noqa: S104 - a wildcard bind is shown as loopback
        ("::1", "", "http://[::1]:8123"),
        ("127.0.0.1", "https://twofold.example.com/", "https://twofold.example.com"),
    ],
)
def test_email_links_use_the_port_serve_listens_on(monkeypatch, host, env, expected):
    monkeypatch.setenv("TWOFOLD_BASE_URL", env)
    assert cli.base_url(host, 8123) == expected


def test_gunicorn_control_socket_lives_under_var(tmp_path):
    command = cli.gunicorn_command("/venv/bin", "127.0.0.1:8000", 2, str(tmp_path))
    assert command[command.index("--control-socket") + 1] == str(tmp_path / "gunicorn.ctl")
    assert cli.control_socket_args("/x" * 60) == ["--no-control-socket"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_starts_quietly_and_writes_nothing_in_home(tmp_path):
    home, var = tmp_path / "home", tmp_path / "var"
    home.mkdir()
    port = _free_port()
    env = {
        **os.environ,
        "HOME": str(home),
        "TWOFOLD_VAR_DIR": str(var),
        "DATABASE_URL": "",
        "TWOFOLD_BASE_URL": "",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    twofold = Path(sys.executable).parent / "twofold"
    with (tmp_path / "out.log").open("wb") as log:
        server = subprocess.Popen(
            [str(twofold), "serve", "--port", str(port), "--no-worker", "--workers", "1"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 90
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz") as r:
                        assert r.status == 200
                        break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        pytest.fail((tmp_path / "out.log").read_text())
                    time.sleep(0.5)
            assert (var / "gunicorn.ctl").exists()
        finally:
            server.terminate()
            server.wait(timeout=30)
    # SIGTERM stopped gunicorn as well: nothing answers on the port any more.
    with pytest.raises(urllib.error.URLError, match="refused"):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5)
    out = (tmp_path / "out.log").read_text()
    assert f"Twofold is running at http://127.0.0.1:{port}/" in out
    assert "warning" not in out.lower(), out
    assert list(home.iterdir()) == []


def test_a_command_before_migrate_says_to_migrate(tmp_path):
    """The worker, demo, createorg and search-reindex ended in a traceback ("no such table")
    on a database without tables; a bad worker argument crashed the loop (``--poll -1``) or the
    date arithmetic (``--days 99999999``)."""
    env = {
        **os.environ,
        "TWOFOLD_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    twofold = [sys.executable, "-m", "twofold.cli"]
    before = subprocess.run([*twofold, "worker", "--once"], env=env, capture_output=True, text=True)
    assert before.returncode == 1 and "Traceback" not in before.stderr
    assert before.stderr.strip() == "The database has no tables yet: run `twofold migrate` first."
    for bad, message in (
        (["--poll", "-1"], "argument --poll: -1 is not between 0.05 and 3600"),
        (["--days", "99999999"], "argument --days: 99999999 is not between 0 and 3650"),
    ):
        run = subprocess.run(
            [*twofold, "worker", "--once", *bad], env=env, capture_output=True, text=True
        )
        assert run.returncode == 2 and message in run.stderr, run.stderr
