"""The index follows the services, ranks title matches first and finds only what one may see."""

from __future__ import annotations

from typing import Any

import pytest

from twofold.accounts.models import Role
from twofold.core.errors import Invalid, NotFound
from twofold.projects import services as projects
from twofold.search.index import reindex
from twofold.search.models import Kind, SearchDocument
from twofold.search.selectors import search


def titles(results: Any) -> list[str]:
    return [str(h.title) for h in results.hits]


def test_every_kind_is_found_through_its_service(org: Any, owner: Any, world: Any) -> None:
    results = search(owner, org, "pump")
    assert results.counts == {
        Kind.TASK: 1,
        Kind.KPI: 1,
        Kind.REQUEST: 1,
        Kind.RISK: 1,
        Kind.IMPROVEMENT: 1,
        Kind.PERSON: 1,
    }
    task = next(h for h in results.hits if h.kind == Kind.TASK)
    assert str(task.title) == "Install hydraulic <mark>pump</mark>"
    assert task.context == "PLU Press line upgrade"
    assert task.url == f"/projects/{world['project'].pk}/tasks/{world['task'].pk}/"
    assert [str(h.title) for h in search(owner, org, "maintenance").hits] == [
        "<mark>Maintenance</mark> planning"
    ]
    assert [h.kind for h in search(owner, org, "presses").hits] == [Kind.PROJECT]


def test_last_word_matches_as_a_prefix_and_all_words_must_match(
    org: Any, owner: Any, world: Any
) -> None:
    assert titles(search(owner, org, "install hydr")) == [
        "<mark>Install</mark> <mark>hydraulic</mark> pump"
    ]
    assert titles(search(owner, org, "hydr install")) == []
    assert search(owner, org, "pump nothingelse").total == 0


def test_a_title_match_ranks_above_a_body_match(org: Any, owner: Any, committed: Any) -> None:
    project = projects.create_project(
        actor=owner, organisation=org, name="Plant", code="P1", target_start=world_date()
    )
    with committed():
        projects.create_task(
            actor=owner, project=project, name="Paint hall", description="Use the gantry crane"
        )
        projects.create_task(actor=owner, project=project, name="Gantry crane inspection")
    results = search(owner, org, "gantry crane")
    assert [h.kind for h in results.hits] == [Kind.TASK, Kind.TASK]
    assert titles(results) == ["<mark>Gantry</mark> <mark>crane</mark> inspection", "Paint hall"]
    assert str(results.hits[1].excerpt) == "Use the <mark>gantry</mark> <mark>crane</mark>"


def world_date() -> Any:
    import datetime as dt

    return dt.date(2025, 3, 3)


def _rename_task(owner: Any, world: Any, committed: Any, name: str) -> None:
    with committed():
        projects.update_task(
            actor=owner, task=world["task"], expected_version=world["task"].version, name=name
        )


def test_markup_in_a_name_is_shown_as_text(
    org: Any, owner: Any, world: Any, committed: Any
) -> None:
    _rename_task(owner, world, committed, "<script>alert('pump')</script> & <b>x</b>")
    (hit,) = search(owner, org, "alert").hits
    assert str(hit.title) == (
        "&lt;script&gt;<mark>alert</mark>(&#x27;pump&#x27;)&lt;/script&gt; &amp; &lt;b&gt;x&lt;/b&gt;"
    )


def test_symbols_split_words_as_punctuation_does(
    org: Any, owner: Any, world: Any, committed: Any
) -> None:
    """On PostgreSQL under an ICU locale (as CI's cluster), ``~ | + = < > $ ^`` are symbols, not
    punctuation: they must still split words, as SQLite's tokeniser splits them."""
    _rename_task(owner, world, committed, "pump~seal|gasket flow+rate=max <valve>check $price ^top")
    for word in ["seal", "gasket", "rate", "max", "valve", "check", "price", "top"]:
        assert [h.object_id for h in search(owner, org, word).hits] == [world["task"].pk], word


def test_rename_and_delete_keep_the_index_current(
    org: Any, owner: Any, world: Any, committed: Any
) -> None:
    task = world["task"]
    _rename_task(owner, world, committed, "Fit conveyor belt")
    assert search(owner, org, "hydraulic").counts.get(Kind.TASK) is None
    assert titles(search(owner, org, "conveyor")) == ["Fit <mark>conveyor</mark> belt"]
    with committed():
        projects.update_project(
            actor=owner,
            project=world["project"],
            expected_version=world["project"].version,
            name="Press line renewal",
        )
    assert search(owner, org, "conveyor").hits[0].context == "PLU Press line renewal"
    task.refresh_from_db()
    with committed():
        projects.delete_task(actor=owner, task=task)
    assert search(owner, org, "conveyor").total == 0
    assert not SearchDocument.objects.filter(kind=Kind.TASK, object_id=task.pk).exists()


def test_deleting_a_summary_task_removes_its_subtree(
    org: Any, owner: Any, world: Any, committed: Any
) -> None:
    project = world["project"]
    with committed():
        parent, _ = projects.create_task(actor=owner, project=project, name="Wiring phase")
        child, _ = projects.create_task(actor=owner, project=project, name="Wiring harness")
        projects.indent_task(actor=owner, task=child)
    assert search(owner, org, "wiring").total == 2
    parent.refresh_from_db()
    with committed():
        projects.delete_task(actor=owner, task=parent)
    assert search(owner, org, "wiring").total == 0


def test_another_organisation_sees_nothing_not_even_counts(
    org: Any, owner: Any, world: Any, outsider: Any, committed: Any
) -> None:
    rival = outsider.memberships.get().organisation
    assert search(outsider, rival, "pump").counts == {}
    assert search(outsider, rival, "pump").hits == []
    with committed():
        theirs = projects.create_project(
            actor=outsider,
            organisation=rival,
            name="Pump house",
            code="PH",
            target_start=world_date(),
        )
    results = search(outsider, rival, "pump")
    assert results.counts == {Kind.PROJECT: 1}
    assert [h.object_id for h in results.hits] == [theirs.pk]
    assert search(owner, org, "pump").counts.get(Kind.PROJECT) is None  # and not the other way
    with pytest.raises(NotFound):
        search(outsider, org, "pump")


def test_a_guest_sees_what_guests_see(org: Any, world: Any, member: Any) -> None:
    guest = member(org, Role.GUEST)
    assert search(guest, org, "pump").total == 6


@pytest.mark.parametrize(
    ("q", "message"),
    [
        ("", "Type a word to search for."),
        ("   ", "Type a word to search for."),
        ("x" * 201, "Search for at most 200 characters (this was 201)."),
        ("x" * 10_000, "Search for at most 200 characters (this was 10,000)."),
        ("?!-*:\"'()", "Search for at least one letter or digit; punctuation alone finds nothing."),
    ],
)
def test_bad_queries_name_the_field(org: Any, owner: Any, q: str, message: str) -> None:
    with pytest.raises(Invalid) as caught:
        search(owner, org, q)
    assert caught.value.field == "q"
    assert caught.value.message == message


@pytest.mark.parametrize(
    ("q", "found"),
    [
        ('"pump', 6),
        ("pump*", 6),
        ("-pump", 6),
        ("^pump", 6),
        ("pump bay", 2),  # the task's description, the request's title
        ("NEAR(pump bay)", 0),  # "near" is a word like any other
        ("title:pump", 0),
        ("pump OR hydraulic", 0),
        ("pump AND", 0),
    ],
)
def test_query_syntax_characters_are_plain_text(
    org: Any, owner: Any, world: Any, q: str, found: int
) -> None:
    assert search(owner, org, q).total == found


def test_reindex_rebuilds_the_same_documents(org: Any, owner: Any, world: Any) -> None:
    before = sorted(SearchDocument.objects.values_list("kind", "object_id", "title", "context"))
    SearchDocument.objects.all().delete()
    assert search(owner, org, "pump").total == 0
    assert reindex(org.pk) == len(before) + 1  # + the owner, added by a fixture, not a service
    after = sorted(SearchDocument.objects.values_list("kind", "object_id", "title", "context"))
    assert set(before) < set(after)
    assert search(owner, org, "pump").total == 6


def test_people_and_requests_follow_their_services(
    org: Any, owner: Any, world: Any, committed: Any
) -> None:
    from twofold.accounts import services as accounts
    from twofold.operations import services as operations

    request = world["request"]
    with committed():
        operations.update_request(
            actor=owner, request=request, expected_version=request.version, title="Noisy fan"
        )
        accounts.remove_member(actor=owner, membership=world["membership"])
    assert titles(search(owner, org, "noisy")) == [f"#{request.pk} <mark>Noisy</mark> fan"]
    assert search(owner, org, "pumpwright").total == 0
    assert search(owner, org, "pump").counts.get(Kind.REQUEST) is None


def test_tasks_of_a_project_made_from_a_template_are_found(
    org: Any, owner: Any, world: Any, committed: Any
) -> None:
    from twofold.project_templates import services as templates

    with committed():
        template = templates.save_as_template(
            actor=owner, project=world["project"], name="Pump job"
        )
        made = templates.create_project_from_template(
            actor=owner,
            organisation=org,
            template=template,
            name="Second press line",
            code="SPL",
            target_start=world_date(),
        )
    results = search(owner, org, "hydraulic pump")
    assert sorted((h.context, h.url) for h in results.hits if h.kind == Kind.TASK) == sorted(
        [
            (
                "PLU Press line upgrade",
                f"/projects/{world['project'].pk}/tasks/{world['task'].pk}/",
            ),
            (
                "SPL Second press line",
                f"/projects/{made.pk}/tasks/{made.tasks.get(name='Install hydraulic pump').pk}/",
            ),
        ]
    )


def test_a_change_to_no_indexed_field_reads_and_writes_no_document(
    org: Any, owner: Any, world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """A status change (a card move, an API PATCH) leaves the task's document as it is: the
    after-commit work is the live-check bump alone; a rename still re-indexes (test above)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    task = world["task"]
    with django_capture_on_commit_callbacks() as callbacks:
        projects.update_task(actor=owner, task=task, expected_version=task.version, status="doing")
    with CaptureQueriesContext(connection) as after_commit:
        for callback in callbacks:
            callback()
    assert not [q for q in after_commit.captured_queries if "search_document" in q["sql"]]
    assert "Install <mark>hydraulic</mark> pump" in titles(search(owner, org, "hydraulic"))
