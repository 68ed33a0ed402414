"""The portfolio and project list filter by choice fields on projects."""

from __future__ import annotations

from tests.customfields.conftest import MONDAY
from twofold.customfields import services
from twofold.projects import services as project_services


def test_portfolio_filters_by_a_choice_field(client, org, owner):
    site = services.create_definition(
        actor=owner, organisation=org, name="Site", applies_to="project", kind="choice",
        choices=["Oslo", "Bergen"], show_on_cards=True,
    )  # fmt: skip
    oslo = project_services.create_project(
        actor=owner, organisation=org, name="Oslo press", code="OP", target_start=MONDAY
    )
    bergen = project_services.create_project(
        actor=owner, organisation=org, name="Bergen press", code="BP", target_start=MONDAY
    )
    project_services.create_project(
        actor=owner, organisation=org, name="No site yet", code="NS", target_start=MONDAY
    )
    services.set_values(actor=owner, target=oslo, values={site.pk: "Oslo"})
    services.set_values(actor=owner, target=bergen, values={site.pk: "Bergen"})
    client.force_login(owner)

    unfiltered = client.get("/").content.decode()
    assert all(n in unfiltered for n in ("Oslo press", "Bergen press", "No site yet"))
    assert f'name="cf{site.pk}"' in unfiltered

    for path in ("/", "/projects/"):
        page = client.get(f"{path}?cf{site.pk}=Oslo").content.decode()
        assert "Oslo press" in page
        assert "Bergen press" not in page
        assert "No site yet" not in page
    nothing = client.get(f"/?cf{site.pk}=Tromsø").content.decode()
    assert "Oslo press" not in nothing
    assert "Bergen press" not in nothing
