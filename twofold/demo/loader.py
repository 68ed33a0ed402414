"""Loads the whole demo story; each bounded context adds its part here."""

from __future__ import annotations

from twofold.attachments import demo as attachments_demo
from twofold.calendars import demo as calendars_demo
from twofold.capacity import demo as capacity_demo
from twofold.capacity import demo_model as capacity_model_demo
from twofold.closeout import demo as closeout_demo
from twofold.customfields import demo as customfields_demo
from twofold.demo import costs as costs_demo
from twofold.demo import evm as evm_demo
from twofold.demo import loop as loop_demo
from twofold.demo import notifications as notifications_demo
from twofold.demo.people import load_people
from twofold.improvement import demo as improvement_demo
from twofold.improvement import demo_proof as improvement_proof_demo
from twofold.operations import demo as operations_demo
from twofold.operations import demo_records as operations_records_demo
from twofold.project_templates import demo as templates_demo
from twofold.projects import demo as projects_demo
from twofold.quality import demo as quality_demo
from twofold.risks import demo as risks_demo
from twofold.search.index import reindex


def load_demo() -> str:
    org, _user = load_people()
    people = {m.user.full_name: m.user for m in org.memberships.select_related("user")}
    parts = [f"{org.name} with {len(people)} people in {org.teams.count()} teams"]
    loaders = (
        calendars_demo.load,  # first: the projects schedule on the default calendar
        projects_demo.load,
        customfields_demo.load,
        attachments_demo.load,
        operations_demo.load,
        quality_demo.load,  # after operations: a torque check on Line 2
        operations_records_demo.load,
        capacity_demo.load,
        capacity_model_demo.load,
        risks_demo.load,
        improvement_demo.load,
        improvement_proof_demo.load,  # an improvement confirmed on its control chart
        templates_demo.load,
        closeout_demo.load,  # accepts the pilot's handover, lessons learned
        loop_demo.load,  # the vision check's handover to a new process, awaiting acceptance
        costs_demo.load,  # rates, a year of timesheets, expenses, process budgets
        evm_demo.load,  # budgets, actual cost (CPI 0.86 and 1.00), change requests
        projects_demo.refresh_snapshots,  # progress history as the projects now stand
        notifications_demo.load,  # last: what the worker would have told people by now
    )
    for loader in loaders:
        summary = loader(org, people)
        if summary:
            parts.append(summary)
    parts.append(f"{reindex(org.pk)} search documents")
    return "; ".join(parts)
