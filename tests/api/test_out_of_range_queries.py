"""Query parameters no database can compare with answer 422 naming the parameter, as JSON, on
both databases: a moment in the year 10000 once in UTC, an id beyond 64 bits (each was a 500
with the HTML error page until 2026-12-06)."""

from __future__ import annotations

from typing import Any

import pytest

HUGE = "99999999999999999999"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("projects?updated_since=9999-12-31T23:59:59-12:00", "updated_since"),
        ("projects?updated_since=0001-01-01T00:00:00%2B14:00", "updated_since"),
        ("deleted?deleted_since=9999-12-31T23:59:59-12:00", "deleted_since"),
        (f"lessons?project_id={HUGE}", "project_id"),
        (f"lessons?template_id={HUGE}", "template_id"),
        (f"nonconformances?process_id={HUGE}", "process_id"),
        (f"activity?person_id={HUGE}", "person_id"),
        (f"history/export?project_id={HUGE}", "project_id"),
    ],
)
def test_out_of_range_query_values_are_a_422_naming_them(
    api: Any, org: Any, owner: Any, path: str, parameter: str
) -> None:
    answer = api(owner).get(f"/api/organisations/{org.pk}/{path}")
    assert answer.status_code == 422, answer.content[:200]
    assert parameter in answer.content.decode()
    assert answer["Content-Type"].startswith("application/json")
