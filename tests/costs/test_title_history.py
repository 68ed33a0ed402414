"""A role's rate applies to hours by the job title held on the day they were worked: a new title
repriced every past hour at the new role's rate (a review measured a project's actual cost up
to last week rising from 31,093.50 to 33,449.50 when one person was given a new title)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from twofold.accounts.models import JobTitlePeriod, Membership, Role
from twofold.accounts.services import TITLES_BEGIN, set_job_title
from twofold.costs import services
from twofold.costs.selectors import rates_for

pytestmark = pytest.mark.django_db


def test_hours_keep_the_rate_of_the_title_held_when_they_were_worked(
    org: Any, owner: Any, member: Any
) -> None:
    today = timezone.localtime(timezone.now(), zoneinfo.ZoneInfo(org.timezone)).date()
    long_ago = today - dt.timedelta(days=400)
    for role, hourly in (("Engineer", "60"), ("Manager", "90")):
        services.create_rate(
            actor=owner, organisation=org, role=role, hourly=hourly, effective_from=long_ago
        )
    ann = member(org, Role.MEMBER, full_name="Ann")
    membership = Membership.objects.get(organisation=org, user=ann)
    # A first title says what she has been all along: last month's hours are an engineer's.
    set_job_title(actor=owner, membership=membership, job_title="Engineer")
    last_month = today - dt.timedelta(days=30)
    book = rates_for(org, [ann.pk], long_ago, today)
    assert book.hourly(ann.pk, last_month) == Decimal("60")
    membership.refresh_from_db()
    set_job_title(actor=owner, membership=membership, job_title="Manager")
    book = rates_for(org, [ann.pk], long_ago, today + dt.timedelta(days=30))
    assert book.hourly(ann.pk, last_month) == Decimal("60")  # was 90 before
    assert book.cost(ann.pk, last_month, Decimal(8), overtime=False) == Decimal("480.00")
    assert book.hourly(ann.pk, today) == Decimal("90")
    assert book.hourly(ann.pk, today + dt.timedelta(days=30)) == Decimal("90")
    assert list(JobTitlePeriod.objects.filter(user=ann).values_list("since", "title")) == [
        (TITLES_BEGIN, "Engineer"),
        (today, "Manager"),
    ]
    # Changed again the same day: the day's title is the last one.
    membership.refresh_from_db()
    set_job_title(actor=owner, membership=membership, job_title="Engineer")
    assert rates_for(org, [ann.pk], long_ago, today).hourly(ann.pk, today) == Decimal("60")
    assert JobTitlePeriod.objects.filter(user=ann).count() == 2
