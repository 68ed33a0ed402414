"""Levelling a real plan: the large demo's 2,000-task project against its people's capacity.

Run: ``.venv/bin/python benchmarks/levelling_app.py --db PATH [--seconds 10]`` with ``PATH`` a
SQLite database holding the large demo (``twofold demo --scale large``, as ``benchmarks/web.py``
builds it). It builds the levelling problem the app builds (``capacity.levelling.build``: the
project's tasks, links and each person's free hours per working day after their other work),
then times

* the heuristic (``level(method="heuristic")`` with the app's quick preview's time limit,
  ``capacity.levelling.HEURISTIC_SECONDS``; budget <= 1 s), then the whole quick preview as
  the app runs it (reading the project, levelling, the reason of every move), and
* the optimiser (``level(method="optimise", time_limit_s=--seconds)``) with its progress
  callback, printing each improvement of the best makespan as it arrives (budget: improving
  within 10 s),

checks both schedules (``check_feasible``) and prints::

    RESULT activities=<n> people=<p> heuristic_s=<t> preview_s=<t> heuristic_makespan=<m> optimise_s=<t>
           optimise_makespan=<m> improvements=<k> cpm_bound=<b>
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True, help="SQLite database (large demo)")
    parser.add_argument("--seconds", type=float, default=10.0, help="optimiser time limit")
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = f"sqlite:///{args.db.resolve()}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "twofold.settings")
    import django

    django.setup()
    from twofold.accounts.models import Organisation
    from twofold.capacity import levelling as app_levelling
    from twofold.demo import large
    from twofold.engine.levelling import level
    from twofold.engine.levelling_check import check_feasible
    from twofold.engine.levelling_kernel import warm_up
    from twofold.projects.models import Project

    org = Organisation.objects.get(slug=large.SLUG)
    big = Project.objects.get(organisation=org, name=large.BIG_PROJECT)
    started = time.perf_counter()
    built = app_levelling.build(big)
    build_s = time.perf_counter() - started
    problem = built.problem
    people = len(problem.resources)
    print(
        f"# project={big.name!r} activities={len(problem.activities)} people={people} "
        f"periods={len(built.days)} build_s={build_s:.2f}",
        flush=True,
    )
    warm_up()
    started = time.perf_counter()
    quick = level(
        problem,
        method="heuristic",
        time_limit_s=app_levelling.HEURISTIC_SECONDS,
        seed=0,
        schedule_budget=200,
    )
    quick_s = time.perf_counter() - started
    assert not check_feasible(problem, quick.starts), "heuristic schedule infeasible"
    print(
        f"# heuristic: makespan {quick.makespan} in {quick_s:.2f} s "
        f"(time limit {app_levelling.HEURISTIC_SECONDS} s, the app's quick preview)",
        flush=True,
    )
    started = time.perf_counter()
    shown = app_levelling.preview(big)
    preview_s = time.perf_counter() - started
    print(
        f"# whole quick preview (read the project, level, explain each move): {preview_s:.2f} s, "
        f"{len(shown.moves)} moves",
        flush=True,
    )

    improvements: list[tuple[float, int]] = []
    t0 = time.perf_counter()

    def progress(fraction: float, best: int | None) -> bool:
        if best is not None and (not improvements or best < improvements[-1][1]):
            improvements.append((time.perf_counter() - t0, best))
            print(f"#   {improvements[-1][0]:5.2f} s  best makespan {best}", flush=True)
        return True

    result = level(problem, method="optimise", time_limit_s=args.seconds, seed=0, progress=progress)
    optimise_s = time.perf_counter() - t0
    assert not check_feasible(problem, result.starts), "optimised schedule infeasible"
    bound = result.lower_bound
    print(
        f"RESULT activities={len(problem.activities)} people={people} heuristic_s={quick_s:.2f} "
        f"preview_s={preview_s:.2f} "
        f"heuristic_makespan={quick.makespan} optimise_s={optimise_s:.2f} "
        f"optimise_makespan={result.makespan} improvements={len(improvements)} "
        f"lower_bound={bound}",
        flush=True,
    )
    return 0 if quick_s <= 1.0 and result.makespan <= quick.makespan else 1


if __name__ == "__main__":
    raise SystemExit(main())
