"""Custom fields: definitions (admins), values per kind (members), pages, queries, API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from twofold.core.errors import Conflict, Forbidden, Invalid, NotFound
from twofold.core.models import HistoryEntry
from twofold.customfields import services
from twofold.customfields.models import FieldDefinition, FieldValue
from twofold.projects import services as project_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def fields(org: Any, owner: Any) -> dict[str, FieldDefinition]:
    def make(name: str, kind: str, **kw: Any) -> FieldDefinition:
        return services.create_definition(
            actor=owner, organisation=org, name=name, applies_to="project", kind=kind, **kw
        )

    return {
        "customer": make("Customer", "text", show_on_cards=True, order=1),
        "budget": make("Budget k€", "number", show_on_cards=True, order=2),
        "audit": make("Audit date", "date"),
        "site": make("Site", "choice", choices=["Oslo", "Bergen"], show_on_cards=True, order=3),
    }


def test_admin_defines_fields_members_cannot(org, owner, editor, guest, outsider):
    d = services.create_definition(
        actor=owner, organisation=org, name=" Customer ", applies_to="project", kind="text"
    )
    assert (d.name, d.version) == ("Customer", 1)
    assert HistoryEntry.objects.filter(object_id=d.pk, action="created").count() == 1
    with pytest.raises(Forbidden):
        services.create_definition(
            actor=editor, organisation=org, name="X", applies_to="project", kind="text"
        )
    with pytest.raises(NotFound):
        services.create_definition(
            actor=outsider, organisation=org, name="X", applies_to="project", kind="text"
        )
    with pytest.raises(Invalid) as dup:
        services.create_definition(
            actor=owner, organisation=org, name="customer", applies_to="project", kind="text"
        )
    assert dup.value.field == "name"
    with pytest.raises(Invalid) as nochoice:
        services.create_definition(
            actor=owner, organisation=org, name="Site", applies_to="task", kind="choice"
        )
    assert nochoice.value.field == "choices"


def test_stale_definition_edit_is_a_conflict(org, owner, fields):
    d = fields["customer"]
    services.update_definition(actor=owner, definition=d, expected_version=1, name="Client")
    assert FieldDefinition.objects.get(pk=d.pk).version == 2
    with pytest.raises(Conflict):
        services.update_definition(actor=owner, definition=d, expected_version=1, name="Other")
    assert FieldDefinition.objects.get(pk=d.pk).name == "Client"


def test_values_are_validated_per_kind(project, editor, fields):
    f = fields
    cases = [
        (f["budget"], "twelve", "Budget k€ must be a number, e.g. 12.5."),
        (f["audit"], "31/03/2026", "Audit date must be a date like 2026-03-31."),
        (f["audit"], "1970-01-01", "Choose a date between 1 Jan 1980 and 31 Dec 2149."),
        (f["site"], "Paris", "Site must be one of: Oslo, Bergen."),
        (f["budget"], "NaN", "Budget k€ must be a number below 10¹³."),
    ]
    for definition, raw, message in cases:
        with pytest.raises(Invalid) as err:
            services.set_values(actor=editor, target=project, values={definition.pk: raw})
        assert (err.value.message, err.value.field) == (message, f"field_{definition.pk}")
    assert FieldValue.objects.count() == 0
    saved = services.set_values(
        actor=editor,
        target=project,
        values={
            f["customer"].pk: " Aker ",
            f["budget"].pk: "1,250.5",
            f["audit"].pk: "2026-03-31",
            f["site"].pk: "Oslo",
        },
    )
    assert [v.value for v in saved] == [
        "Aker",
        Decimal("1250.5000"),
        dt.date(2026, 3, 31),
        "Oslo",
    ]
    assert [v.display for v in saved] == ["Aker", "1250.5", "31 Mar 2026", "Oslo"]
    entry = HistoryEntry.objects.filter(object_id=project.pk, action="fields updated").get()
    assert entry.changes["Site"] == ["", "Oslo"]


def test_required_and_stale_values(org, owner, project, editor):
    d = services.create_definition(
        actor=owner, organisation=org, name="Cost centre", applies_to="project", kind="text",
        required=True,
    )  # fmt: skip
    with pytest.raises(Invalid) as err:
        services.set_values(actor=editor, target=project, values={d.pk: ""})
    assert err.value.message == "Cost centre needs a value."
    services.set_values(actor=editor, target=project, values={d.pk: "CC-1"}, versions={d.pk: 0})
    services.set_values(actor=editor, target=project, values={d.pk: "CC-2"}, versions={d.pk: 1})
    with pytest.raises(Conflict):
        services.set_values(actor=editor, target=project, values={d.pk: "CC-3"}, versions={d.pk: 1})
    with pytest.raises(Conflict):
        services.set_values(actor=editor, target=project, values={d.pk: "CC-3"}, versions={d.pk: 0})
    assert FieldValue.objects.get().text_value == "CC-2"


def test_guest_and_outsider_cannot_set_values(project, guest, outsider, fields):
    with pytest.raises(Forbidden):
        services.set_values(actor=guest, target=project, values={fields["customer"].pk: "x"})
    with pytest.raises(NotFound):
        services.set_values(actor=outsider, target=project, values={fields["customer"].pk: "x"})


def test_task_fields_do_not_accept_project_fields(org, owner, project, editor, fields):
    task, _ = project_services.create_task(actor=owner, project=project, name="Weld jig")
    with pytest.raises(Invalid):
        services.set_values(actor=editor, target=task, values={fields["customer"].pk: "x"})
    d = services.create_definition(
        actor=owner, organisation=org, name="Machine", applies_to="task", kind="text"
    )
    services.set_values(actor=editor, target=task, values={d.pk: "DMG 5-axis"})
    assert FieldValue.objects.get().target_kind == "task"


def _post(fields: dict[str, FieldDefinition], **values: str) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for d in fields.values():
        data[f"field_{d.pk}"] = values.get(d.name.split()[0], "")
        data[f"version_{d.pk}"] = 0
    return data


def test_pages_permissions(client, org, owner, editor, guest, outsider, project, fields):
    client.force_login(outsider)
    assert client.get(f"/fields/{fields['customer'].pk}/").status_code == 404
    assert client.get(f"/fields/values/project/{project.pk}/").status_code == 404
    r = client.post(f"/fields/values/project/{project.pk}/", {})
    assert r.status_code == 404
    client.force_login(guest)
    page = client.get(f"/fields/values/project/{project.pk}/")
    assert page.status_code == 200 and b"Guests can read fields" in page.content
    r = client.post("/fields/", {"name": "Y", "applies_to": "project", "kind": "text", "order": 0})
    assert r.status_code == 403 and FieldDefinition.objects.filter(name="Y").count() == 0
    d = fields["customer"]
    r = client.post(
        f"/fields/values/project/{project.pk}/",
        {f"field_{d.pk}": "Guesty", f"version_{d.pk}": 0},
    )
    assert r.status_code == 403 and FieldValue.objects.count() == 0
    client.force_login(editor)
    r = client.post(
        f"/fields/values/project/{project.pk}/",
        _post(fields, Customer="Aker", Budget="lots"),
    )
    assert r.status_code == 422
    assert "Budget k€ must be a number, e.g. 12.5." in r.content.decode()
    assert 'value="Aker"' in r.content.decode()  # input kept
    assert FieldValue.objects.count() == 0
    r = client.post(
        f"/fields/values/project/{project.pk}/",
        _post(fields, Customer="Aker", Budget="12"),
    )
    assert r.status_code == 302 and r["Location"] == f"/projects/{project.pk}/"
    overview = client.get(f"/projects/{project.pk}/").content.decode()
    assert "Budget k€" in overview and ">12<" in overview and "Edit fields" in overview


def test_admin_pages(client, owner, fields):
    client.force_login(owner)
    page = client.get("/fields/").content.decode()
    assert "Customer" in page and "Oslo, Bergen" in page
    r = client.post(
        "/fields/",
        {"name": "Risk class", "applies_to": "task", "kind": "choice", "choices": "A\nB\n", "order": 1},
    )  # fmt: skip
    assert r.status_code == 302
    assert FieldDefinition.objects.get(name="Risk class").choices == ["A", "B"]
    d = fields["customer"]
    r = client.post(f"/fields/{d.pk}/", {"name": "Client", "order": 1, "version": 9})
    assert r.status_code == 409
    r = client.post(f"/fields/{d.pk}/delete/")
    assert r.status_code == 302 and not FieldDefinition.objects.filter(pk=d.pk).exists()


def test_cards_and_list_show_values_in_constant_queries(
    client, org, owner, project, fields, django_assert_max_num_queries
):
    client.force_login(owner)

    def grow(n: int) -> None:
        start = FieldDefinition.objects.count()
        for i in range(n):
            p = project_services.create_project(
                actor=owner, organisation=org, name=f"P{start}-{i}", code=f"C{start}{i}",
                target_start=dt.date(2025, 3, 3),
            )  # fmt: skip
            d = services.create_definition(
                actor=owner, organisation=org, name=f"F{start}-{i}", applies_to="project",
                kind="text", show_on_cards=True,
            )  # fmt: skip
            services.set_values(
                actor=owner, target=p, values={d.pk: f"v{i}", fields["site"].pk: "Bergen"}
            )

    services.set_values(actor=owner, target=project, values={fields["customer"].pk: "<b>Aker</b>"})
    for path in ("/", "/projects/"):
        grow(2)
        with CaptureQueriesContext(connection) as small:
            page = client.get(path).content.decode()
        assert "&lt;b&gt;Aker&lt;/b&gt;" in page and "<b>Aker" not in page
        # One more ">Bergen<" than cards: the portfolio's filter offers "Bergen" as an option.
        assert page.count(">Bergen<") == (2 if path == "/" else 12) + 1
        grow(8)
        with django_assert_max_num_queries(len(small.captured_queries)):
            page = client.get(path).content.decode()
        assert page.count(">Bergen<") == (10 if path == "/" else 20) + 1
