"""Forms for what was API-only: a queue's mean handling time, a person's maximum units."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from twofold.accounts.models import Team
from twofold.calendars.services import ensure_default_calendar
from twofold.capacity import services
from twofold.capacity.models import QueueWorkload, WorkingPattern
from twofold.core.errors import Forbidden, Invalid
from twofold.operations import services as ops


@pytest.fixture
def queue(org: Any, owner: Any, priya: Any) -> Any:
    team = Team.objects.create(organisation=org, name="Maintenance")
    team.members.add(priya)
    process = ops.create_process(actor=owner, organisation=org, name="Upkeep", team=team)
    return ops.create_queue(
        actor=owner,
        organisation=org,
        name="Breakdowns",
        calendar=ensure_default_calendar(org),
        process=process,
    )


@pytest.mark.django_db
def test_queue_handling_time_page(
    client: Any, org: Any, owner: Any, priya: Any, queue: Any, django_assert_max_num_queries: Any
) -> None:
    client.force_login(owner)
    url = reverse("capacity:queues")
    with django_assert_max_num_queries(14):
        page = client.get(url)
    text = page.content.decode()
    assert page.status_code == 200 and "Breakdowns" in text and "Maintenance (1)" in text
    prefix = f"q{queue.pk}-"
    bad = client.post(url, {"queue": queue.pk, prefix + "handling_minutes": "0"})
    assert bad.status_code == 422
    assert "greater than or equal to 1" in bad.content.decode()
    assert not QueueWorkload.objects.exists()
    done = client.post(url, {"queue": queue.pk, prefix + "handling_minutes": "45"})
    assert done.status_code == 302
    assert QueueWorkload.objects.get(queue=queue).handling_minutes == 45
    # A member sees the times but cannot change them.
    client.force_login(priya)
    assert "45" in client.get(url).content.decode()
    refused = client.post(url, {"queue": queue.pk, prefix + "handling_minutes": "10"})
    assert refused.status_code == 403
    assert QueueWorkload.objects.get(queue=queue).handling_minutes == 45
    # A page drawn while the queue was on the default (version 0) does not overwrite a time
    # set since (until 2026-12-06 it carried no version, and its 40 minutes won).
    client.force_login(owner)
    stale = client.post(
        url, {"queue": queue.pk, prefix + "handling_minutes": "40", prefix + "version": "0"}
    )
    assert stale.status_code == 409
    assert "Someone set the handling time of Breakdowns since you read it (45 min)" in (
        stale.content.decode()
    )
    assert QueueWorkload.objects.get(queue=queue).handling_minutes == 45


@pytest.mark.django_db
def test_max_units_form_and_rules(client: Any, org: Any, owner: Any, priya: Any, api: Any) -> None:
    url = reverse("capacity:pattern_save", args=[priya.pk])
    week = {f"{d}_hours": "8" for d in ("mon", "tue", "wed", "thu", "fri")}
    week |= {"sat_hours": "0", "sun_hours": "0"}
    client.force_login(owner)
    bad = client.post(url, {**week, "max_units": "0"})
    assert bad.status_code == 422 and not WorkingPattern.objects.exists()
    assert client.post(url, {**week, "max_units": "50"}).status_code == 302
    assert WorkingPattern.objects.get(person=priya).max_units == 50
    page = client.get(reverse("capacity:availability", args=[priya.pk])).content.decode()
    assert 'name="max_units"' in page and 'value="50"' in page
    # Priya edits her own hours: her maximum stays (the field is shown but not hers to change).
    client.force_login(priya)
    assert client.post(url, {**week, "mon_hours": "6", "max_units": "100"}).status_code == 302
    pattern = WorkingPattern.objects.get(person=priya)
    assert (pattern.mon_hours, pattern.max_units) == (6, 50)
    with pytest.raises(Forbidden):
        services.set_working_pattern(
            actor=priya, organisation=org, person=priya, hours=[8] * 5 + [0, 0], max_units=80
        )
    with pytest.raises(Invalid) as exc:
        services.set_working_pattern(
            actor=owner, organisation=org, person=priya, hours=[8] * 5 + [0, 0], max_units=1001
        )
    assert exc.value.field == "max_units"
    # API: the same rule, and the pattern answers its maximum units.
    path = f"/api/organisations/{org.pk}/people/{priya.pk}/availability/pattern"
    body = {**dict.fromkeys(week, 8), "sat_hours": 0, "sun_hours": 0, "max_units": 120}
    answer = api(owner)._call("put", path, body)
    assert answer.status_code == 200 and answer.json()["max_units"] == 120
    assert api(priya)._call("put", path, {**body, "max_units": 90}).status_code == 403
