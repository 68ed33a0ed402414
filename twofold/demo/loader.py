"""Loads the whole demo story; each bounded context adds its part here."""

from __future__ import annotations

from twofold.demo.people import load_people


def load_demo() -> str:
    org, _user = load_people()
    return f"{org.name} with {org.memberships.count()} people in {org.teams.count()} teams"
