"""Gantt drags: resize a bar (duration in working days), link by dragging, the chart partial."""

from __future__ import annotations

import datetime as dt

import pytest

from twofold.core.errors import Conflict, Forbidden, Invalid
from twofold.projects import services
from twofold.projects.models import Link, Task

DAY = 480


def _local(value: dt.datetime) -> dt.datetime:
    from django.utils import timezone

    return timezone.localtime(value).replace(tzinfo=None)


@pytest.fixture
def loose(project, owner):
    """C (1 d), not linked to anything: starts with the project on Monday 3 Mar 2025."""
    c, _ = services.create_task(actor=owner, project=project, name="C", duration_minutes=DAY)
    c.refresh_from_db()
    return c


# --- Services -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_resize_to_a_finish_counts_working_days_across_the_weekend(project, chain, owner):
    a, b, m = chain
    version = a.version
    task, moved = services.resize_task(
        actor=owner, task=a, expected_version=version, finish=dt.date(2025, 3, 10)
    )
    # Mon 3 – Fri 7 and Mon 10: six working days; B and M follow.
    assert task.duration_minutes == 6 * DAY
    assert Task.objects.get(pk=a.pk).version == version + 1
    assert moved is not None and moved.summary.startswith("3 tasks moved")
    b.refresh_from_db()
    m.refresh_from_db()
    assert _local(b.start) == dt.datetime(2025, 3, 11, 8)
    assert _local(m.finish) == dt.datetime(2025, 3, 12, 17)


@pytest.mark.django_db
def test_resize_by_days_and_its_limits(project, chain, owner):
    a, b, m = chain
    task, _ = services.resize_task(actor=owner, task=a, expected_version=a.version, days=1)
    assert task.duration_minutes == DAY
    with pytest.raises(Invalid, match="at least one working day") as err:
        services.resize_task(actor=owner, task=task, expected_version=task.version, days=0)
    assert err.value.field == "duration"
    with pytest.raises(Invalid, match="M is a milestone"):
        services.resize_task(actor=owner, task=m, expected_version=m.version, days=3)
    with pytest.raises(Invalid, match="cannot finish before"):
        services.resize_task(
            actor=owner, task=b, expected_version=b.version, finish=dt.date(2025, 3, 3)
        )
    assert Task.objects.get(pk=m.pk).duration_minutes == 0
    assert Task.objects.get(pk=b.pk).duration_minutes == 2 * DAY


@pytest.mark.django_db
def test_summary_bars_cannot_be_resized(project, owner):
    x, _ = services.create_task(actor=owner, project=project, name="X", duration_minutes=DAY)
    y, _ = services.create_task(actor=owner, project=project, name="Y", duration_minutes=DAY)
    services.indent_task(actor=owner, task=y)
    x.refresh_from_db()
    assert x.is_summary
    with pytest.raises(Invalid, match="X is a summary"):
        services.resize_task(actor=owner, task=x, expected_version=x.version, days=9)


@pytest.mark.django_db
def test_resize_stale_and_guest(project, chain, owner, guest):
    a = chain[0]
    with pytest.raises(Conflict):
        services.resize_task(actor=owner, task=a, expected_version=a.version - 1, days=5)
    with pytest.raises(Forbidden):
        services.resize_task(actor=guest, task=a, expected_version=a.version, days=5)
    assert Task.objects.get(pk=a.pk).duration_minutes == 3 * DAY


@pytest.mark.django_db
def test_link_with_versions_refuses_a_stale_task(project, chain, owner, loose):
    a = chain[0]
    with pytest.raises(Conflict, match="Someone else changed “C”"):
        services.add_link(
            actor=owner,
            project=project,
            pred=a,
            succ=loose,
            pred_version=a.version,
            succ_version=loose.version - 1,
        )
    assert not Link.objects.filter(succ=loose).exists()


# --- Views --------------------------------------------------------------------------------------


def _resize(client, project, task, **data):
    return client.post(f"/projects/{project.pk}/gantt/{task.pk}/resize/", data)


def _link(client, project, pred, succ, **data):
    fields = {
        "pred": pred.pk,
        "succ": succ.pk,
        "pred_version": pred.version,
        "succ_version": succ.version,
    }
    return client.post(f"/projects/{project.pk}/gantt/links/", {**fields, **data})


@pytest.mark.django_db
def test_resize_view_answers_what_moved(client, project, chain, owner):
    a = chain[0]
    client.force_login(owner)
    r = _resize(client, project, a, finish="2025-03-10", version=a.version)
    assert r.status_code == 200
    body = r.json()
    assert body["detail"].startswith("A now takes 6 working days: 3 tasks moved; finish ")
    assert body["version"] == a.version + 1
    assert Task.objects.get(pk=a.pk).duration_minutes == 6 * DAY
    # The keyboard sends the new duration in days.
    r = _resize(client, project, a, days="5", version=body["version"])
    assert r.status_code == 200
    assert r.json()["detail"].startswith("A now takes 5 working days")
    assert Task.objects.get(pk=a.pk).duration_minutes == 5 * DAY


@pytest.mark.django_db
def test_resize_view_refusals(client, project, chain, owner):
    a, _b, m = chain
    client.force_login(owner)
    stale = _resize(client, project, a, days="4", version=a.version - 1)
    assert stale.status_code == 409
    assert stale.json()["detail"].startswith("Someone else changed this")
    milestone = _resize(client, project, m, days="4", version=m.version)
    assert milestone.status_code == 422
    assert milestone.json() == {
        "detail": "M is a milestone: it has no duration to drag.",
        "field": "duration",
    }
    assert _resize(client, project, a, days="4").status_code == 422
    assert _resize(client, project, a, finish="soon", version=a.version).status_code == 422
    assert Task.objects.get(pk=a.pk).duration_minutes == 3 * DAY


@pytest.mark.django_db
def test_link_by_drag_creates_the_link_and_reschedules(client, project, chain, owner, loose):
    a = chain[0]
    client.force_login(owner)
    r = _link(client, project, a, loose, type="FS")
    assert r.status_code == 201
    assert r.json()["detail"].startswith("Linked A → C (FS): 1 task moved")
    link = Link.objects.get(pred=a, succ=loose)
    assert (link.type, link.lag) == ("FS", 0)
    loose.refresh_from_db()
    assert _local(loose.start) == dt.datetime(2025, 3, 6, 8)
    # Without a type the drag makes a finish-to-start link; SS, FF and SF can be picked.
    d, _ = services.create_task(actor=owner, project=project, name="D", duration_minutes=DAY)
    d.refresh_from_db()
    assert _link(client, project, a, d, type="SS").status_code == 201
    assert Link.objects.get(pred=a, succ=d).type == "SS"


@pytest.mark.django_db
def test_link_by_drag_refuses_a_cycle_with_the_names(client, project, chain, owner):
    a, _b, m = chain
    client.force_login(owner)
    r = _link(client, project, m, a)
    assert r.status_code == 422
    assert r.json() == {
        "detail": "That link would create a dependency cycle: A → B → M → A.",
        "field": "pred",
    }
    assert not Link.objects.filter(pred=m, succ=a).exists()
    assert Link.objects.count() == 2


@pytest.mark.django_db
def test_link_by_drag_stale_and_bad_input(client, project, chain, owner, loose):
    a = chain[0]
    client.force_login(owner)
    Task.objects.filter(pk=a.pk).update(version=a.version + 1)
    r = _link(client, project, a, loose)
    assert r.status_code == 409
    assert "Someone else changed “A” since you read it" in r.json()["detail"]
    a.refresh_from_db()
    assert _link(client, project, a, loose, type="XX").status_code == 422
    assert _link(client, project, a, a).status_code == 422
    missing = client.post(f"/projects/{project.pk}/gantt/links/", {"pred": a.pk, "succ": loose.pk})
    assert missing.status_code == 422
    assert not Link.objects.filter(succ=loose).exists()


@pytest.mark.django_db
def test_guests_get_403_and_outsiders_404(client, project, chain, guest, outsider, loose):
    a = chain[0]
    for user, code in ((guest, 403), (outsider, 404)):
        client.force_login(user)
        assert _resize(client, project, a, days="5", version=a.version).status_code == code
        assert _resize(client, project, a, days="5").status_code == code
        assert _link(client, project, a, loose).status_code == code
        assert client.post(f"/projects/{project.pk}/gantt/links/", {}).status_code == code
        drag = client.post(f"/projects/{project.pk}/gantt/{a.pk}/drag/", {"start": "x"})
        assert drag.status_code == code
    assert Task.objects.get(pk=a.pk).duration_minutes == 3 * DAY
    assert not Link.objects.filter(succ=loose).exists()


@pytest.mark.django_db
def test_the_chart_alone_for_a_swap_in_place(client, project, chain, owner, guest):
    a, _b, m = chain
    client.force_login(owner)
    r = client.get(f"/projects/{project.pk}/gantt/?zoom=days", HTTP_HX_REQUEST="true")
    html = r.content.decode()
    assert r.status_code == 200
    assert html.startswith('<div class="gantt-wrap" id="gantt"') and "<html" not in html
    assert 'id="project-summary"' in html  # the page header follows the edit
    assert f'data-task="{a.pk}" data-days="3"' in html
    assert f'data-target="{m.pk}" data-version="{m.version}"' in html
    assert html.count('class="g-resize"') == 2 and html.count('class="g-handle"') == 3
    page = client.get(f"/projects/{project.pk}/gantt/").content.decode()
    assert 'id="gantt-status"' in page and 'aria-live="polite"' in page
    # A guest sees the chart without handles.
    client.force_login(guest)
    html = client.get(f"/projects/{project.pk}/gantt/", HTTP_HX_REQUEST="true").content.decode()
    assert "g-handle" not in html and "data-target" not in html


@pytest.mark.django_db
def test_the_chart_partial_reads_a_constant_number_of_queries(
    client, project, owner, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(owner)
    url = f"/projects/{project.pk}/gantt/"

    def grow(n):
        for i in range(n):
            services.create_task(actor=owner, project=project, name=f"T{i}", duration_minutes=DAY)

    grow(3)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url, HTTP_HX_REQUEST="true").status_code == 200
    grow(20)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url, HTTP_HX_REQUEST="true").status_code == 200
