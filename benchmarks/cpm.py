"""Benchmark: full reschedule of seeded random plans, against networkx and MPXJ.

Usage: ``.venv/bin/python benchmarks/cpm.py [--sizes 10000 100000] [--seed 7] [--no-mpxj]``

Each plan has a WBS (phases > work packages > activities), about 2.5 links per activity of all
four types with working, elapsed and percent lags (some negative), two calendars with holidays,
and some constraints and deadlines. We time :func:`twofold.engine.cpm.schedule` (network build
and both passes). Peers, on the same plan:

* networkx: a CPM over ``networkx.topological_sort`` treating every link as FS without lag or
  calendars (a simpler problem, timed with graph construction);
* MPXJ: ``org.mpxj.cpm.MicrosoftScheduler`` from the ``mpxj`` package (Java via JPype), on the
  plan written as MSPDI by our exporter, run in a child process so its JVM does not count in our
  memory; only the ``schedule()`` call is timed.

The last line is ``RESULT activities=<n> twofold_s=<t> mpxj_s=<t> networkx_s=<t> peak_mb=<m>``
for the largest size; ``peak_mb`` is this process's peak resident memory (plan generation plus
our scheduling; networkx runs after it is read). The machine is shared: figures are noisy.
"""

from __future__ import annotations

import argparse
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from twofold.engine.calendars import from_instant, make_calendar
from twofold.engine.cpm import schedule
from twofold.engine.cpm_network import build_network
from twofold.engine.plan import (
    ConstraintType,
    LagKind,
    Link,
    LinkType,
    Plan,
    Task,
)
from twofold.interop.mspdi import MspdiDocument, write_mspdi

HOUR = 3600
DAY = 8 * HOUR
START = datetime(2025, 1, 6, 8)
PACKAGE = 20  # activities per work package
PACKAGES_PER_PHASE = 25


def _holidays(seed: int) -> list[tuple[date, date]]:
    rng = random.Random(seed)
    days = []
    for year in range(2025, 2061):
        days += [(date(year, 1, 1), date(year, 1, 1)), (date(year, 12, 24), date(year, 12, 26))]
        for _ in range(6):
            d = date(year, 1, 1) + timedelta(days=rng.randrange(365))
            days.append((d, d))
    return days


def _link_type(rng: random.Random) -> LinkType:
    roll = rng.random()
    if roll < 0.7:
        return LinkType.FS
    return LinkType.SS if roll < 0.8 else LinkType.FF if roll < 0.9 else LinkType.SF


def make_plan(activities: int, seed: int) -> Plan:
    """A seeded random plan with ``activities`` leaf tasks plus WBS summaries.

    Shape of a programme: phases of 25 work packages of 20 activities; phases are spread over
    parallel *streams* (about one per 8 phases), each stream's phases in sequence, so a larger
    plan is wider rather than decades longer. The packages of a phase run in parallel. Inside
    a package activities mostly follow each other (a few start from an earlier one: parallel
    branches); each activity has ~2.5 predecessors: the package chain, others in the package,
    activities of the previous phase of its stream, and now and then an activity of any earlier
    phase (integration points across streams).

    Constraint and deadline dates are drawn around an *estimate* of the activity's early dates
    (Monday-Friday arithmetic over its predecessors, no calendar detail), so most are met and
    some are not, as in a real plan. (Dates drawn independently of the plan, as an earlier
    version did, fell years before the activities and gave ~75 % of tasks negative float.)
    """
    rng = random.Random(seed)
    office = make_calendar(None, _holidays(seed), name="Office")
    site_day = [("07:00", "11:00"), ("11:30", "15:30")]
    site = make_calendar(dict.fromkeys(range(6), site_day), _holidays(seed + 1), name="Site")
    per_phase = PACKAGE * PACKAGES_PER_PHASE
    phases = -(-activities // per_phase)
    streams = max(1, round(phases / 8))
    tasks: list[Task] = []
    links: list[Link] = []
    uid = 1
    leaf_uids: list[int] = []
    estimate: list[tuple[float, float]] = []  # estimated (start, finish) in calendar days
    phase_range: dict[int, tuple[int, int]] = {}  # phase -> leaf positions [first, last)
    phase = package = 0
    package_first = phase_first = 0
    for index in range(activities):
        phase_number = index // per_phase
        if index % per_phase == 0:
            phase = uid
            tasks.append(Task(uid, f"Phase {uid}"))
            uid += 1
            phase_first = len(leaf_uids)
        if index % PACKAGE == 0:
            package = uid
            tasks.append(Task(uid, f"Package {uid}", parent=phase))
            uid += 1
            package_first = len(leaf_uids)
        position = len(leaf_uids)
        roll = rng.random()
        duration = 0 if roll < 0.05 else rng.randrange(1, 10 * 8) * HOUR

        candidates: set[int] = set()
        if position > package_first:
            back = 1 if rng.random() < 0.85 else rng.randrange(1, position - package_first + 1)
            candidates.add(position - back)
        previous = phase_range.get(phase_number - streams)
        wanted = 2 if rng.random() < 0.55 else 1
        for _ in range(8):
            if len(candidates) >= wanted + (position > package_first):
                break
            pick = rng.random()
            if pick < 0.45 and position - package_first > 1:
                candidates.add(rng.randrange(package_first, position))
            elif pick < 0.97 and previous is not None:
                candidates.add(rng.randrange(*previous))
            elif phase_first > 0:
                candidates.add(rng.randrange(0, phase_first))
        start_est = 0.0
        for pred in sorted(candidates):
            link_type = _link_type(rng)
            lag, lag_kind = 0, LagKind.WORKING
            lag_roll = rng.random()
            if lag_roll < 0.2:
                lag = rng.randrange(-DAY, 3 * DAY, HOUR)
            elif lag_roll < 0.25:
                lag, lag_kind = rng.randrange(0, 5) * 24 * HOUR, LagKind.ELAPSED
            elif lag_roll < 0.28:
                lag, lag_kind = rng.choice((25, 50, 75)), LagKind.PERCENT
            links.append(Link(leaf_uids[pred], uid, link_type, lag, lag_kind))
            pred_start, pred_finish = estimate[pred]
            anchor = pred_finish if link_type in (LinkType.FS, LinkType.FF) else pred_start
            start_est = max(start_est, anchor + max(lag, 0) / DAY * 7 / 5)
        finish_est = start_est + duration / DAY * 7 / 5
        estimate.append((start_est, finish_est))

        constraint, constraint_date, deadline = ConstraintType.ASAP, None, None
        if roll > 0.98:
            constraint = ConstraintType.SNET
            constraint_date = START + timedelta(days=start_est + rng.randrange(-10, 40))
        elif roll > 0.975:
            constraint = ConstraintType.FNLT
            constraint_date = START + timedelta(days=finish_est + rng.randrange(-60, 30))
        elif roll > 0.97:
            constraint = ConstraintType.ALAP
        elif roll > 0.96:
            deadline = START + timedelta(days=finish_est + rng.randrange(-60, 30))
        tasks.append(
            Task(
                uid,
                f"Activity {uid}",
                parent=package,
                duration=duration,
                calendar="site" if rng.random() < 0.3 else None,
                constraint=constraint,
                constraint_date=constraint_date,
                deadline=deadline,
            )
        )
        leaf_uids.append(uid)
        uid += 1
        if (index + 1) % per_phase == 0 or index + 1 == activities:
            phase_range[phase_number] = (phase_first, len(leaf_uids))
    return Plan(
        start=START,
        tasks=tuple(tasks),
        links=tuple(links),
        calendars={"office": office, "site": site},
        calendar="office",
        name=f"bench-{activities}-{seed}",
    )


def networkx_cpm(plan: Plan) -> float:
    """Seconds for a plain FS-only, calendar-free CPM with networkx (graph build included)."""
    import networkx as nx

    began = time.perf_counter()
    graph = nx.DiGraph()
    duration = {t.uid: t.duration for t in plan.tasks}
    graph.add_nodes_from(duration)
    graph.add_edges_from((link.pred, link.succ) for link in plan.links)
    order = list(nx.topological_sort(graph))
    early_finish: dict[int, int] = {}
    for node in order:
        start = max((early_finish[p] for p in graph.predecessors(node)), default=0)
        early_finish[node] = start + duration[node]
    end = max(early_finish.values())
    late_start: dict[int, int] = {}
    for node in reversed(order):
        finish = min((late_start[s] for s in graph.successors(node)), default=end)
        late_start[node] = finish - duration[node]
    floats = [late_start[n] - (early_finish[n] - duration[n]) for n in order]
    assert min(floats) >= 0
    return time.perf_counter() - began


MPXJ_WORKER = """
import sys, time, mpxj, jpype
jpype.startJVM()
from java.time import LocalDateTime
reader = jpype.JClass("org.mpxj.reader.UniversalProjectReader")()
project = reader.read(sys.argv[1])
scheduler = jpype.JClass("org.mpxj.cpm.MicrosoftScheduler")()
start = LocalDateTime.parse(sys.argv[2])
began = time.perf_counter()
scheduler.schedule(project, start)
print("MPXJ_SECONDS", time.perf_counter() - began)
"""


def mpxj_cpm(plan: Plan, timeout: float) -> tuple[float | None, str]:
    """Seconds for MPXJ's MicrosoftScheduler on the plan as MSPDI, or ``None`` and why."""
    try:
        import jpype  # noqa: F401
        import mpxj  # noqa: F401
    except ImportError as exc:
        return None, f"mpxj/JPype not importable: {exc}"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "plan.xml"
        path.write_bytes(write_mspdi(MspdiDocument(plan, (), (), ())))
        try:
            done = subprocess.run(
                [sys.executable, "-c", MPXJ_WORKER, str(path), START.isoformat()],
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return None, f"MPXJ did not finish within {timeout:.0f} s"
    for line in done.stdout.splitlines():
        if line.startswith("MPXJ_SECONDS"):
            return float(line.split()[1]), ""
    reason = (done.stderr.strip().splitlines() or ["no output"])[-1]
    return None, f"MPXJ failed: {reason[:300]}"


def peak_mb() -> float:
    """Peak resident memory of this process in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3, help="best of N for our engine")
    parser.add_argument("--no-mpxj", action="store_true")
    parser.add_argument("--mpxj-timeout", type=float, default=600)
    args = parser.parse_args()
    result = ""
    for size in args.sizes:
        plan = make_plan(size, args.seed)
        levels = int(build_network(plan).level.max()) + 1
        print(
            f"plan: {size} activities, {len(plan.tasks)} tasks, {len(plan.links)} links "
            f"({len(plan.links) / size:.2f} per activity), {levels} topological levels"
        )
        timings = []
        for _ in range(args.repeat):
            began = time.perf_counter()
            outcome = schedule(plan)
            timings.append(time.perf_counter() - began)
        ours = min(timings)
        memory = peak_mb()
        print(
            f"  twofold: {ours:.3f} s (best of {args.repeat}; runs "
            + ", ".join(f"{t:.3f}" for t in timings)
            + f"), project finish {from_instant(outcome.project_finish)}, "
            f"critical {int(outcome.critical.sum())} ({outcome.critical.mean():.0%}), "
            f"peak {memory:.0f} MiB"
        )
        nx_seconds = networkx_cpm(plan)
        print(
            f"  networkx (FS only, no calendars): {nx_seconds:.3f} s, ratio {nx_seconds / ours:.1f}x"
        )
        mpxj_text = "na"
        if args.no_mpxj:
            print("  mpxj: na (skipped with --no-mpxj)")
        else:
            mpxj_seconds, reason = mpxj_cpm(plan, args.mpxj_timeout)
            if mpxj_seconds is None:
                print(f"  mpxj: na ({reason})")
            else:
                mpxj_text = f"{mpxj_seconds:.3f}"
                print(
                    f"  mpxj MicrosoftScheduler: {mpxj_seconds:.3f} s, ratio {mpxj_seconds / ours:.1f}x"
                )
        result = (
            f"RESULT activities={size} twofold_s={ours:.3f} mpxj_s={mpxj_text} "
            f"networkx_s={nx_seconds:.3f} peak_mb={memory:.0f}"
        )
    print(result)


if __name__ == "__main__":
    main()
