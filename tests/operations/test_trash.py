"""Every trashable kind outside projects: hidden from pages, API and search, restored by an admin."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from twofold.core import trash
from twofold.core.models import HistoryEntry, TrashEntry
from twofold.improvement import services as improvement_services
from twofold.operations import services
from twofold.projects import services as project_services
from twofold.risks import services as risk_services
from twofold.search.index import reindex
from twofold.search.models import SearchDocument

pytestmark = pytest.mark.django_db


@pytest.fixture
def things(
    org: Any, owner: Any, process: Any, kpi: Any, queue: Any, routine: Any
) -> dict[str, Any]:
    request = services.create_request(actor=owner, queue=queue, title="Printer jam QX")
    project = project_services.create_project(
        actor=owner, organisation=org, name="Rollout", code="RO", target_start=dt.date(2025, 3, 3)
    )
    risk = risk_services.create_risk(actor=owner, project=project, title="Supplier late QX")
    item = improvement_services.create_item(
        actor=owner, organisation=org, title="Shorter changeovers QX", problem="Slow changeovers"
    )
    return {
        "process": process,
        "kpi": kpi,
        "queue": queue,
        "routine": routine,
        "request": request,
        "risk": risk,
        "item": item,
        "project": project,
    }


# kind → (list page, detail page, API list, API detail, name shown)
CASES: dict[str, tuple[str, str, str, str, str]] = {
    "process": (
        "/operations/",
        "/operations/processes/{pk}/",
        "/api/organisations/{org}/processes",
        "/api/processes/{pk}",
        "Line 2 production",
    ),
    "kpi": (
        "/operations/",
        "/operations/kpis/{pk}/",
        "/api/organisations/{org}/kpis",
        "/api/kpis/{pk}",
        "Scrap rate",
    ),
    "queue": (
        "/operations/",
        "/operations/queues/{pk}/",
        "/api/organisations/{org}/queues",
        "/api/queues/{pk}",
        "IT service desk",
    ),
    "routine": (
        "/operations/processes/{process}/",
        "/operations/routines/{pk}/",
        "/api/organisations/{org}/routines",
        "/api/routines/{pk}",
        "Start-of-shift checks",
    ),
    "request": (
        "/operations/queues/{queue}/",
        "/operations/requests/{pk}/",
        "/api/queues/{queue}/requests",
        "/api/requests/{pk}",
        "Printer jam QX",
    ),
    "risk": (
        "/risks/",
        "/risks/{pk}/",
        "/api/organisations/{org}/projects/{project}/risks",
        "/api/organisations/{org}/projects/{project}/risks/{pk}",
        "Supplier late QX",
    ),
    "item": (
        "/improvement/items/",
        "/improvement/items/{pk}/",
        "/api/organisations/{org}/improvement/items",
        "/api/organisations/{org}/improvement/items/{pk}",
        "Shorter changeovers QX",
    ),
}


@pytest.mark.parametrize("kind", list(CASES))
def test_each_kind_goes_to_the_trash_everywhere_and_comes_back(
    kind: str,
    things: dict[str, Any],
    org: Any,
    owner: Any,
    signed_in: Any,
    api: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    obj = things[kind]
    values = {
        "process": things["process"].pk,
        "pk": obj.pk,
        "org": org.pk,
        "queue": things["queue"].pk,
        "project": things["project"].pk,
    }
    list_page, detail, api_list, api_detail, name = (c.format(**values) for c in CASES[kind])
    client, client_api = signed_in(owner), api(owner)
    reindex(org.pk)
    assert name in client.get(list_page).content.decode()
    assert client.get(detail).status_code == 200
    assert client_api.get(api_detail).status_code == 200
    indexed = SearchDocument.objects.filter(title__contains=name).exists()
    assert indexed or kind in {"queue", "routine"}  # the kinds search does not index

    with django_capture_on_commit_callbacks(execute=True):
        trash.move_to_trash(actor=owner, obj=obj)
    listing = client.get(list_page)
    assert listing.status_code == 200 and name not in listing.content.decode()
    assert client.get(detail).status_code == 404
    assert name not in client_api.get(api_list).content.decode()
    assert client_api.get(api_detail).status_code == 404
    assert not SearchDocument.objects.filter(title__contains=name).exists()
    assert name not in client.get(f"/search/?q={name.split()[0]}").content.decode()

    entry = TrashEntry.objects.get()
    listed = client_api.get(f"/api/organisations/{org.pk}/trash").json()
    assert [e["id"] for e in listed] == [entry.pk] and listed[0]["object_id"] == obj.pk
    restored = client_api.post(
        f"/api/organisations/{org.pk}/trash/{entry.pk}/restore?version={entry.version}"
    )
    assert restored.status_code == 200, restored.content
    assert restored.json()["url"] == detail
    assert client.get(detail).status_code == 200
    assert client_api.get(api_detail).status_code == 200
    assert list(
        HistoryEntry.objects.filter(object_id=obj.pk, action__in=["moved to trash", "restored"])
        .filter(content_type__model=type(obj)._meta.model_name)
        .order_by("id")
        .values_list("action", flat=True)
    ) == ["moved to trash", "restored"]


CASES["queue"] = ("/operations/", *CASES["queue"][1:])  # a queue's own page cannot list it


def test_a_process_goes_with_its_kpis_and_routines_and_they_come_back(
    things: dict[str, Any], owner: Any, org: Any
) -> None:
    from twofold.operations.models import Kpi, Occurrence, Routine

    occurrences = Occurrence.objects.count()
    assert occurrences > 0
    trash.move_to_trash(actor=owner, obj=things["process"])
    assert not Kpi.objects.exists() and not Routine.objects.exists()
    assert not Occurrence.objects.exists()  # My work and the overview no longer see them
    assert services.generate_occurrences(days=14) == 0
    from twofold.core.errors import Invalid

    with pytest.raises(Invalid) as taken:
        services.create_process(actor=owner, organisation=org, name="Line 2 production")
    assert (
        taken.value.message == "There is already a process called Line 2 production in the trash."
    )
    entry = TrashEntry.objects.get()
    trash.restore(actor=owner, organisation=org, entry_id=entry.pk)
    assert Kpi.objects.count() == 1 and Routine.objects.count() == 1
    assert Occurrence.objects.count() == occurrences


def test_a_request_api_delete_and_its_page_button(
    things: dict[str, Any], owner: Any, org: Any, signed_in: Any, api: Any
) -> None:
    request = things["request"]
    assert api(owner).delete(f"/api/requests/{request.pk}?version=99").status_code == 409
    assert (
        api(owner).delete(f"/api/requests/{request.pk}?version={request.version}").status_code
        == 204
    )
    entry = TrashEntry.objects.get()
    trash.restore(actor=owner, organisation=org, entry_id=entry.pk)
    request.refresh_from_db()
    client = signed_in(owner)
    page = client.get(f"/operations/requests/{request.pk}/").content.decode()
    assert "Move to trash" in page and "within 30 days" in page
    r = client.post(f"/operations/requests/{request.pk}/trash/", {"version": request.version})
    assert r.status_code == 302 and r.url == f"/operations/queues/{request.queue_id}/"
    assert TrashEntry.objects.get().object_id == request.pk


def test_an_improvement_item_api_delete(
    things: dict[str, Any], owner: Any, org: Any, api: Any
) -> None:
    item = things["item"]
    url = f"/api/organisations/{org.pk}/improvement/items/{item.pk}"
    assert api(owner).delete(f"{url}?version={item.version}").status_code == 204
    assert api(owner).get(url).status_code == 404
    assert TrashEntry.objects.get().label == "Improvement item “Shorter changeovers QX”"


@pytest.mark.django_db(transaction=True)
def test_rows_under_a_trashable_parent_can_still_be_locked(kpi: Any) -> None:
    """``select_for_update`` on a child manager locks the child rows only (``OF self``)."""
    from django.db import transaction

    from twofold.operations.models import Measurement, Occurrence

    locking = Measurement.objects.select_for_update().filter(kpi=kpi)
    assert locking.query.select_for_update_of == ("self",)
    with transaction.atomic():
        assert list(locking) == []
        assert list(Occurrence.objects.select_for_update().all()) == []
