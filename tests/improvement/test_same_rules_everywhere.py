"""Found by a review on 2026-12-05: the API took what the pages refused, and named the
service's fields in its errors."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from twofold.closeout.parts import clean_spec
from twofold.core.errors import Invalid
from twofold.improvement import services
from twofold.improvement.models import Handover, ImprovementItem

pytestmark = pytest.mark.django_db


def test_a_handover_to_an_archived_process_is_refused(
    api: Any, org: Any, owner: Any, project: Any, process: Any
) -> None:
    type(process).objects.filter(pk=process.pk).update(archived_at=timezone.now())
    process.refresh_from_db()
    with pytest.raises(Invalid) as caught:
        services.propose_handover(actor=owner, project=project, process=process)
    assert caught.value.field == "process"
    r = api(owner).post(
        f"/api/organisations/{org.pk}/improvement/handovers",
        {"project_id": project.pk, "process_id": process.pk},
    )
    assert r.status_code == 422 and "archived" in r.json()["detail"]
    assert Handover.objects.count() == 0


def test_a_kpi_part_beyond_the_limit_is_refused_when_drafted() -> None:
    with pytest.raises(Invalid) as caught:
        clean_spec(Handover(), "kpi", {"target": 1e300, "red_threshold": 1})
    assert (caught.value.field, caught.value.message) == (
        "target",
        "The target must be a finite number of at most 10^15.",
    )


def test_an_item_owner_who_is_not_a_member_is_named_as_the_request_named_it(
    api: Any, org: Any, owner: Any, make_user: Any
) -> None:
    stranger = make_user(email="stranger@example.com")
    r = api(owner).post(
        f"/api/organisations/{org.pk}/improvement/items",
        {"source": "idea", "title": "Idea", "problem": "p", "owner_id": stranger.pk},
    )
    assert r.status_code == 422 and r.json()["field"] == "owner_id"
    assert ImprovementItem.objects.count() == 0
