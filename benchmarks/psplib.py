"""PSPLIB harness for the levelling engine.

Levels every ``.sm`` instance (or Patterson ``.rcp``: RG30, RG300, DC, CV) of a folder with ``twofold.engine.levelling.level`` (method
"optimise" unless told otherwise), checks each schedule with the independent feasibility checker
(precedence and per-period capacity), and compares its makespan with the optimum / best-known
table (``--table``, optional: without it, or for files its keys do not name, only the
critical-path bound is compared) and with the critical-path lower bound.

    .venv/bin/python benchmarks/psplib.py --set ../shared/data/psplib/j30 \
        --table ../shared/data/psplib/j30opt.sm --time-limit 1

Prints one line per instance, a summary, and as last line::

    RESULT instances=<n> feasible=<n> mean_dev_best_pct=<x> mean_dev_cpm_pct=<y> at_best=<k> mean_s=<t>

Time per instance is wall time from reading the file to the checked schedule. With 2 cores,
``--jobs 1`` (instances one after another, 2 CP-SAT workers each) is the sensible setting;
``--jobs N`` runs N instances at once and gives each ``max(1, cores // N)`` CP-SAT workers unless
``--workers`` says otherwise.
"""

from __future__ import annotations

import argparse
import ast
import fnmatch
import multiprocessing
import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from twofold.engine.levelling import check_feasible, level
from twofold.engine.levelling_kernel import warm_up
from twofold.engine.levelling_network import compile_network
from twofold.interop.psplib import (
    BestKnown,
    PsplibFormatError,
    instance_key,
    read_instance,
    read_value_table,
    to_levelling_problem,
)


@dataclass(frozen=True)
class Outcome:
    name: str
    makespan: int
    critical_path: int
    best: int | None
    feasible: bool
    proven_optimal: bool
    seconds: float
    problems: str


@dataclass(frozen=True)
class Job:
    path: Path
    best: BestKnown | None
    time_limit_s: float
    seed: int
    method: str
    workers: int
    options: tuple[tuple[str, object], ...] = ()


def run_one(job: Job) -> Outcome:
    began = time.perf_counter()
    instance = read_instance(job.path)
    problem = to_levelling_problem(instance)
    result = level(
        problem,
        time_limit_s=job.time_limit_s,
        seed=job.seed,
        method="optimise" if job.method == "optimise" else "heuristic",
        workers=job.workers,
        **dict(job.options),  # type: ignore[arg-type]
    )
    seconds = time.perf_counter() - began
    # Verified again here, outside the engine's own call, from the problem and the starts only.
    violations = check_feasible(problem, result.starts)
    critical_path = compile_network(problem).makespan_lower_bound()
    problems = [violation.message for violation in violations]
    if critical_path != instance.cpm_makespan:
        problems.append(f"critical path {critical_path} != file's {instance.cpm_makespan}")
    return Outcome(
        name=instance.name,
        makespan=result.makespan,
        critical_path=critical_path,
        best=job.best.makespan if job.best else None,
        feasible=not problems,
        proven_optimal=result.proven_optimal,
        seconds=seconds,
        problems="; ".join(problems[:3]),
    )


def _pct(value: int, reference: int) -> float:
    return 100.0 * (value - reference) / reference if reference else 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--set", required=True, type=Path, help="folder of .sm (PSPLIB) or .rcp (Patterson) files"
    )
    parser.add_argument(
        "--table", type=Path, help="optimum/best-known table (without: the critical path only)"
    )
    parser.add_argument("--time-limit", required=True, type=float, help="seconds per instance")
    parser.add_argument("--jobs", type=int, default=1, help="instances levelled at once")
    parser.add_argument("--workers", type=int, default=0, help="CP-SAT workers (0: automatic)")
    parser.add_argument("--every", type=int, default=1, help="take every k-th instance")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="GLOB",
        help="only instances whose file name matches GLOB (repeatable), e.g. 'j3013_*'",
    )
    parser.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra keyword argument for level() (experiments), e.g. heuristic_share=0.5",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--method", choices=("optimise", "heuristic"), default="optimise")
    parser.add_argument("--quiet", action="store_true", help="no per-instance lines")
    arguments = parser.parse_args(argv)

    paths = sorted([*arguments.set.glob("*.sm"), *arguments.set.glob("*.rcp")])
    if arguments.only:
        paths = [p for p in paths if any(fnmatch.fnmatch(p.name, g) for g in arguments.only)]
    paths = paths[:: max(1, arguments.every)]
    if not paths:
        parser.error(f"no .sm or .rcp files in {arguments.set}")
    table = read_value_table(arguments.table) if arguments.table else {}
    cores = os.cpu_count() or 1
    workers = arguments.workers or max(1, cores // max(1, arguments.jobs))
    options = tuple(_option(text) for text in arguments.option)
    jobs: list[Job] = []
    for path in paths:
        instance = read_instance(path)
        try:
            best = table.get(instance_key(instance.name, instance.job_count))
        except PsplibFormatError:
            best = None  # named otherwise (e.g. RG300's): no table entry to compare with
        jobs.append(
            Job(
                path,
                best,
                arguments.time_limit,
                arguments.seed,
                arguments.method,
                workers,
                options,
            )
        )

    # Loading numba and the compiled kernel is once per process (a worker does it once at
    # start), not per instance: done before the clock starts.
    began = time.perf_counter()
    warm_up()
    print(f"# warm-up (numba kernel load, once per process): {time.perf_counter() - began:.2f} s")
    outcomes: list[Outcome] = []
    if arguments.jobs > 1:
        context = multiprocessing.get_context("spawn")
        with context.Pool(arguments.jobs, initializer=warm_up) as pool:
            for outcome in pool.imap(run_one, jobs):
                outcomes.append(outcome)
                _report(outcome, arguments.quiet)
    else:
        for job in jobs:
            outcome = run_one(job)
            outcomes.append(outcome)
            _report(outcome, arguments.quiet)

    with_best = [outcome for outcome in outcomes if outcome.best is not None]
    dev_best = [_pct(o.makespan, o.best) for o in with_best if o.best is not None]
    dev_cpm = [_pct(o.makespan, o.critical_path) for o in outcomes]
    best_cpm = [_pct(o.best, o.critical_path) for o in with_best if o.best is not None]
    at_best = sum(1 for o in with_best if o.best is not None and o.makespan <= o.best)
    better = sum(1 for o in with_best if o.best is not None and o.makespan < o.best)
    feasible = sum(1 for outcome in outcomes if outcome.feasible)
    seconds = [outcome.seconds for outcome in outcomes]
    print(
        f"# set={arguments.set} table={arguments.table.name if arguments.table else '-'} "
        f"time_limit={arguments.time_limit}s "
        f"jobs={arguments.jobs} workers={workers} method={arguments.method} seed={arguments.seed}"
    )
    print(
        f"# deviation from best/optimum: mean {statistics.fmean(dev_best or [0]):.2f} % "
        f"max {max(dev_best or [0]):.2f} % over {len(with_best)} instances with a table entry; "
        f"{at_best} at best ({better} better)"
    )
    print(
        f"# deviation from critical path: mean {statistics.fmean(dev_cpm):.2f} % "
        f"max {max(dev_cpm):.2f} % (table's own: {statistics.fmean(best_cpm or [0]):.2f} %)"
    )
    print(
        f"# time per instance: mean {statistics.fmean(seconds):.3f} s "
        f"max {max(seconds):.3f} s; proven optimal {sum(o.proven_optimal for o in outcomes)}"
    )
    print(
        f"RESULT instances={len(outcomes)} feasible={feasible} "
        f"mean_dev_best_pct={statistics.fmean(dev_best or [0]):.2f} "
        f"mean_dev_cpm_pct={statistics.fmean(dev_cpm):.2f} at_best={at_best} "
        f"mean_s={statistics.fmean(seconds):.3f}"
    )
    return 0 if feasible == len(outcomes) else 1


def _option(text: str) -> tuple[str, object]:
    name, _, value = text.partition("=")
    try:
        return name.strip(), ast.literal_eval(value.strip())
    except (ValueError, SyntaxError):
        return name.strip(), value.strip()


def _report(outcome: Outcome, quiet: bool) -> None:
    if quiet and outcome.feasible:
        return
    status = "ok" if outcome.feasible else f"INFEASIBLE: {outcome.problems}"
    print(
        f"{outcome.name} makespan={outcome.makespan} best={outcome.best} "
        f"cpm={outcome.critical_path} proven={int(outcome.proven_optimal)} "
        f"s={outcome.seconds:.3f} {status}",
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
