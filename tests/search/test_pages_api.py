"""The header box, the search page and the API: same rules, constant queries, clear 422s."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from twofold.projects import services as projects
from twofold.search.index import reindex


def test_header_has_a_labelled_search_box(signed_in: Any, owner: Any) -> None:
    html = signed_in(owner).get("/search/").content.decode()
    assert (
        '<form class="topsearch" role="search" aria-label="Search everything" method="get" action="/search/">'
        in html
    )
    assert '<label for="topsearch-q" class="visually-hidden">' in html
    assert 'role="status" aria-live="polite"' in html


def test_page_groups_results_by_kind_with_counts(signed_in: Any, owner: Any, world: Any) -> None:
    resp = signed_in(owner).get("/search/?q=pump")
    html = resp.content.decode()
    assert resp.status_code == 200
    assert "6 results for “pump”" in html
    assert 'Tasks <span class="muted">(1)</span>' in html
    assert 'People <span class="muted">(1)</span>' in html
    task = world["task"]
    assert (
        f'<a href="/projects/{task.project_id}/tasks/{task.pk}/">Install hydraulic <mark>pump</mark></a>'
        in html
    )


def test_page_filters_one_kind(signed_in: Any, owner: Any, world: Any) -> None:
    html = signed_in(owner).get("/search/?q=pump&kind=risk").content.decode()
    assert "Pump supplier late" not in html  # highlighted instead
    assert "<mark>Pump</mark> supplier late" in html
    assert "hydraulic" not in html


@pytest.mark.parametrize(
    ("q", "message"),
    [
        ("x" * 10_000, "Search for at most 200 characters (this was 10,000)."),
        ("?!...", "Search for at least one letter or digit; punctuation alone finds nothing."),
    ],
)
def test_page_explains_a_bad_query(signed_in: Any, owner: Any, q: str, message: str) -> None:
    resp = signed_in(owner).get("/search/", {"q": q})
    assert resp.status_code == 422
    assert f'<p id="search-q-error" class="error">{message}</p>' in resp.content.decode()


def test_dropdown_lists_top_results_and_announces_the_count(
    signed_in: Any, owner: Any, world: Any
) -> None:
    html = signed_in(owner).get("/search/suggest/?q=hydr", HTTP_HX_REQUEST="true").content.decode()
    assert "2 results; arrow keys to choose, Enter to open" in html
    assert 'role="listbox"' in html
    assert "Install <mark>hydr</mark>aulic pump" not in html
    assert "Install <mark>hydraulic</mark> pump" in html
    assert 'href="/search/?q=hydr"' in html


def test_dropdown_says_why_punctuation_finds_nothing(signed_in: Any, owner: Any) -> None:
    resp = signed_in(owner).get("/search/suggest/?q=%22%2A%3A")
    assert resp.status_code == 200
    assert "punctuation alone finds nothing" in resp.content.decode()


def test_script_in_a_task_name_is_inert_on_the_page(
    signed_in: Any, owner: Any, world: Any, committed: Any
) -> None:
    task = world["task"]
    with committed():
        projects.update_task(
            actor=owner, task=task, expected_version=task.version, name="<script>alert(1)</script>"
        )
    html = signed_in(owner).get("/search/?q=alert").content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;<mark>alert</mark>(1)&lt;/script&gt;" in html


def test_api_answers_ranked_hits_and_counts(api: Any, org: Any, owner: Any, world: Any) -> None:
    resp = api(owner).get(f"/api/organisations/{org.pk}/search?q=hydraulic")
    assert resp.status_code == 200
    body = resp.json()
    assert body["total"] == 2
    assert body["counts"] == {"project": 1, "task": 1}
    assert [r["kind"] for r in body["results"]] == ["task", "project"]
    assert body["results"][0]["title"] == "Install hydraulic pump"
    assert body["results"][0]["title_html"] == "Install <mark>hydraulic</mark> pump"
    assert body["results"][1]["excerpt_html"] == "Faster <mark>hydraulic</mark> presses"


def test_api_filters_kind_and_limits(api: Any, org: Any, owner: Any, world: Any) -> None:
    body = api(owner).get(f"/api/organisations/{org.pk}/search?q=pump&kind=kpi&limit=1").json()
    assert [r["title"] for r in body["results"]] == ["Pump downtime"]
    assert body["total"] == 6


@pytest.mark.parametrize(
    ("query", "field", "detail"),
    [
        ("q=" + "a" * 10_000, "q", "Search for at most 200 characters (this was 10,000)."),
        (
            "q=%2A%22-%3A",
            "q",
            "Search for at least one letter or digit; punctuation alone finds nothing.",
        ),
        ("q=", "q", "Type a word to search for."),
        ("q=pump&limit=0", "limit", None),
        ("q=pump&kind=planet", "kind", None),
    ],
)
def test_api_bad_input_is_a_422_naming_the_field(
    api: Any, org: Any, owner: Any, query: str, field: str, detail: str | None
) -> None:
    resp = api(owner).get(f"/api/organisations/{org.pk}/search?{query}")
    assert resp.status_code == 422
    assert resp.json()["field"] == field
    if detail:
        assert resp.json()["detail"] == detail


def test_api_of_another_organisation_is_404(api: Any, org: Any, world: Any, outsider: Any) -> None:
    resp = api(outsider).get(f"/api/organisations/{org.pk}/search?q=pump")
    assert resp.status_code == 404
    assert resp.json() == {"detail": "Organisation not found.", "field": None}


def test_outsider_page_and_dropdown_show_nothing_of_org(
    signed_in: Any, outsider: Any, world: Any
) -> None:
    client = signed_in(outsider)
    html = client.get("/search/?q=pump").content.decode()
    assert "0 results for “pump”" in html
    assert "Pump" not in html.replace("“pump”", "")
    assert "No results" in client.get("/search/suggest/?q=pump").content.decode()


def _add_tasks(project: Any, owner: Any, n: int) -> None:
    for i in range(n):
        projects.create_task(actor=owner, project=project, name=f"Welding cell {i}")
    reindex(project.organisation_id)


def test_page_dropdown_and_api_queries_do_not_grow_with_results(
    signed_in: Any, api: Any, org: Any, owner: Any, world: Any
) -> None:
    client, caller = signed_in(owner), api(owner)
    pages = {
        "page": lambda: client.get("/search/?q=welding"),
        "dropdown": lambda: client.get("/search/suggest/?q=welding"),
        "api": lambda: caller.get(f"/api/organisations/{org.pk}/search?q=welding&limit=50"),
    }

    def count() -> dict[str, int]:
        counted = {}
        for name, call in pages.items():
            call()  # warm: the token's "last used" is written once in a while
            with CaptureQueriesContext(connection) as ctx:
                assert call().status_code == 200
            counted[name] = len(ctx.captured_queries)
        return counted

    _add_tasks(world["project"], owner, 1)
    one = count()
    _add_tasks(world["project"], owner, 49)
    fifty = count()
    assert one == fifty
    assert fifty["page"] <= 7  # + the account menu's list of organisations
    assert client.get("/search/?q=welding").content.decode().count("Welding</mark> cell") == 50
