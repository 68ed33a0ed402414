"""The API contract sweep: schemathesis against a live, seeded Twofold, with a member's token.

Every operation the OpenAPI document lists at run time is exercised (no fixed list: routes
added later are swept too), with every check except ``positive_data_acceptance`` (valid-looking
data may still be refused by business rules: a member may not archive, a version may be stale)
and 20 generated examples per operation, plus schemathesis' coverage and stateful phases.
Zero failures is the bar. ``.ci/run`` runs it on SQLite and on PostgreSQL.

Path ids are drawn from the seeded rows (the demo organisation) most of the time, so requests
reach real objects and not only 404s; the rest of the time schemathesis picks its own values,
malformed ones included. Reproduce a run with ``TWOFOLD_SWEEP_SEED=<seed>``; a quicker run
without the coverage phase (about half the requests) with
``TWOFOLD_SWEEP_PHASES=examples,fuzzing,stateful``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps

from twofold.accounts.models import Membership, Role
from twofold.accounts.services import create_api_token
from twofold.api import api
from twofold.demo.loader import load_demo

pytestmark = [pytest.mark.schemathesis, pytest.mark.django_db(transaction=True)]

EXAMPLES_PER_OPERATION = 20
DEFAULT_SEED = 20261202
# The collection a path parameter follows (``/routines/{pk}``) → the model whose ids it takes.
COLLECTIONS = {
    "absences": "capacity.Absence",
    "calendars": "calendars.Calendar",
    "checklist": "projects.ChecklistItem",
    "fields": "customfields.FieldDefinition",
    "handovers": "improvement.Handover",
    "holidays": "calendars.Holiday",
    "items": "improvement.ImprovementItem",
    "jobs": "core.Job",
    "kpis": "operations.Kpi",
    "links": "projects.Link",
    "members": "accounts.Membership",
    "occurrences": "operations.Occurrence",
    "organisations": "accounts.Organisation",
    "patterns": "capacity.WorkingPattern",
    "people": "accounts.User",
    "processes": "operations.Process",
    "programmes": "projects.Programme",
    "projects": "projects.Project",
    "queues": "operations.Queue",
    "rates": "costs.Rate",
    "requests": "operations.Request",
    "risks": "risks.Risk",
    "routines": "operations.Routine",
    "tasks": "projects.Task",
    "teams": "accounts.Team",
    "templates": "project_templates.ProjectTemplate",
}
_PARAM = re.compile(r"([\w-]+)/\{(\w+)\}")


def _ids(label: str) -> list[int]:
    model = apps.get_model(label)
    return list(model._default_manager.order_by("pk").values_list("pk", flat=True)[:12])


def _toml(value: Any) -> str:
    # JSON strings, numbers, booleans and arrays are valid TOML values.
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + " }"
    return json.dumps(value)


def sweep_config(schema: dict[str, Any]) -> str:
    """schemathesis.toml: per operation, its path ids drawn 90 % of the time from seeded rows."""
    lines: list[str] = [
        # The coverage phase sends every boundary and malformed value the schema defines (it
        # takes no cap); sending every other HTTP method to every path as well would double it,
        # so that probe (405 answers) is left to two methods.
        "[phases.coverage]\ngenerate-duplicate-query-parameters = false\n"
        'unexpected-methods = ["PUT", "TRACE"]\n'
    ]
    dictionaries = {}
    for collection, label in sorted(COLLECTIONS.items()):
        ids = _ids(label)
        if ids:
            dictionaries[collection] = ids
            lines.append(f"[dictionaries.{collection}]\nvalues = {_toml(ids)}\n")
    for path, methods in sorted(schema["paths"].items()):
        bound = {
            f"path.{param}": {"dictionary": collection, "probability": 0.9}
            for collection, param in _PARAM.findall(path)
            if collection in dictionaries
        }
        if not bound:
            continue
        for method in sorted(methods):
            lines.append(
                "[[operations]]\n"
                f"include-path = {_toml(path)}\n"
                f"include-method = {_toml(method.upper())}\n"
                f"parameters = {_toml(bound)}\n"
            )
    return "\n".join(lines)


@pytest.fixture
def member_token(settings: Any) -> str:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    load_demo()
    membership = (
        Membership.objects.filter(role=Role.MEMBER).select_related("user").order_by("pk").first()
    )
    assert membership is not None
    _token, secret = create_api_token(actor=membership.user, name="sweep", expires_in_days=1)
    return secret


def test_every_api_operation_keeps_its_documented_contract(
    live_server: Any, member_token: str, tmp_path: Path
) -> None:
    schema = api.get_openapi_schema(path_prefix="/api/")
    config = tmp_path / "schemathesis.toml"
    config.write_text(sweep_config(dict(schema)))
    # The document is the one the app serves (same code); a file spares a loaded machine the
    # schemathesis' 10-second limit on fetching it.
    document = tmp_path / "openapi.json"
    document.write_text(json.dumps(schema))
    seed = os.environ.get("TWOFOLD_SWEEP_SEED", str(DEFAULT_SEED))
    command = [
        str(Path(sys.executable).with_name("st")),
        "--config-file",
        str(config),
        "run",
        str(document),
        "--url",
        live_server.url,
        "--request-timeout",
        "60",
        "--header",
        f"Authorization: Bearer {member_token}",
        "--checks",
        "all",
        "--exclude-checks",
        "positive_data_acceptance",
        "--max-examples",
        os.environ.get("TWOFOLD_SWEEP_EXAMPLES", str(EXAMPLES_PER_OPERATION)),
        "--seed",
        seed,
        "--generation-database",
        "none",
        "--workers",
        "1",
        "--no-color",
        "--warnings",
        "off",
    ]
    if phases := os.environ.get("TWOFOLD_SWEEP_PHASES"):  # e.g. examples,fuzzing,stateful
        command += ["--phases", phases]
    started = time.monotonic()
    run = subprocess.run(  # its cache folder goes to tmp_path, not the worktree
        command, capture_output=True, text=True, timeout=1800, check=False, cwd=tmp_path
    )
    elapsed = time.monotonic() - started
    output = run.stdout + run.stderr
    report = Path(os.environ.get("TWOFOLD_ARTIFACTS", "test-artifacts")).absolute()
    report = report / "schemathesis.txt"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(output)
    summary = output[output.rfind("SUMMARY") :] if "SUMMARY" in output else output[-3000:]
    print(f"schemathesis sweep: {elapsed:.1f}s, seed {seed}\n{summary}")  # noqa: T201
    assert run.returncode == 0, output[-30000:]
