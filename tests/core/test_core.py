"""Core: health, history, settings, security headers."""

from __future__ import annotations

from pathlib import Path

import pytest

from twofold.core import history
from twofold.core.models import HistoryEntry
from twofold.dburl import database_from_url


def test_healthz_reports_database(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["database"] in {"sqlite", "postgresql"}


def test_history_is_append_only(org, owner):
    entry = history.record(actor=owner, obj=org, action="updated", changes={"name": ["a", "b"]})
    entry.summary = "tampered"
    with pytest.raises(RuntimeError, match="append-only"):
        entry.save()
    with pytest.raises(RuntimeError, match="append-only"):
        entry.delete()
    assert HistoryEntry.objects.get(pk=entry.pk).summary == ""


def test_csp_forbids_inline_script(client, owner):
    client.force_login(owner)
    csp = client.get("/")["Content-Security-Policy"]
    assert (
        "script-src 'self'" in csp
        and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    )


def test_user_text_is_escaped(client, org, owner):
    org.name = "<script>alert(1)</script>"
    org.save()
    client.force_login(owner)
    body = client.get("/").content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_database_url_parsing(tmp_path: Path):
    pg = database_from_url(
        "postgres://u:p%40ss@db.example:5433/twofold?sslmode=require", default_sqlite=tmp_path / "x"
    )
    assert (
        pg["ENGINE"],
        pg["NAME"],
        pg["USER"],
        pg["PASSWORD"],
        pg["HOST"],
        pg["PORT"],
        pg["OPTIONS"],
    ) == (
        "twofold.db.postgresql",
        "twofold",
        "u",
        "p@ss",
        "db.example",
        "5433",
        {"sslmode": "require", "server_side_binding": True, "prepare_threshold": 5},
    )
    # Prepared statements can be turned off (a pooler in transaction mode) or made eager.
    off = database_from_url("postgres://db/x?prepare_threshold=off", default_sqlite=tmp_path / "x")
    assert off["OPTIONS"] == {"server_side_binding": True, "prepare_threshold": None}
    eager = database_from_url("postgres://db/x?prepare_threshold=0", default_sqlite=tmp_path / "x")
    assert eager["OPTIONS"]["prepare_threshold"] == 0
    client = database_from_url(
        "postgres://db/x?server_side_binding=false", default_sqlite=tmp_path / "x"
    )
    assert client["OPTIONS"] == {"server_side_binding": False, "prepare_threshold": None}
    with pytest.raises(ValueError, match="prepare_threshold"):
        database_from_url("postgres://db/x?prepare_threshold=soon", default_sqlite=tmp_path / "x")
    lite = database_from_url("", default_sqlite=tmp_path / "db.sqlite3")
    assert lite["NAME"] == str(tmp_path / "db.sqlite3")
    assert "journal_mode=WAL" in lite["OPTIONS"]["init_command"]
    with pytest.raises(ValueError, match="unsupported scheme 'mysql'"):
        database_from_url("mysql://x", default_sqlite=tmp_path / "x")


def test_collectstatic_with_the_production_storage(tmp_path, settings):
    """`twofold serve` runs collectstatic with the manifest storage: every reference must resolve."""
    from django.core.management import call_command

    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", "--noinput", "--verbosity", "0")
    assert (tmp_path / "staticfiles.json").exists()
    assert list(tmp_path.glob("vendor/htmx/htmx.min.*.js"))


def test_server_timing_header(client, db):
    assert client.get("/healthz")["Server-Timing"].startswith("total;dur=")


def test_api_docs_load_local_assets_under_the_csp(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/vendor/swagger-ui/swagger-ui-bundle" in html
    assert "/static/twofold/api-docs" in html
    assert "cdn" not in html.lower() and "https://" not in html
    assert "<script>" not in html  # no inline script: settings travel as application/json
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_favicon_answers(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response.url.startswith("/static/twofold/favicon")


def test_navigation_reaches_capacity_fields_and_mentions_and_lights_the_section(client, org, owner):
    from twofold.core.context_processors import section_for

    client.force_login(owner)
    html = client.get("/fields/").content.decode()
    assert '<a href="/fields/" aria-current="page">Custom fields</a>' in html  # settings tab
    assert '<a href="/accounts/settings/" aria-current="page">Settings</a>' in html
    assert '<a href="/capacity/">Capacity</a>' in html
    assert '<a href="/attachments/mentions/">Mentions of me</a>' in html
    assert 'aria-controls="mainnav"' in html and 'aria-expanded="false"' in html
    assert section_for("/") == "portfolio"
    assert section_for("/capacity/projects/3/level/") == "projects"
    assert section_for("/capacity/") == "capacity"
    assert section_for("/accounts/teams/4/") == "people"
    assert section_for("/attachments/mentions/") == "my-work"
    assert section_for("/somewhere/else/") == ""


def test_the_cache_keeps_a_large_portfolio() -> None:
    """Two entries per project (its card, its earned value): Django's default of 300 entries
    made an organisation of 300 projects recompute every card's earned value on each view."""
    from django.core.cache import cache

    cache.clear()
    keys = {f"card:{n}": n for n in range(2_000)}
    cache.set_many(keys)
    assert cache.get_many(list(keys)) == keys
    cache.clear()
