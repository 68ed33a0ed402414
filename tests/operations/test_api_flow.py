"""Flow metrics through the API: the flow page's figures."""

from __future__ import annotations

from typing import Any

import pytest

from twofold.operations import services

pytestmark = pytest.mark.django_db


def test_flow_metrics_count_the_queue_requests(
    org: Any, owner: Any, queue: Any, outsider: Any, api: Any
) -> None:
    services.create_request(actor=owner, queue=queue, title="Badge reader down")
    url = f"/api/organisations/{org.pk}/flow-metrics"

    got = api(owner).get(url)

    assert got.status_code == 200
    body = got.json()
    assert (body["source"], body["items"], body["done"]) == ("requests", 1, 0)
    assert len(body["throughput"]["labels"]) == len(body["throughput"]["counts"])
    assert body["cfd"]["states"] == ["Arrived", "Started", "Done"]
    assert body["how_many"] is None  # nothing finished yet: no history to forecast from
    occurrences = api(owner).get(f"{url}?source=occurrences").json()
    assert (occurrences["source"], occurrences["items"]) == ("occurrences", 0)
    for bad, field in (("source=tasks", "source"), ("by=soon", "by"), ("items=0", "items")):
        refused = api(owner).get(f"{url}?{bad}")
        assert (refused.status_code, refused.json()["field"]) == (422, field)
    assert api(outsider).get(url).status_code == 404
