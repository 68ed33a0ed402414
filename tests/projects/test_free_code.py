"""The imports' free project code is one the project service accepts, on every database."""

from __future__ import annotations

from typing import Any

import pytest

from twofold.core.trash import move_to_trash
from twofold.projects import services
from twofold.projects.selectors import free_project_code

pytestmark = pytest.mark.django_db


def test_the_free_code_is_one_the_service_accepts(org: Any, owner: Any) -> None:
    """Under an ICU locale (CI's PostgreSQL) "STRASSE" equals "Straße" for the service's
    ``iexact`` but not for Python's ``lower()``: the import offered a code the service then
    refused, and the import failed."""
    services.create_project(actor=owner, organisation=org, name="Road", code="Straße")
    trashed = services.create_project(actor=owner, organisation=org, name="Old", code="PLANT")
    move_to_trash(actor=owner, obj=trashed)
    services.create_project(actor=owner, organisation=org, name="Plant 2", code="plant-2")

    assert free_project_code(org, "PLANT") == "PLANT-3"  # the trash keeps its code
    code = free_project_code(org, "STRASSE")
    services.create_project(actor=owner, organisation=org, name="Import", code=code)
