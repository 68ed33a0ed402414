"""The demo organisation: Halvorsen Precision, a mid-size maker of machined parts (~250 staff).

Its people are the shared pool both sides draw on: engineers who run improvement projects
and also keep the lines running, a quality team that owns KPIs, IT that patches servers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from twofold.accounts.models import Membership, Organisation, Role, Team, User
from twofold.core import history
from twofold.demo.backdate import at_local, happened, workday

DEMO_EMAIL = "demo@twofold.example"
DEMO_PASSWORD = "twofold-demo"  # noqa: S105 - published demo sign-in
DOMAIN = "halvorsen.example"


@dataclass(frozen=True)
class Person:
    name: str
    title: str
    role: Role
    teams: tuple[str, ...]
    capacity: int = 40


TEAMS = {
    "Leadership": "Sets direction and signs off phase gates.",
    "Engineering": "Product and process engineering; runs most improvement projects.",
    "Production": "Runs Lines 1–3, two shifts, five days a week.",
    "Quality": "Inspection, customer complaints, KPIs and control charts.",
    "Maintenance": "Planned and reactive maintenance of machines and the building.",
    "IT": "Servers, the ERP system, the shop-floor network and the service desk.",
    "Finance": "Month-end close, budgets and cost control.",
    "PMO": "Portfolio, project methods and reporting.",
}

SET_UP_DAYS_AGO = 430
"""Halvorsen Precision set Twofold up about fourteen months ago (before the oldest story in it:
the predictive greasing raised 400 days ago, the rates of 400 days ago)."""

PEOPLE = [
    Person("Dana Whitfield", "Head of Operations & PMO", Role.OWNER, ("Leadership", "PMO")),
    Person("Ingrid Halvorsen", "Managing Director", Role.OWNER, ("Leadership",)),
    Person("Marcus Obi", "Engineering Manager", Role.ADMIN, ("Leadership", "Engineering")),
    Person("Priya Raman", "Senior Process Engineer", Role.MEMBER, ("Engineering",)),
    Person("Tomasz Nowak", "Automation Engineer", Role.MEMBER, ("Engineering",)),
    Person("Elena Petrova", "Project Manager", Role.MEMBER, ("PMO",)),
    Person("Samuel Achebe", "Project Manager", Role.MEMBER, ("PMO",)),
    Person("Grace Liu", "Design Engineer", Role.MEMBER, ("Engineering",), 32),
    Person("Oliver Brandt", "Production Manager", Role.ADMIN, ("Leadership", "Production")),
    Person("Fatima Zahra", "Shift Lead, Line 1", Role.MEMBER, ("Production",)),
    Person("Jonas Berg", "Shift Lead, Line 2", Role.MEMBER, ("Production",)),
    Person("Aisha Mensah", "Production Planner", Role.MEMBER, ("Production",)),
    Person("Rita Costa", "Quality Manager", Role.ADMIN, ("Leadership", "Quality")),
    Person("Ben Carter", "Quality Inspector", Role.MEMBER, ("Quality",)),
    Person("Hana Sato", "Quality Engineer", Role.MEMBER, ("Quality", "Engineering")),
    Person("Luis Ortega", "Maintenance Supervisor", Role.MEMBER, ("Maintenance",)),
    Person("Kwame Asante", "Maintenance Technician", Role.MEMBER, ("Maintenance",)),
    Person("Chloe Martin", "IT Manager", Role.ADMIN, ("IT",)),
    Person("Raj Patel", "Systems Administrator", Role.MEMBER, ("IT",)),
    Person("Sofia Rossi", "Service Desk Analyst", Role.MEMBER, ("IT",), 30),
    Person("Henrik Lund", "Finance Controller", Role.MEMBER, ("Finance", "Leadership")),
    Person("Mei Chen", "Management Accountant", Role.MEMBER, ("Finance",)),
    Person("Peter Doyle", "Customer Auditor (external)", Role.GUEST, ()),
]


def _email(name: str) -> str:
    first, last = name.lower().split(" ", 1)
    return f"{first}.{last.replace(' ', '')}@{DOMAIN}"


@transaction.atomic
def load_people() -> tuple[Organisation, User]:
    """Create the organisation, its teams and people; the demo user is Dana Whitfield."""
    org = Organisation.objects.create(
        name="Halvorsen Precision",
        slug="halvorsen",
        description="Machined components for pumps and compressors. 250 staff, one site, three lines.",
        timezone="Europe/London",
        fiscal_year_start_month=4,
    )
    demo_user: User | None = None
    users: dict[str, User] = {}
    # Everyone in the demo signs in with the same password: hash it once (a strong hash costs
    # about 0.3 s of CPU, and the demo is loaded by `make run` and by many tests).
    password_hash = make_password(DEMO_PASSWORD)
    for i, p in enumerate(PEOPLE):
        email = DEMO_EMAIL if i == 0 else _email(p.name)
        user = User.objects.create_user(
            email=email,
            password=None,
            full_name=p.name,
            job_title=p.title,
            weekly_capacity_hours=p.capacity,
        )
        user.password = password_hash
        user.save(update_fields=["password"])
        users[p.name] = user
        Membership.objects.create(organisation=org, user=user, role=p.role)
        demo_user = demo_user or user
    assert demo_user is not None
    leads = {
        "Leadership": "Ingrid Halvorsen",
        "Engineering": "Marcus Obi",
        "Production": "Oliver Brandt",
        "Quality": "Rita Costa",
        "Maintenance": "Luis Ortega",
        "IT": "Chloe Martin",
        "Finance": "Henrik Lund",
        "PMO": "Dana Whitfield",
    }
    set_up = at_local(org, workday(timezone.localdate() - dt.timedelta(days=SET_UP_DAYS_AGO)), 9)
    with happened(org, set_up + dt.timedelta(minutes=20)):
        for name, description in TEAMS.items():
            team = Team.objects.create(
                organisation=org, name=name, description=description, lead=users[leads[name]]
            )
            team.members.set([users[p.name] for p in PEOPLE if name in p.teams])
            history.record(
                actor=demo_user, obj=team, action="created", summary=f"Created team {name}"
            )
    with happened(org, set_up):
        history.record(actor=demo_user, obj=org, action="created", summary="Organisation set up")
    # Everyone joined when the organisation was set up, not on the day the demo was loaded.
    Organisation.objects.filter(pk=org.pk).update(created_at=set_up)
    Membership.objects.filter(organisation=org).update(joined_at=set_up)
    User.objects.filter(pk__in=[u.pk for u in users.values()]).update(date_joined=set_up)
    org.refresh_from_db()
    return org, demo_user
