"""Writes for risks. Each: check permission, one transaction, history, versions for edits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from twofold.accounts.models import Membership, Role, User
from twofold.core import dates, history, trash
from twofold.core.concurrency import save_versioned
from twofold.core.errors import Conflict, Invalid
from twofold.core.jobs import Progress
from twofold.core.models import Job
from twofold.core.policy import Action, require
from twofold.core.services import enqueue_job
from twofold.projects.models import Project, Task
from twofold.projects.scheduling import TASK_PLAN_FIELDS, link_rows
from twofold.projects.services import DATE_MESSAGE, FIRST_DAY, LAST_DAY, tz_of
from twofold.risks import simulation
from twofold.risks.models import (
    MAX_ITERATIONS,
    Category,
    Distribution,
    Response,
    Risk,
    RiskAnalysis,
    RiskStatus,
)

RISK_FIELDS = [
    "title",
    "description",
    "category",
    "owner",
    "probability",
    "impact",
    "status",
    "response",
    "mitigation",
    "due_date",
    "impact_min_days",
    "impact_likely_days",
    "impact_max_days",
]
NULLABLE = frozenset(
    {"owner", "due_date", "impact_min_days", "impact_likely_days", "impact_max_days"}
)
IMPACT_FIELDS = ("impact_min_days", "impact_likely_days", "impact_max_days")
MAX_IMPACT_DAYS = Decimal(1000)


def _choice(values: dict[str, Any], name: str, allowed: list[str]) -> None:
    if name in values and values[name] not in allowed:
        raise Invalid(f"Choose one of: {', '.join(allowed)}.", field=name)


def _one_to_five(values: dict[str, Any], name: str) -> None:
    if name not in values:
        return
    value = values[name]
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise Invalid(f"{name.capitalize()} is rated from 1 to 5.", field=name)


def _days(value: Any, name: str) -> Decimal | None:
    if value is None:
        return None
    try:
        exact = Decimal(str(value))
        days = exact.quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError) as exc:
        raise Invalid("Give a number of working days.", field=name) from exc
    if days != exact:  # as the page refuses it: the API's 2.25 was stored as 2.2 unsaid
        raise Invalid("Give working days with at most one decimal place.", field=name)
    if not Decimal(0) <= days <= MAX_IMPACT_DAYS:
        raise Invalid(f"Give between 0 and {MAX_IMPACT_DAYS} working days.", field=name)
    return days


def _clean(risk_or_project: Risk | Project, values: dict[str, Any], current: Risk | None) -> None:
    """Validate and normalise ``values`` in place (the same rules for create and edit)."""
    unknown = set(values) - set(RISK_FIELDS)
    if unknown:
        raise Invalid(f"Unknown field {sorted(unknown)[0]}.", field=sorted(unknown)[0])
    for name, value in values.items():
        if value is None and name not in NULLABLE:
            raise Invalid(f"Give a value for {name}.", field=name)
    if "title" in values:
        values["title"] = str(values["title"]).strip()
        if not values["title"]:
            raise Invalid("A risk needs a title.", field="title")
        if len(values["title"]) > 200:
            raise Invalid("Keep the title under 200 characters.", field="title")
    _choice(values, "category", Category.values)
    _choice(values, "status", RiskStatus.values)
    _choice(values, "response", Response.values)
    _one_to_five(values, "probability")
    _one_to_five(values, "impact")
    day = values.get("due_date")
    if day is not None and not (isinstance(day, dt.date) and FIRST_DAY <= day <= LAST_DAY):
        raise Invalid(DATE_MESSAGE, field="due_date")
    owner = values.get("owner")
    if owner is not None:
        role = (
            Membership.objects.filter(organisation_id=risk_or_project.organisation_id, user=owner)
            .values_list("role", flat=True)
            .first()
        )
        if role is None or role == Role.GUEST:
            raise Invalid(
                "The owner must be a member of the organisation (not a guest).", field="owner"
            )
    for name in IMPACT_FIELDS:
        if name in values:
            values[name] = _days(values[name], name)
    # The schedule impact as it will be after the change.
    impact = {
        name: values[name] if name in values else (getattr(current, name) if current else None)
        for name in IMPACT_FIELDS
    }
    low, likely, high = (impact[name] for name in IMPACT_FIELDS)
    if likely is None and (low is not None or high is not None):
        raise Invalid(
            "Give the most likely delay too (or clear the minimum and maximum).",
            field="impact_likely_days",
        )
    if low is not None and likely is not None and low > likely:
        raise Invalid("The minimum delay cannot exceed the most likely.", field="impact_min_days")
    if high is not None and likely is not None and high < likely:
        raise Invalid("The maximum delay cannot be below the most likely.", field="impact_max_days")


def _check_tasks(project: Project, tasks: Iterable[Task]) -> list[Task]:
    chosen = list(tasks)
    ids = {t.pk for t in chosen}
    known = set(Task.objects.filter(project=project, pk__in=ids).values_list("pk", flat=True))
    if ids - known:
        raise Invalid("Link only tasks of this project.", field="tasks")
    return chosen


def _task_names(tasks: Iterable[Task]) -> list[str]:
    return sorted(t.name for t in tasks)


@transaction.atomic
def create_risk(
    *, actor: User, project: Project, tasks: Iterable[Task] = (), **values: Any
) -> Risk:
    require(actor, Action.EDIT, project)
    if "title" not in values:
        raise Invalid("A risk needs a title.", field="title")
    _clean(project, values, None)
    chosen = _check_tasks(project, tasks)
    risk = Risk(organisation_id=project.organisation_id, project=project, **values)
    risk.score = risk.probability * risk.impact
    risk.save()
    risk.tasks.set(chosen)
    history.record(
        actor=actor,
        obj=risk,
        action="created",
        changes={"score": [None, risk.score]},
        summary=f"Raised risk “{risk.title}” on {project.code}",
    )
    return risk


@transaction.atomic
def update_risk(
    *,
    actor: User,
    risk: Risk,
    expected_version: int | None,
    tasks: Iterable[Task] | None = None,
    **values: Any,
) -> Risk:
    require(actor, Action.EDIT, risk)
    _clean(risk, values, risk)
    before = history.snapshot(risk, [*values, "score"])
    before_tasks = _task_names(risk.tasks.all())
    for key, value in values.items():
        setattr(risk, key, value)
    risk.score = risk.probability * risk.impact
    save_versioned(risk, expected_version=expected_version, fields=[*values, "score"])
    changes = history.diff(before, history.snapshot(risk, [*values, "score"]))
    if tasks is not None:
        chosen = _check_tasks(risk.project, tasks)
        risk.tasks.set(chosen)
        after_tasks = _task_names(chosen)
        if after_tasks != before_tasks:
            changes["tasks"] = [before_tasks, after_tasks]
    if changes:
        history.record(actor=actor, obj=risk, action="updated", changes=changes)
    return risk


@transaction.atomic
def delete_risk(*, actor: User, risk: Risk, expected_version: int | None = None) -> None:
    """Move the risk to the trash (an admin can restore it within the retention)."""
    trash.move_to_trash(actor=actor, obj=risk, expected_version=expected_version)


# ---------------------------------------------------------------------------------------------
# Schedule risk


def _analysis_for_update(project: Project) -> RiskAnalysis:
    analysis, _ = RiskAnalysis.objects.select_for_update().get_or_create(
        project=project, defaults={"organisation_id": project.organisation_id}
    )
    analysis.project = project
    return analysis


def _clean_estimates(
    project: Project, estimates: dict[int, tuple[Any, Any, Any]]
) -> dict[str, list[int]]:
    """``{task id: (optimistic, likely, pessimistic) minutes}`` → stored form, checked."""
    known = dict(
        Task.objects.filter(project=project, is_summary=False, is_milestone=False).values_list(
            "pk", "name"
        )
    )
    out: dict[str, list[int]] = {}
    for task_id, triple in estimates.items():
        if task_id not in known:
            raise Invalid(
                "Estimate only tasks of this project (not summaries or milestones).",
                field="estimates",
            )
        try:
            low, mode, high = (int(v) for v in triple)
        except (TypeError, ValueError) as exc:
            raise Invalid(f"{known[task_id]}: give three numbers.", field="estimates") from exc
        if not 0 <= low <= mode <= high <= 960_000:
            raise Invalid(
                f"{known[task_id]}: the estimates must satisfy 0 ≤ optimistic ≤ most likely ≤ pessimistic.",
                field="estimates",
            )
        out[str(task_id)] = [low, mode, high]
    return out


@transaction.atomic
def save_settings(
    *,
    actor: User,
    project: Project,
    expected_version: int | None,
    distribution: str | None = None,
    iterations: int | None = None,
    seed: int | None = None,
    estimates: dict[int, tuple[Any, Any, Any]] | None = None,
) -> RiskAnalysis:
    """Change the distribution, iterations, seed or three-point estimates (merged by task)."""
    require(actor, Action.EDIT, project)
    analysis = _analysis_for_update(project)
    values: dict[str, Any] = {}
    if distribution is not None:
        if distribution not in Distribution.values:
            raise Invalid("Choose triangular or PERT.", field="distribution")
        values["distribution"] = distribution
    if iterations is not None:
        if isinstance(iterations, bool) or not 100 <= iterations <= MAX_ITERATIONS:
            raise Invalid(f"Run between 100 and {MAX_ITERATIONS:,} iterations.", field="iterations")
        values["iterations"] = iterations
    if seed is not None:
        if isinstance(seed, bool) or not 0 <= seed <= 2**31 - 1:
            raise Invalid("The seed is a whole number from 0.", field="seed")
        values["seed"] = seed
    if estimates is not None:
        cleaned = _clean_estimates(project, estimates)
        values["estimates"] = {**(analysis.estimates or {}), **cleaned}
    before = history.snapshot(analysis, [k for k in values if k != "estimates"])
    for key, value in values.items():
        setattr(analysis, key, value)
    save_versioned(analysis, expected_version=expected_version, fields=list(values))
    changes = history.diff(
        before, history.snapshot(analysis, [k for k in values if k != "estimates"])
    )
    if estimates:
        changes["estimates"] = [None, f"{len(estimates)} task estimate(s) saved"]
    if changes:
        history.record(actor=actor, obj=analysis, action="settings changed", changes=changes)
    return analysis


def network_for(project: Project, analysis: RiskAnalysis) -> simulation.Network:
    """The engine network of ``project`` with the analysis' estimates (four queries)."""
    tasks = list(Task.objects.filter(project=project).only(*TASK_PLAN_FIELDS).order_by("position"))
    links = link_rows(project, {t.pk for t in tasks})
    risks = list(
        Risk.objects.filter(project=project)
        .exclude(status=RiskStatus.CLOSED)
        .prefetch_related("tasks")
    )
    return simulation.build_network(
        project,
        tasks,
        links,
        risks,
        estimates=analysis.estimates or {},
        distribution=analysis.distribution,
        tzinfo=tz_of(project.organisation),
    )


@transaction.atomic
def run_simulation(
    *,
    actor: User | None,
    project: Project,
    expected_version: int | None,
    **settings: Any,
) -> RiskAnalysis:
    """Save any settings given, run the Monte Carlo here and now, and store the summary.

    For runs too large for a request use :func:`request_simulation`, which queues them.
    """
    if actor is not None:
        require(actor, Action.EDIT, project)
    if settings:
        assert actor is not None
        analysis = save_settings(
            actor=actor, project=project, expected_version=expected_version, **settings
        )
        expected_version = analysis.version
    analysis = _analysis_for_update(project)
    net = _network_to_simulate(project, analysis)
    try:
        outcome = simulation.run(
            project,
            net,
            iterations=analysis.iterations,
            seed=analysis.seed,
            target=project.target_finish,
        )
    except ValueError as exc:
        raise Invalid(
            f"{analysis.iterations:,} iterations of {net.nodes} tasks would take too long to run "
            "here; choose fewer iterations.",
            field="iterations",
        ) from exc
    return _store_outcome(
        actor=actor, analysis=analysis, outcome=outcome, expected_version=expected_version
    )


def _network_to_simulate(project: Project, analysis: RiskAnalysis) -> simulation.Network:
    net = network_for(project, analysis)
    if net.nodes == 0:
        raise Invalid(
            "Add tasks to the project before simulating its schedule.", field="iterations"
        )
    return net


def _store_outcome(
    *,
    actor: User | None,
    analysis: RiskAnalysis,
    outcome: simulation.Outcome,
    expected_version: int | None,
) -> RiskAnalysis:
    """Save a run's summary on the analysis (inside the caller's transaction) with history."""
    tzinfo = tz_of(analysis.project.organisation)
    analysis.p50 = outcome.p50.replace(tzinfo=tzinfo)
    analysis.p80 = outcome.p80.replace(tzinfo=tzinfo)
    analysis.p95 = outcome.p95.replace(tzinfo=tzinfo)
    analysis.deterministic_finish = outcome.deterministic.replace(tzinfo=tzinfo)
    analysis.chance_on_target = outcome.chance_on_target
    analysis.result = outcome.summary
    analysis.ran_at = timezone.now()
    analysis.ran_by = actor
    fields = [
        "p50",
        "p80",
        "p95",
        "deterministic_finish",
        "chance_on_target",
        "result",
        "ran_at",
        "ran_by",
    ]
    save_versioned(analysis, expected_version=expected_version, fields=fields)
    chance = (
        f", {outcome.chance_on_target:.0%} chance of meeting the target"
        if outcome.chance_on_target is not None
        else ""
    )
    history.record(
        actor=actor,
        obj=analysis,
        action="simulated",
        summary=f"{analysis.iterations:,} iterations: P50 {dates.format_day(outcome.p50)}, "
        f"P80 {dates.format_day(outcome.p80)}{chance}",
    )
    return analysis


# ---------------------------------------------------------------------------------------------
# Large runs in the background

SIMULATION_JOB = "risks.simulation"
TOO_MUCH = (
    "{iterations:,} iterations of {nodes:,} tasks is more than Twofold simulates even in the "
    "background (at most {limit:,} iterations × tasks); choose at most {fit:,} iterations."
)
SETTINGS_CHANGED = (
    "The simulation settings or estimates changed after this run was started; run it again."
)


@transaction.atomic
def request_simulation(
    *,
    actor: User,
    project: Project,
    expected_version: int | None,
    **settings: Any,
) -> RiskAnalysis | Job:
    """Save any settings given, then simulate now if the run is small, else queue a job.

    Returns the analysis with its new result, or the queued :class:`Job` (kind
    ``risks.simulation``), whose worker stores the result when it finishes.

    Raises:
        Invalid: bad settings, no tasks, or a run too large even for the background.
    """
    require(actor, Action.EDIT, project)
    if settings:
        analysis = save_settings(
            actor=actor, project=project, expected_version=expected_version, **settings
        )
        expected_version = analysis.version
    analysis = _analysis_for_update(project)
    net = _network_to_simulate(project, analysis)
    work = analysis.iterations * net.nodes
    if work <= simulation.MAX_WORK:
        return run_simulation(actor=actor, project=project, expected_version=expected_version)
    if work > simulation.MAX_JOB_WORK:
        raise Invalid(
            TOO_MUCH.format(
                iterations=analysis.iterations,
                nodes=net.nodes,
                limit=simulation.MAX_JOB_WORK,
                fit=simulation.MAX_JOB_WORK // net.nodes,
            ),
            field="iterations",
        )
    if expected_version is not None and expected_version != analysis.version:
        raise Conflict(
            "The simulation settings changed since you loaded them: reload and run again."
        )
    return enqueue_job(
        actor=actor,
        kind=SIMULATION_JOB,
        subject=project,
        params={"version": analysis.version, "iterations": analysis.iterations},
    )


def simulate_in_background(
    *, actor: User, project: Project, expected_version: int, progress: Progress
) -> dict[str, Any]:
    """The job's work: simulate with progress reports, then store the result if it finished.

    Runs outside a transaction (progress must commit as it goes); only the final write takes
    one. A cancelled run stores nothing and says how far it got.

    Raises:
        Conflict: the settings changed since the job was queued.
        Invalid: the run is too large or the project has no tasks any more.
    """
    require(actor, Action.EDIT, project)
    analysis = RiskAnalysis.objects.get(project=project)
    analysis.project = project
    if analysis.version != expected_version:
        raise Conflict(SETTINGS_CHANGED)
    net = _network_to_simulate(project, analysis)
    total = analysis.iterations

    def report(fraction: float, done: int) -> bool:
        return progress(fraction, f"{done:,} of {total:,} iterations simulated")

    try:
        outcome = simulation.run(
            project,
            net,
            iterations=total,
            seed=analysis.seed,
            target=project.target_finish,
            progress=report,
        )
    except ValueError as exc:
        raise Invalid(
            TOO_MUCH.format(
                iterations=total,
                nodes=net.nodes,
                limit=simulation.MAX_JOB_WORK,
                fit=simulation.MAX_JOB_WORK // net.nodes,
            ),
            field="iterations",
        ) from exc
    done = int(outcome.summary["iterations"])
    if outcome.summary.get("stopped_early"):
        return {"stopped_early": True, "iterations_done": done, "iterations": total}
    with transaction.atomic():
        locked = _analysis_for_update(project)
        if locked.version != expected_version:
            raise Conflict(SETTINGS_CHANGED)
        _store_outcome(
            actor=actor, analysis=locked, outcome=outcome, expected_version=expected_version
        )
    return {
        "iterations": total,
        "p50": outcome.p50.isoformat(timespec="minutes"),
        "p80": outcome.p80.isoformat(timespec="minutes"),
        "p95": outcome.p95.isoformat(timespec="minutes"),
        "chance_on_target": outcome.chance_on_target,
    }
