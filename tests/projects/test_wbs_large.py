"""The tasks page of a big plan: one list of people, row buttons answered with the table, and
the links panel listing the newest links with a search instead of all of them."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from typing import Any

import pytest

from twofold.projects import selectors, services
from twofold.projects.models import Link, Task


@pytest.fixture
def crew(org: Any, member: Any) -> list[Any]:
    return [member(org, "member") for _ in range(6)]


@pytest.mark.django_db
def test_each_assignee_list_holds_its_choice_and_the_people_are_listed_once(
    client: Any, project: Any, owner: Any, chain: list[Task], crew: list[Any]
) -> None:
    a, _b, _m = chain
    services.update_task(actor=owner, task=a, expected_version=a.version, assignee=crew[0])
    client.force_login(owner)
    html = client.get(f"/projects/{project.pk}/tasks/").content.decode()
    selects = re.findall(r'<select name="assignee"[^>]*data-people.*?</select>', html, re.S)
    assert len(selects) == 3  # A, B and the milestone M
    by_task = {re.search(r'aria-label="Assignee of (\w)"', s).group(1): s for s in selects}  # type: ignore[union-attr]
    assert re.findall(r"<option[^>]*>([^<]*)</option>", by_task["A"]) == [
        "—",
        crew[0].display_name,
    ]
    assert "selected>" in by_task["A"] and 'data-people="wbs-people"' in by_task["A"]
    assert re.findall(r"<option[^>]*>([^<]*)</option>", by_task["B"]) == ["—"]
    template = re.search(r'<template id="wbs-people">(.*?)</template>', html, re.S)
    assert template is not None and html.count('<template id="wbs-people">') == 1
    names = re.findall(r"<option[^>]*>([^<]*)</option>", template.group(1))
    assert names[0] == "—" and sorted(names[1:]) == sorted(u.display_name for u in [owner, *crew])


@pytest.mark.django_db
def test_indent_from_the_row_answers_the_table_and_a_stale_one_is_refused(
    client: Any, project: Any, owner: Any
) -> None:
    a, _ = services.create_task(actor=owner, project=project, name="A", duration_minutes=480)
    b, _ = services.create_task(actor=owner, project=project, name="B", duration_minutes=480)
    client.force_login(owner)
    url = f"/projects/{project.pk}/tasks/{b.pk}/indent/"
    answer = client.post(url, {"version": b.version}, HTTP_HX_REQUEST="true")
    assert answer.status_code == 200
    html = answer.content.decode()
    assert '<div id="wbs"' in html
    assert "Indent: B." in html and "<html" not in html
    b.refresh_from_db()
    assert b.parent_id == a.pk
    stale = client.post(
        f"/projects/{project.pk}/tasks/{b.pk}/outdent/",
        {"version": b.version - 1},
        HTTP_HX_REQUEST="true",
    )
    assert stale.status_code == 409
    assert '<div id="wbs"' in stale.content.decode() and 'role="alert"' in stale.content.decode()
    # Without htmx the old form post still works: a redirect to the page.
    outdent = client.post(
        f"/projects/{project.pk}/tasks/{b.pk}/outdent/",
        {"version": Task.objects.get(pk=b.pk).version},
    )
    assert outdent.status_code == 302
    assert Task.objects.get(pk=b.pk).parent_id is None


@pytest.mark.django_db
def test_the_links_panel_lists_the_newest_links_and_finds_a_tasks_links(
    client: Any, project: Any, owner: Any
) -> None:
    tasks = [
        services.create_task(actor=owner, project=project, name=f"Step {i}", duration_minutes=480)[
            0
        ]
        for i in range(31)
    ]
    for pred, succ in itertools.pairwise(tasks):
        services.add_link(actor=owner, project=project, pred=pred, succ=succ)
    assert Link.objects.filter(project=project).count() == 30
    client.force_login(owner)
    html = client.get(f"/projects/{project.pk}/tasks/").content.decode()
    listed = re.findall(r"<li class=\"row-between\"><span>(Step \d+) → (Step \d+)", html)
    assert len(listed) == selectors.LINKS_SHOWN == 25
    assert listed[0] == ("Step 29", "Step 30") and listed[-1] == ("Step 5", "Step 6")
    assert "The newest 25 of 30 links" in html
    found = client.get(f"/projects/{project.pk}/tasks/?links=step 1").content.decode()
    pairs = re.findall(r"<li class=\"row-between\"><span>(Step \d+) → (Step \d+)", found)
    # "Step 1" and "Step 10".."Step 19" as predecessor or successor: 0→1, 1→2, 9→10 … 19→20.
    assert len(pairs) == 13
    assert all("Step 1" in p or "Step 1" in s for p, s in pairs)
    assert "13 of 30 links match “step 1”" in found
    nothing = client.get(f"/projects/{project.pk}/tasks/?links=<b>x</b>").content.decode()
    assert "0 of 30 links match “&lt;b&gt;x&lt;/b&gt;”" in nothing


@pytest.mark.django_db
def test_the_table_folds_by_level_and_pages_and_an_edit_answers_the_same_rows(
    client: Any, project: Any, owner: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from twofold.projects import views

    monkeypatch.setattr(views, "TASKS_PAGE", 2)
    made = {
        name: services.create_task(actor=owner, project=project, name=name, duration_minutes=480)[0]
        for name in "ABCDE"
    }
    b = made["B"]
    services.indent_task(actor=owner, task=b, expected_version=b.version)  # B under A
    client.force_login(owner)

    def names(html: str) -> list[str]:
        return re.findall(r'aria-label="Name of (\w)"', html)

    url = f"/projects/{project.pk}/tasks/"
    first = client.get(url).content.decode()
    assert names(first) == ["A", "B"]
    assert "Rows 1–2 of 5" in first and "Next rows →" in first
    assert names(client.get(f"{url}?page=3").content.decode()) == ["E"]
    assert names(client.get(f"{url}?page=99").content.decode()) == ["E"]  # the last page
    folded = client.get(f"{url}?level=0").content.decode()
    assert names(folded) == ["A", "C"]
    assert "Rows 1–2 of 4" in folded and "4 of 5 rows down to level 1" in folded
    assert names(client.get(f"{url}?level=0&page=2").content.decode()) == ["D", "E"]
    assert names(client.get(f"{url}?level=7").content.decode()) == ["A", "B"]  # out of range
    # An edit from page 2 of the folded table answers page 2 of the folded table.
    d = Task.objects.get(pk=made["D"].pk)
    answer = client.post(
        f"{url}{d.pk}/inline/",
        {"name": "Dee", "version": d.version, "level": "0", "page": "2"},
        HTTP_HX_REQUEST="true",
    )
    assert answer.status_code == 200
    html = answer.content.decode()
    assert re.findall(r'aria-label="Name of (\w+)"', html) == ["Dee", "E"]
    assert 'id="wbs-level" name="level" value="0"' in html
    assert 'id="wbs-page" name="page" value="2"' in html


@pytest.mark.django_db
def test_the_task_lists_of_the_add_and_link_forms_are_written_from_pairs(
    project: Any, owner: Any, chain: list[Task]
) -> None:
    from twofold.projects.forms import LinkForm, TaskAddForm

    a, b, m = chain
    form = LinkForm({"pred": str(b.pk), "succ": "", "type": "FS"}, project=project)
    assert not form.is_valid() and "succ" in form.errors
    pred = str(form["pred"])
    assert re.findall(r'<option value="(\d*)"( selected)?>([^<]*)</option>', pred) == [
        ("", "", "---------"),
        (str(a.pk), "", "A"),
        (str(b.pk), " selected", "B"),
        (str(m.pk), "", "M"),
    ]
    assert form.fields["pred"].queryset.get(pk=b.pk) == b  # what is posted is still checked
    parent = str(TaskAddForm(project=project)["parent"])
    # A milestone cannot hold tasks: it is not offered as a parent.
    assert re.findall(r">([^<]*)</option>", parent) == ["---------", "A", "B"]


@pytest.mark.django_db
def test_an_edit_from_the_table_reads_the_same_number_of_queries_for_a_bigger_plan(
    client: Any, project: Any, owner: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def add(count: int) -> None:
        before = Task.objects.filter(project=project).count()
        for i in range(count):
            services.create_task(
                actor=owner, project=project, name=f"T{before + i}", duration_minutes=480
            )
        tasks = list(Task.objects.filter(project=project).order_by("position"))
        for pred, succ in itertools.pairwise(tasks[before - 1 if before else 0 :]):
            services.add_link(actor=owner, project=project, pred=pred, succ=succ)

    def edit() -> int:
        task = Task.objects.filter(project=project).order_by("position").first()
        assert task is not None
        with CaptureQueriesContext(connection) as queries:
            answer = client.post(
                f"/projects/{project.pk}/tasks/{task.pk}/inline/",
                {
                    "duration_days": "2" if task.duration_minutes != 960 else "3",
                    "version": task.version,
                },
                HTTP_HX_REQUEST="true",
            )
        assert answer.status_code == 200 and "Saved" in answer.content.decode()
        # Only the table: the add and link forms and the links panel are not drawn.
        assert 'id="links-h"' not in answer.content.decode()
        return len(queries.captured_queries)

    client.force_login(owner)
    add(3)
    small = edit()
    add(20)
    assert edit() == small


@pytest.mark.django_db
def test_dates_in_the_table_carry_their_year_when_the_rows_leave_this_year(
    client: Any, project: Any, owner: Any, chain: list[Task], monkeypatch: pytest.MonkeyPatch
) -> None:
    from twofold.projects import views

    client.force_login(owner)
    # The fixtures plan in March 2025, before today: the year is shown.
    html = client.get(f"/projects/{project.pk}/tasks/").content.decode()
    assert '<td class="nowrap" data-label="Start">Mon 3 Mar 2025</td>' in html
    assert '<td class="nowrap" data-label="Finish">Fri 7 Mar 2025</td>' in html
    # Seen in 2025, the same table leaves it out.
    real = views.timezone.localdate

    def in_march_2025(value: Any = None, timezone: Any = None) -> dt.date:
        # "Today" is 1 Mar 2025; any other date asked for is converted as before.
        return dt.date(2025, 3, 1) if value is None else real(value, timezone)

    monkeypatch.setattr(views.timezone, "localdate", in_march_2025)
    html = client.get(f"/projects/{project.pk}/tasks/").content.decode()
    assert '<td class="nowrap" data-label="Start">Mon 3 Mar</td>' in html
    assert '<td class="nowrap" data-label="Finish">Fri 7 Mar</td>' in html
