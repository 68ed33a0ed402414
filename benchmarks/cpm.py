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

from twofold.engine.calendars import make_calendar
from twofold.engine.cpm import schedule
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
    for year in range(2025, 2045):
        days += [(date(year, 1, 1), date(year, 1, 1)), (date(year, 12, 24), date(year, 12, 26))]
        for _ in range(6):
            d = date(year, 1, 1) + timedelta(days=rng.randrange(365))
            days.append((d, d))
    return days


def make_plan(activities: int, seed: int) -> Plan:
    """A seeded random plan with ``activities`` leaf tasks plus WBS summaries."""
    rng = random.Random(seed)
    office = make_calendar(None, _holidays(seed), name="Office")
    site_day = [("07:00", "11:00"), ("11:30", "15:30")]
    site = make_calendar(dict.fromkeys(range(6), site_day), _holidays(seed + 1), name="Site")
    tasks: list[Task] = []
    links: list[Link] = []
    uid = 1
    leaf_uids: list[int] = []
    leaf_duration: dict[int, int] = {}
    phase = package = 0
    package_first = 0
    for index in range(activities):
        if index % (PACKAGE * PACKAGES_PER_PHASE) == 0:
            phase = uid
            tasks.append(Task(uid, f"Phase {uid}"))
            uid += 1
        if index % PACKAGE == 0:
            package = uid
            tasks.append(Task(uid, f"Package {uid}", parent=phase))
            uid += 1
            package_first = len(leaf_uids)
        roll = rng.random()
        duration = 0 if roll < 0.05 else rng.randrange(1, 20 * 8) * HOUR // 1
        constraint, constraint_date, deadline = ConstraintType.ASAP, None, None
        if roll > 0.98:
            constraint = ConstraintType.SNET
            constraint_date = START + timedelta(days=rng.randrange(400))
        elif roll > 0.975:
            constraint = ConstraintType.FNLT
            constraint_date = START + timedelta(days=rng.randrange(200, 900))
        elif roll > 0.97:
            constraint = ConstraintType.ALAP
        elif roll > 0.96:
            deadline = START + timedelta(days=rng.randrange(100, 900))
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
        position = len(leaf_uids)
        # One chain link inside the package, then ~1.5 more: within the package or to any
        # earlier activity (cross-package logic); always from an earlier activity, so acyclic.
        candidates: set[int] = set()
        if position > package_first:
            candidates.add(leaf_uids[position - 1])
        extra = 1 if rng.random() < 0.5 else 2
        for _ in range(extra):
            if position == 0:
                break
            if rng.random() < 0.6 and position - package_first > 1:
                candidates.add(leaf_uids[rng.randrange(package_first, position)])
            else:
                candidates.add(leaf_uids[rng.randrange(0, position)])
        for pred in sorted(candidates):
            kind_roll = rng.random()
            link_type = (
                LinkType.FS
                if kind_roll < 0.7
                else LinkType.SS
                if kind_roll < 0.8
                else LinkType.FF
                if kind_roll < 0.9
                else LinkType.SF
            )
            lag, lag_kind = 0, LagKind.WORKING
            lag_roll = rng.random()
            if lag_roll < 0.2:
                lag = rng.randrange(-DAY, 3 * DAY, HOUR)
            elif lag_roll < 0.25:
                lag, lag_kind = rng.randrange(0, 5) * 24 * HOUR, LagKind.ELAPSED
            elif lag_roll < 0.28:
                lag, lag_kind = rng.choice((25, 50, 75)), LagKind.PERCENT
            links.append(Link(pred, uid, link_type, lag, lag_kind))
        leaf_uids.append(uid)
        leaf_duration[uid] = duration
        uid += 1
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
        print(f"plan: {size} activities, {len(plan.tasks)} tasks, {len(plan.links)} links")
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
            + f"), finish {outcome.task(plan.tasks[0].uid).finish}, "
            f"critical {int(outcome.critical.sum())}, peak {memory:.0f} MiB"
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
