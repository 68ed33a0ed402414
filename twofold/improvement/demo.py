"""This context's part of the demo story (called by twofold/demo/loader.py last)."""

from __future__ import annotations

from twofold.accounts.models import Organisation, User


def load(organisation: Organisation, people: dict[str, User]) -> str:
    """Create demo data for ``organisation``; ``people`` maps full names to users. Returns a summary."""
    return ""
