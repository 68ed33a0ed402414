"""The large demo (``twofold demo --scale large``) for benchmarks: ~300 projects, 60,000 tasks.

A separate organisation, "Halvorsen Precision (large)" (slug ``halvorsen-large``), with 200 people,
300 projects of a realistic shape (phases → work packages → tasks, a milestone closing each
phase), 60,000 tasks and about 150,000 links. Two projects are there for the benchmarks
(``benchmarks/web.py``): "Plant-wide MES rollout" with exactly 2,000 tasks, and
"Continuous improvement backlog", a kanban project whose board has exactly 1,000 cards.

Everything is built in memory, each project is scheduled once through the engine (with temporary
ids), progressed to today, and then written with ``bulk_create`` in batches: the whole load is
one transaction. A third of the projects that have started get a baseline (with the slip their
story says) and eight weeks of daily progress snapshots.

Sign in as ``demo-large@twofold.example`` with the demo password.
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
import random
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone

from twofold.accounts.models import Membership, Organisation, Role, Team, User
from twofold.calendars import demo as calendars_demo
from twofold.capacity import demo_large as capacity_large
from twofold.core import history
from twofold.demo import costs as costs_demo
from twofold.demo.people import DEMO_PASSWORD, PEOPLE
from twofold.engine.ordering import keys_between
from twofold.projects import scheduling
from twofold.projects.models import (
    PHASE_ORDER,
    Baseline,
    BaselineTask,
    Gate,
    GateItem,
    Link,
    Phase,
    Priority,
    Programme,
    ProgressSnapshot,
    Project,
    Task,
    TaskStatus,
)
from twofold.projects.progress import planned_curve, planned_percent
from twofold.projects.services import DEFAULT_GATE_ITEMS, tz_of

SLUG = "halvorsen-large"
EMAIL = "demo-large@twofold.example"
DOMAIN = "large.halvorsen.example"
PROJECTS = 300
TASKS = 60_000
PEOPLE_COUNT = 200
BIG_PROJECT = "Plant-wide MES rollout"
BIG_TASKS = 2_000
# The people who share the big project's tasks (issue 16 levels it with 50 people).
BIG_CREW = 50
BOARD_PROJECT = "Continuous improvement backlog"
BOARD_CARDS = 1_000
BATCH = 2_000
DAY = 480

FIRST = [
    "Anna",
    "Ben",
    "Carla",
    "David",
    "Emma",
    "Farid",
    "Greta",
    "Hugo",
    "Ines",
    "Jakob",
    "Kira",
    "Leo",
    "Maja",
    "Nils",
    "Olga",
    "Pavel",
    "Rosa",
    "Stefan",
    "Tara",
    "Umar",
    "Vera",
    "Wim",
    "Yara",
    "Zoe",
    "Arjun",
    "Bea",
    "Cyril",
    "Dilnoza",
    "Emil",
    "Freya",
    "Goran",
    "Hiro",
    "Ida",
    "Joao",
    "Lena",
    "Milo",
    "Nadia",
    "Omar",
    "Pia",
    "Ravi",
]
LAST = [
    "Andersen",
    "Bauer",
    "Castillo",
    "Dahl",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Hansen",
    "Iversen",
    "Jensen",
    "Kowalski",
    "Larsen",
    "Moreau",
    "Nakamura",
    "Okafor",
    "Popescu",
    "Quinn",
    "Rahman",
    "Schmidt",
    "Tanaka",
    "Ueda",
    "Vogel",
    "Wagner",
    "Xu",
    "Yilmaz",
    "Zimmermann",
    "Bakker",
    "Costa",
    "Dubois",
    "Evans",
]
TITLES = [
    "Process Engineer",
    "Manufacturing Engineer",
    "Quality Engineer",
    "Maintenance Technician",
    "Project Engineer",
    "Production Planner",
    "Automation Engineer",
    "Buyer",
    "Shift Lead",
    "Systems Analyst",
    "Project Manager",
    "Controls Engineer",
]
PROGRAMMES = {
    "Operational excellence": "Lean, quality and capacity improvements on the shop floor.",
    "Digital plant": "Systems and data that run the plant.",
    "Capacity expansion": "New machines, lines and buildings.",
    "Quality and compliance": "Certifications, audits and customer requirements.",
    "Energy and sustainability": "Energy use, emissions and waste.",
    "New product introduction": "Launching new part families with customers.",
}
# (programme, name pattern, phase names): the name pattern gets a number or a place.
KINDS: list[tuple[str, str, list[str]]] = [
    (
        "Operational excellence",
        "Line {n} SMED changeover reduction",
        ["Baseline", "Analysis", "Trials", "Standardise", "Close-out"],
    ),
    (
        "Capacity expansion",
        "CNC cell {n} commissioning",
        ["Preparation", "Procurement", "Installation", "Process", "Handover"],
    ),
    (
        "Capacity expansion",
        "Line {n} automation cell",
        ["Design", "Procurement", "Installation", "Commissioning", "Handover"],
    ),
    (
        "Digital plant",
        "ERP rollout: {place}",
        ["Discovery", "Design", "Build", "Test", "Cutover", "Hypercare"],
    ),
    (
        "Quality and compliance",
        "Supplier qualification: {place}",
        ["Assessment", "Audit", "Corrective actions", "Approval"],
    ),
    (
        "Quality and compliance",
        "Customer audit readiness {n}",
        ["Gap analysis", "Remediation", "Internal audit", "Certification"],
    ),
    (
        "Energy and sustainability",
        "Energy monitoring: {place}",
        ["Survey", "Metering", "Data collection", "Savings case"],
    ),
    (
        "New product introduction",
        "NPI: bracket family {n}",
        ["Quotation", "Design for manufacture", "Tooling", "First articles", "PPAP", "Ramp-up"],
    ),
]
PLACES = [
    "Hall A",
    "Hall B",
    "Hall C",
    "Paint shop",
    "Warehouse",
    "Tool room",
    "Finance",
    "Purchasing",
    "Heat treatment",
    "Assembly",
    "Despatch",
    "Boiler house",
    "Compressor room",
    "Site offices",
    "Test lab",
    "Deburring",
]
PACKAGES = [
    "Requirements",
    "Layout",
    "Risk assessment",
    "Specification",
    "Supplier selection",
    "Purchase orders",
    "Site preparation",
    "Utilities",
    "Mechanical works",
    "Electrical works",
    "Controls and PLC",
    "Software configuration",
    "Data migration",
    "Training",
    "Documentation",
    "Trials",
    "Capability study",
    "Acceptance",
]
VERBS = [
    "Draft",
    "Review",
    "Approve",
    "Order",
    "Install",
    "Configure",
    "Test",
    "Validate",
    "Measure",
    "Document",
    "Train users on",
    "Sign off",
]
OBJECTS = [
    "layout drawings",
    "safety concept",
    "work instructions",
    "control plan",
    "FMEA",
    "cable routes",
    "fixtures",
    "gauges",
    "PLC program",
    "HMI screens",
    "interfaces",
    "test scripts",
    "spare parts list",
    "maintenance plan",
    "cost estimate",
    "schedule update",
]


@dataclass
class _Proj:
    """One project being built in memory: its rows, temporary ids and links."""

    project: Project
    tasks: list[Task] = field(default_factory=list)
    depth: list[int] = field(default_factory=list)
    parent: list[int | None] = field(default_factory=list)
    links: list[tuple[int, int, str, int]] = field(default_factory=list)
    pace: float = 1.0
    slip_days: int = 0
    baseline: bool = False
    gate_phase: str = Phase.INITIATION


def _people(org: Organisation) -> dict[str, User]:
    """200 people: the 23 of the normal demo, then generated names (one password hash)."""
    password = make_password(DEMO_PASSWORD)
    names: list[tuple[str, str, Role]] = [(p.name, p.title, p.role) for p in PEOPLE]
    rng = random.Random(7)
    seen = {n for n, _, _ in names}
    i = 0
    while len(names) < PEOPLE_COUNT:
        name = f"{FIRST[i % len(FIRST)]} {LAST[(i * 7 + i // len(FIRST)) % len(LAST)]}"
        i += 1
        if name in seen:
            continue
        seen.add(name)
        role = Role.GUEST if len(names) % 40 == 0 else Role.MEMBER
        names.append((name, rng.choice(TITLES), role))
    users = []
    for n, (name, title, _role) in enumerate(names):
        first, last = name.lower().split(" ", 1)
        email = EMAIL if n == 0 else f"{first}.{last.replace(' ', '')}.{n}@{DOMAIN}"
        users.append(
            User(
                email=email,
                username=email,
                password=password,
                full_name=name,
                job_title=title,
            )
        )
    User.objects.bulk_create(users, batch_size=BATCH)
    Membership.objects.bulk_create(
        [
            Membership(organisation=org, user=u, role=role)
            for u, (_n, _t, role) in zip(users, names, strict=True)
        ],
        batch_size=BATCH,
    )
    for team, lead in (("PMO", 0), ("Engineering", 2), ("Quality", 12), ("IT", 17)):
        t = Team.objects.create(organisation=org, name=team, lead=users[lead])
        t.members.set(users[lead : lead + 40])
    return {u.full_name: u for u in users}


def _sizes(rng: random.Random) -> list[int]:
    """Task counts of the ordinary projects: between 90 and 300, summing to what is left."""
    count = PROJECTS - 2
    left = TASKS - BIG_TASKS - BOARD_CARDS
    sizes = [rng.randint(90, 300) for _ in range(count)]
    scale = left / sum(sizes)
    sizes = [max(40, round(s * scale)) for s in sizes]
    sizes[-1] += left - sum(sizes)
    return sizes


def _wbs(
    p: _Proj,
    phases: list[str],
    n: int,
    rng: random.Random,
    people: list[User],
    crew_size: int = 12,
) -> None:
    """Exactly ``n`` rows: phase summaries, work packages, tasks and a milestone per phase.

    The tasks are shared among ``crew_size`` people drawn from ``people``.
    """
    org = p.project.organisation
    crew = rng.sample(people, min(len(people), crew_size))

    def add(name: str, depth: int, parent: int | None, **kw: Any) -> int:
        p.tasks.append(Task(organisation=org, name=name, **kw))
        p.depth.append(depth)
        p.parent.append(parent)
        return len(p.tasks) - 1

    phases = phases[: max(2, min(len(phases), n // 12))]
    body = n - 2 * len(phases)
    shares = [body // len(phases)] * len(phases)
    shares[-1] += body - sum(shares)
    previous_leaves: list[int] = []
    previous_gate: int | None = None
    for phase, budget in zip(phases, shares, strict=True):
        top = add(phase, 0, None, is_summary=True, duration_minutes=0)
        wp = top
        packages: list[list[int]] = []
        leaves: list[int] = []
        while budget > 0:
            if budget == 1 and packages:
                k = 1
            else:
                k = min(rng.randint(3, 8), budget - 1)
                if budget - (k + 1) < 4:
                    k = budget - 1
                wp_name = f"{rng.choice(PACKAGES)} {len(packages) + 1}"
                wp = add(wp_name, 1, top, is_summary=True, duration_minutes=0)
                packages.append([])
                budget -= 1
            for _ in range(k):
                days = rng.choice((1, 2, 2, 3, 3, 4, 5, 5, 8, 10))
                name = f"{rng.choice(VERBS)} {rng.choice(OBJECTS)}"
                who = rng.choice(crew)
                leaf = add(
                    name,
                    2,
                    wp,
                    duration_minutes=days * DAY,
                    effort_minutes=days * DAY * rng.choice((1, 1, 2)),
                    assignee=who,
                    priority=rng.choice(
                        (Priority.NORMAL, Priority.NORMAL, Priority.HIGH, Priority.LOW)
                    ),
                )
                chain = packages[-1]
                preds: dict[int, tuple[str, int]] = {}
                if chain:
                    preds[chain[-1]] = ("FS", 0)
                elif previous_gate is not None:
                    preds[previous_gate] = ("FS", 0)
                elif len(packages) > 1 and rng.random() < 0.5:
                    preds[packages[-2][0]] = ("SS", rng.choice((1, 2)))
                # Density: hand-offs from the previous phase (they never stretch the plan) and
                # a few start-to-start or finish-to-finish ties inside the phase.
                extra = rng.choice((1, 1, 2, 2, 3, 3, 3))
                for pred in rng.sample(previous_leaves, min(extra, len(previous_leaves))):
                    preds.setdefault(pred, ("FS", 0))
                # Ties only to an earlier step of a neighbouring package, so they rarely bind.
                if len(packages) > 1 and len(chain) > 1 and rng.random() < 0.5:
                    other = packages[rng.randrange(max(0, len(packages) - 4), len(packages) - 1)]
                    step = other[rng.randrange(0, min(len(other), len(chain) - 1))]
                    tie = ("SS", rng.choice((0, 1))) if rng.random() < 0.7 else ("FF", 0)
                    preds.setdefault(step, tie)
                p.links.extend((a, leaf, kind, lag) for a, (kind, lag) in preds.items())
                chain.append(leaf)
                leaves.append(leaf)
                budget -= 1
        gate = add(f"{phase} complete", 1, top, is_milestone=True, duration_minutes=0)
        p.tasks[gate].assignee = p.project.manager
        for chain in packages:
            p.links.append((chain[-1], gate, "FS", 0))
        previous_leaves, previous_gate = leaves, gate


def _backlog(p: _Proj, n: int, rng: random.Random, people: list[User]) -> None:
    """A flat kanban backlog: ``n`` improvement ideas in 20 parallel streams."""
    crew = rng.sample(people, 25)
    for i in range(n):
        days = rng.choice((1, 1, 2, 3, 5))
        p.tasks.append(
            Task(
                organisation=p.project.organisation,
                name=f"Kaizen {i + 1}: {rng.choice(VERBS).lower()} {rng.choice(OBJECTS)}",
                duration_minutes=days * DAY,
                effort_minutes=days * DAY,
                assignee=rng.choice(crew),
                priority=rng.choice((Priority.NORMAL, Priority.HIGH, Priority.LOW)),
                description="Idea from the shop floor. **Owner** tests it on one shift first.",
            )
        )
        p.depth.append(0)
        p.parent.append(None)
        if i >= 20:
            p.links.append((i - 20, i, "FS", 0))


def _schedule(p: _Proj, tzinfo: dt.tzinfo) -> None:
    """Schedule with temporary ids (index + 1), then set progress from the dates."""
    for i, t in enumerate(p.tasks):
        t.pk = i + 1
        t.parent_id = None if p.parent[i] is None else p.parent[i] + 1  # type: ignore[operator]
    links = [
        Link(pred_id=a + 1, succ_id=b + 1, type=kind, lag=lag, lag_unit="d")
        for a, b, kind, lag in p.links
    ]
    result = scheduling.apply_schedule(p.project, p.tasks, links, tzinfo)
    now = timezone.now()
    for t in p.tasks:
        if t.is_summary or t.start is None or t.finish is None:
            continue
        if t.finish <= now:
            t.status, t.percent_complete = TaskStatus.DONE, 100
            t.actual_start, t.actual_finish = t.start.date(), t.finish.date()
        elif t.start <= now:
            elapsed = (now - t.start) / (t.finish - t.start) if t.finish > t.start else 1
            t.percent_complete = max(5, min(95, int(elapsed * 100 * p.pace) // 5 * 5))
            t.status = TaskStatus.REVIEW if t.percent_complete >= 80 else TaskStatus.DOING
            t.actual_start = t.start.date()
    leaves = sorted(
        (t for t in p.tasks if not t.is_summary), key=lambda t: (t.start or now, t.pk or 0)
    )
    # Summaries are not cards, but board keys are unique in a project: they go after the cards.
    cards = leaves + [t for t in p.tasks if t.is_summary]
    for t, key in zip(cards, keys_between(None, None, len(cards)), strict=True):
        t.board_key = key
    for t, key in zip(p.tasks, keys_between(None, None, len(p.tasks)), strict=True):
        t.position = key
    project = p.project
    project.scheduled_start = result.start_after
    project.scheduled_finish = result.finish_after
    project.percent_complete = scheduling.percent_complete(p.tasks)
    today = timezone.localdate()
    start = result.start_after.date() if result.start_after else today
    finish = result.finish_after.date() if result.finish_after else today
    if start > today + dt.timedelta(days=45):
        project.phase = Phase.INITIATION
    elif start > today:
        project.phase = Phase.PLANNING
    elif finish < today:
        project.phase = Phase.CLOSURE
    else:
        project.phase = Phase.EXECUTION
    project.status_date = today
    project.planned_curve = planned_curve(
        [
            (*_planned(p, i, t), float(t.duration_minutes or 60))
            for i, t in enumerate(p.tasks)
            if not t.is_summary
        ]
    )
    # The charter's target leaves some room; slipping projects have eaten it.
    project.target_finish = finish + dt.timedelta(days=max(0, 14 - 2 * p.slip_days))


def _planned(p: _Proj, i: int, t: Task) -> tuple[dt.datetime | None, dt.datetime | None]:
    """Baseline dates of row ``i``: the schedule less the slip the story gives (it grows
    along the plan); without a baseline, the schedule itself."""
    if not p.baseline:
        return t.start, t.finish
    shift = dt.timedelta(days=round(p.slip_days * i / len(p.tasks)))
    return (t.start - shift if t.start else None, t.finish - shift if t.finish else None)


def _write_tasks(items: list[_Proj]) -> None:
    """Insert tasks level by level (parents first), then the links, all with real ids."""
    for p in items:
        for t in p.tasks:
            t.pk = None
            t.project = p.project
    for level in (0, 1, 2):
        batch = []
        for p in items:
            for i, t in enumerate(p.tasks):
                if p.depth[i] != level:
                    continue
                parent = p.parent[i]
                if parent is not None:
                    t.parent = p.tasks[parent]
                batch.append(t)
        Task.objects.bulk_create(batch, batch_size=BATCH)
    links = [
        Link(
            organisation_id=p.project.organisation_id,
            project=p.project,
            pred=p.tasks[a],
            succ=p.tasks[b],
            type=kind,
            lag=lag,
            lag_unit="d",
        )
        for p in items
        for a, b, kind, lag in p.links
    ]
    Link.objects.bulk_create(links, batch_size=BATCH)


def _baselines(items: list[_Proj], tzinfo: dt.tzinfo) -> int:
    """Baseline 0 ("Approved plan") = today's plan minus the slip the story gives the project;
    then eight weeks of daily snapshots from it."""
    chosen = [p for p in items if p.baseline]
    baselines = [
        Baseline(
            organisation_id=p.project.organisation_id,
            project=p.project,
            number=0,
            name="Approved plan",
            finish=p.project.scheduled_finish - dt.timedelta(days=p.slip_days)
            if p.project.scheduled_finish
            else None,
        )
        for p in chosen
    ]
    Baseline.objects.bulk_create(baselines, batch_size=BATCH)
    rows: list[BaselineTask] = []
    snaps: list[ProgressSnapshot] = []
    today = timezone.localdate()
    for p, b in zip(chosen, baselines, strict=True):
        planned_rows = []
        for i, t in enumerate(p.tasks):
            start, finish = _planned(p, i, t)
            rows.append(
                BaselineTask(
                    baseline=b,
                    task=t,
                    start=start,
                    finish=finish,
                    duration_minutes=t.duration_minutes,
                    work_minutes=t.effort_minutes,
                )
            )
            if not t.is_summary:
                planned_rows.append((start, finish, float(t.duration_minutes or 60)))
        first = max(p.project.target_start, today - dt.timedelta(days=56))
        now_planned = planned_percent(planned_rows, timezone.now()) or 1.0
        ratio = min(1.0, p.project.percent_complete / now_planned)
        day = first
        while day < today:
            planned = planned_percent(planned_rows, dt.datetime.combine(day, dt.time(17), tzinfo))
            share = (day - first).days / max(1, (today - first).days)
            snaps.append(
                ProgressSnapshot(
                    organisation_id=p.project.organisation_id,
                    project=p.project,
                    date=day,
                    percent_complete=round(planned * (1 - (1 - ratio) * share), 1),
                    percent_planned=planned,
                )
            )
            day += dt.timedelta(days=7 if day < today - dt.timedelta(days=14) else 1)
    BaselineTask.objects.bulk_create(rows, batch_size=BATCH)
    ProgressSnapshot.objects.bulk_create(snaps, batch_size=BATCH)
    return len(baselines)


def _gates(items: list[_Proj], approver: User) -> None:
    gates: list[tuple[Gate, list[str], bool]] = []
    passed_at = timezone.now() - dt.timedelta(days=20)
    for p in items:
        index = PHASE_ORDER.index(Phase(p.project.phase))
        for phase, texts in DEFAULT_GATE_ITEMS.items():
            passed = PHASE_ORDER.index(Phase(phase)) < index
            gate = Gate(
                organisation_id=p.project.organisation_id,
                project=p.project,
                phase=phase,
                passed_at=passed_at if passed else None,
                approved_by=(p.project.sponsor or approver) if passed else None,
            )
            gates.append((gate, texts, passed))
    Gate.objects.bulk_create([g for g, _, _ in gates], batch_size=BATCH)
    GateItem.objects.bulk_create(
        [
            GateItem(organisation_id=g.organisation_id, gate=g, text=text, done=done)
            for g, texts, done in gates
            for text in texts
        ],
        batch_size=BATCH,
    )


def load_large() -> str:
    """Load the large organisation. Returns a summary.

    Raises:
        CommandError: the large organisation is already there.
    """
    if Organisation.objects.filter(slug=SLUG).exists():
        raise CommandError(
            f"The large demo organisation ({SLUG}) is already loaded; nothing was changed."
        )
    started = time.perf_counter()
    with transaction.atomic():
        summary = _load()
    return f"{summary} in {time.perf_counter() - started:.1f} s"


def _load() -> str:
    rng = random.Random(2026)
    org = Organisation.objects.create(
        name="Halvorsen Precision (large)",
        slug=SLUG,
        description="The large demo: 300 projects and 60,000 tasks, for benchmarks.",
        timezone="Europe/London",
        fiscal_year_start_month=4,
    )
    calendars_demo.load(org)  # the default calendar (UK holidays) the projects schedule on
    people = _people(org)
    staff = [u for u in people.values() if u.email != EMAIL]
    managers = staff[:40]
    sponsors = [people[n] for n in ("Ingrid Halvorsen", "Marcus Obi", "Oliver Brandt")]
    dana = people["Dana Whitfield"]
    programmes = {
        name: Programme(organisation=org, name=name, description=text)
        for name, text in PROGRAMMES.items()
    }
    Programme.objects.bulk_create(programmes.values())
    tzinfo = tz_of(org)
    today = timezone.localdate()
    items: list[_Proj] = []
    codes: dict[str, int] = {}

    def new_project(name: str, programme: str, offset: int) -> Project:
        prefix = "".join(w[0] for w in programme.split()[:2]).upper()
        codes[prefix] = codes.get(prefix, 0) + 1
        return Project(
            organisation=org,
            programme=programmes[programme],
            name=name,
            code=f"{prefix}-{codes[prefix]:03d}",
            manager=rng.choice(managers),
            sponsor=rng.choice(sponsors),
            objectives=f"Deliver {name.lower()} on time and within budget.",
            success_criteria="Acceptance signed by the sponsor\nNo lost-time incidents",
            scope=f"Everything needed for {name.lower()}.",
            target_start=today + dt.timedelta(days=offset),
            budget_ceiling=Decimal(rng.randrange(20, 900) * 1000),
        )

    big = _Proj(
        new_project(BIG_PROJECT, "Digital plant", -120), pace=0.85, slip_days=9, baseline=True
    )
    big.project.manager = dana
    _wbs(
        big,
        ["Discovery", "Design", "Build", "Integration", "Test", "Training", "Cutover", "Hypercare"],
        BIG_TASKS,
        rng,
        staff,
        crew_size=BIG_CREW,
    )
    board = _Proj(new_project(BOARD_PROJECT, "Operational excellence", -60), pace=0.95)
    board.project.manager = dana
    board.project.wip_limits = {"doing": 40, "review": 15}
    _backlog(board, BOARD_CARDS, rng, staff)
    items += [big, board]
    for n, size in enumerate(_sizes(rng)):
        programme, pattern, phases = KINDS[n % len(KINDS)]
        name = pattern.format(n=n // len(KINDS) + 1, place=PLACES[(n // len(KINDS)) % len(PLACES)])
        if "{place}" in pattern and n // len(KINDS) >= len(PLACES):
            name += f" {n // len(KINDS) // len(PLACES) + 1}"
        offset = rng.randint(-330, 90)
        p = _Proj(
            new_project(name, programme, offset),
            pace=rng.choice((0.6, 0.8, 0.9, 1.0, 1.0, 1.05)),
            slip_days=rng.choice((0, 0, 0, 2, 4, 8, 15)),
            baseline=offset < 0 and n % 3 == 0,
        )
        _wbs(p, phases, size, rng, staff)
        items.append(p)
    for p in items:
        _schedule(p, tzinfo)
    Project.objects.bulk_create([p.project for p in items], batch_size=BATCH)
    _write_tasks(items)
    baselined = _baselines(items, tzinfo)
    _gates(items, dana)
    history.record(actor=dana, obj=org, action="created", summary="Large demo organisation loaded")
    tasks = sum(len(p.tasks) for p in items)
    links = sum(len(p.links) for p in items)
    parts = [
        f"{org.name}: {len(people)} people, {len(items)} projects, {tasks} tasks, "
        f"{links} links, {baselined} baselines"
    ]
    if importlib.util.find_spec("twofold.operations.demo_large") is not None:
        operations = importlib.import_module("twofold.operations.demo_large")
        extra = operations.load(org, people)
        if extra:
            parts.append(extra)
    parts.append(capacity_large.load(org, people))
    parts.append(costs_demo.load_large(org, people))  # a year of timesheets for 200 people
    from twofold.search.index import reindex  # last: it indexes what every part loaded

    parts.append(f"{reindex(org.pk)} search documents")
    return "; ".join(parts)
