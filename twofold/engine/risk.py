"""Monte Carlo schedule risk over a whole network, vectorised over iterations.

Every task gets a three-point estimate (minimum, most likely, maximum, in working minutes) and a
distribution: triangular, or PERT-beta (the beta with mean ``(min + 4 mode + max) / 6``). Risk
events add a delay to some tasks in the iterations where they occur. Tasks of a correlated group
get correlated durations through a Gaussian copula with one common factor: their uniforms come
from equicorrelated normal scores, so each task keeps its own distribution. (A normal-score
correlation rho gives a rank correlation of 6/pi * asin(rho/2), slightly below rho.)

The simulation draws all iterations at once: arrays of shape ``[tasks, iterations]``, one forward
pass and one backward pass over the links in topological order, each a few numpy operations on
vectors of ``iterations`` values. Links may be FS, SS, FF or SF with lags (working minutes).
Finish offsets are turned into dates by a calendar function (:class:`WeeklyCalendar` by default,
or any ``offsets -> datetime64`` callable).

Outputs (:class:`RiskResult`): project and milestone finish percentiles (P10 ... P95) as offsets
and dates, the criticality index of every task (share of iterations with zero total float), and
its sensitivity (Spearman rank correlation of its duration with the project finish), in tornado
order.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np
import numpy.typing as npt

from twofold.engine.risk_calendar import OffsetToDatetime, WeeklyCalendar

__all__ = [
    "CorrelationGroup",
    "Distribution",
    "RiskEvent",
    "RiskInputError",
    "RiskLinkType",
    "RiskNetwork",
    "RiskProgress",
    "RiskResult",
    "WeeklyCalendar",
    "deterministic_finishes",
    "simulate",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

DEFAULT_PERCENTILES = (10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0, 95.0)


class RiskInputError(ValueError):
    """The network or the risk inputs are malformed."""


class Distribution(IntEnum):
    """Shape of a three-point estimate."""

    TRIANGULAR = 0
    PERT = 1


class RiskLinkType(IntEnum):
    """Link type, predecessor end then successor end."""

    FS = 0
    SS = 1
    FF = 2
    SF = 3


@dataclass(frozen=True)
class RiskEvent:
    """A risk that happens with ``probability`` in each iteration and then delays tasks.

    Attributes:
        probability: 0..1.
        tasks: indices of the tasks it affects.
        delay_minutes: working minutes added to the duration of each task of ``tasks``.
        name: for reports.
    """

    probability: float
    tasks: tuple[int, ...]
    delay_minutes: tuple[float, ...]
    name: str = ""


@dataclass(frozen=True)
class CorrelationGroup:
    """Tasks whose durations move together: ``correlation`` (0..1) between their normal scores."""

    tasks: tuple[int, ...]
    correlation: float


@dataclass(frozen=True)
class RiskNetwork:
    """The network to simulate. Task arrays have one entry per task; link arrays one per link.

    Attributes:
        minimum, most_likely, maximum: three-point estimate per task, in working minutes.
        distribution: a :class:`Distribution` code per task.
        link_predecessor, link_successor: task indices of each link.
        link_type: a :class:`RiskLinkType` code per link.
        link_lag: lag per link in working minutes (may be negative).
        release: earliest start per task in working minutes from the project start, or None.
        milestones: tasks whose finish percentiles are reported.
        events: risk events.
        groups: correlated groups.
    """

    minimum: FloatArray
    most_likely: FloatArray
    maximum: FloatArray
    distribution: IntArray
    link_predecessor: IntArray
    link_successor: IntArray
    link_type: IntArray
    link_lag: FloatArray
    release: FloatArray | None = None
    milestones: tuple[int, ...] = ()
    events: tuple[RiskEvent, ...] = field(default=())
    groups: tuple[CorrelationGroup, ...] = field(default=())

    @property
    def size(self) -> int:
        """Number of tasks."""
        return int(self.minimum.shape[0])

    def validate(self) -> None:
        """Raise :class:`RiskInputError` unless the arrays are consistent and the estimates ordered."""
        size = self.size
        for name in ("most_likely", "maximum", "distribution"):
            if getattr(self, name).shape != (size,):
                raise RiskInputError(f"{name} must have one entry per task")
        links = self.link_predecessor.shape
        for name in ("link_successor", "link_type", "link_lag"):
            if getattr(self, name).shape != links:
                raise RiskInputError(f"{name} must have one entry per link")
        if self.release is not None and self.release.shape != (size,):
            raise RiskInputError("release must have one entry per task")
        if np.any(self.minimum < 0) or np.any(self.most_likely < self.minimum):
            raise RiskInputError("estimates need 0 <= minimum <= most likely")
        if np.any(self.maximum < self.most_likely):
            raise RiskInputError("estimates need most likely <= maximum")
        indices = np.concatenate([self.link_predecessor, self.link_successor])
        if indices.size and (indices.min() < 0 or indices.max() >= size):
            raise RiskInputError("a link names a missing task")
        for event in self.events:
            if not 0.0 <= event.probability <= 1.0 or len(event.tasks) != len(event.delay_minutes):
                raise RiskInputError(f"risk event {event.name!r}: bad probability or delays")
        for group in self.groups:
            if not 0.0 <= group.correlation <= 1.0:
                raise RiskInputError("group correlation must be within 0..1")
        for task in (*self.milestones, *(t for e in self.events for t in e.tasks)):
            if not 0 <= task < size:
                raise RiskInputError(f"task {task} does not exist")


@dataclass(frozen=True)
class RiskResult:
    """Simulation outcome (offsets in working minutes from the project start).

    Attributes:
        iterations: number of simulated iterations.
        percentiles: the percentile levels, e.g. ``(10, ..., 95)``.
        project_finish: project finish offset at each percentile.
        project_finish_dates: the same as datetimes.
        milestone_finish: ``[milestones, percentiles]`` finish offsets.
        milestone_finish_dates: the same as datetimes.
        mean_project_finish: mean project finish offset.
        criticality: per task, share of iterations in which it has zero total float.
        sensitivity: per task, Spearman correlation of its duration with the project finish.
        tornado: task indices by decreasing absolute sensitivity (tasks with none left out).
        project_finish_samples: the project finish offset of every iteration.
        stopped_early: True when ``progress`` stopped the run before all iterations.
    """

    iterations: int
    percentiles: tuple[float, ...]
    project_finish: FloatArray
    project_finish_dates: npt.NDArray[np.datetime64]
    milestone_finish: FloatArray
    milestone_finish_dates: npt.NDArray[np.datetime64]
    mean_project_finish: float
    criticality: FloatArray
    sensitivity: FloatArray
    tornado: tuple[int, ...]
    project_finish_samples: FloatArray
    stopped_early: bool = False


def _topological_order(network: RiskNetwork) -> list[int]:
    size = network.size
    successors: list[list[int]] = [[] for _ in range(size)]
    in_degree = [0] * size
    for before, after in zip(
        network.link_predecessor.tolist(), network.link_successor.tolist(), strict=True
    ):
        successors[before].append(after)
        in_degree[after] += 1
    ready = [task for task in range(size) if in_degree[task] == 0]
    heapq.heapify(ready)
    order: list[int] = []
    while ready:
        task = heapq.heappop(ready)
        order.append(task)
        for successor in successors[task]:
            in_degree[successor] -= 1
            if in_degree[successor] == 0:
                heapq.heappush(ready, successor)
    if len(order) != size:
        raise RiskInputError("the links form a cycle")
    return order


def _incoming(network: RiskNetwork) -> list[list[tuple[int, int, float]]]:
    incoming: list[list[tuple[int, int, float]]] = [[] for _ in range(network.size)]
    for before, after, kind, lag in zip(
        network.link_predecessor.tolist(),
        network.link_successor.tolist(),
        network.link_type.tolist(),
        network.link_lag.tolist(),
        strict=True,
    ):
        incoming[after].append((before, int(kind), float(lag)))
    return incoming


def _sample_durations(
    network: RiskNetwork, iterations: int, rng: np.random.Generator
) -> tuple[FloatArray, FloatArray]:
    """``[tasks, iterations]`` durations and the uniforms they were drawn from.

    Each task's duration is its inverse CDF applied to a uniform; tasks in a correlated group
    get uniforms from correlated normal scores (Gaussian copula); risk events are added last.
    """
    low = network.minimum[:, None]
    mode = network.most_likely[:, None]
    high = network.maximum[:, None]
    spread = high - low
    uniforms = rng.random((network.size, iterations))
    for group in network.groups:
        _correlate(uniforms, np.asarray(group.tasks, dtype=np.int64), group.correlation, rng)
    durations = np.empty_like(uniforms)
    triangular = np.flatnonzero(network.distribution == Distribution.TRIANGULAR)
    pert = np.flatnonzero(network.distribution == Distribution.PERT)
    # In blocks of rows, so that temporaries stay small (big fresh arrays cost page faults).
    for block in np.array_split(triangular, max(1, triangular.size // _BLOCK_ROWS)):
        if block.size:
            durations[block] = _triangular_from_uniform(
                uniforms[block], low[block], mode[block], high[block]
            )
    for block in np.array_split(pert, max(1, pert.size // _BLOCK_ROWS)):
        if block.size:
            durations[block] = _pert_from_uniform(
                uniforms[block], low[block], mode[block], high[block]
            )
    # Exact most-likely value where there is no spread (no rounding noise).
    fixed = np.flatnonzero(spread[:, 0] <= 0)
    durations[fixed] = mode[fixed]

    for event in network.events:
        happens = rng.random(iterations) < event.probability
        for task, delay in zip(event.tasks, event.delay_minutes, strict=True):
            durations[task] += happens * delay
    return durations, uniforms


_BLOCK_ROWS = 64


def _triangular_from_uniform(
    uniforms: FloatArray, low: FloatArray, mode: FloatArray, high: FloatArray
) -> FloatArray:
    """Triangular draws from uniforms (rows = tasks) by the inverse CDF."""
    width = np.where(high > low, high - low, 1.0)
    below = np.sqrt(uniforms * (width * (mode - low)))
    below += low
    above = np.subtract(1.0, uniforms)
    above *= width * (high - mode)
    np.sqrt(above, out=above)
    np.subtract(high, above, out=above)
    result: FloatArray = np.where(uniforms < (mode - low) / width, below, above)
    return result


_PERT_TABLE_SIZE = 2049
_PERT_GRID = 0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, 2049))
"""Points of [0, 1] to integrate the beta density on, denser at the ends where it is steep."""


def _pert_from_uniform(
    uniforms: FloatArray, low: FloatArray, mode: FloatArray, high: FloatArray
) -> FloatArray:
    """PERT-beta draws from uniforms (rows = tasks) through a tabulated inverse CDF.

    The beta shapes are ``alpha = 1 + 4 (mode - low) / (high - low)`` and ``beta = 6 - alpha``.
    The CDF is integrated on a grid (trapezoids), inverted at 2,049 equally spaced
    probabilities, and each uniform is mapped by linear interpolation in that table.
    """
    rows = uniforms.shape[0]
    width = np.where(high > low, high - low, 1.0)
    alpha = 1.0 + 4.0 * (mode - low) / width
    grid = _PERT_GRID[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        log_density = (alpha - 1.0) * np.log(grid) + (5.0 - alpha) * np.log1p(-grid)
    density = np.nan_to_num(np.exp(log_density), posinf=0.0)
    steps = np.diff(_PERT_GRID)[None, :] * (density[:, 1:] + density[:, :-1]) / 2.0
    cdf = np.concatenate([np.zeros((rows, 1)), np.cumsum(steps, axis=1)], axis=1)
    cdf /= cdf[:, -1:]
    probabilities = np.linspace(0.0, 1.0, _PERT_TABLE_SIZE)
    table = np.stack([np.interp(probabilities, cdf[row], _PERT_GRID) for row in range(rows)])
    position = uniforms * (_PERT_TABLE_SIZE - 1)
    cell = np.minimum(position.astype(np.int64), _PERT_TABLE_SIZE - 2)
    fraction = position - cell
    cell += np.arange(rows)[:, None] * _PERT_TABLE_SIZE
    flat = table.ravel()
    left = flat[cell]
    draw = left + fraction * (flat[cell + 1] - left)
    result: FloatArray = low + draw * (high - low)
    return result


def _normal_cdf(values: FloatArray) -> FloatArray:
    """Standard normal CDF (Abramowitz and Stegun 7.1.26 for erf; error below 2e-7)."""
    scaled = np.abs(values) / np.sqrt(2.0)
    t = 1.0 / (1.0 + 0.3275911 * scaled)
    poly = t * (
        0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))
    )
    erf = 1.0 - poly * np.exp(-scaled * scaled)
    result: FloatArray = 0.5 * (1.0 + np.sign(values) * erf)
    return result


def _correlate(
    uniforms: FloatArray, tasks: IntArray, correlation: float, rng: np.random.Generator
) -> None:
    """Replace the group's uniforms by ones from equicorrelated normal scores (one factor)."""
    if tasks.size < 2 or correlation <= 0.0:
        return
    iterations = uniforms.shape[1]
    common = rng.standard_normal(iterations)
    own = rng.standard_normal((tasks.size, iterations))
    scores = np.sqrt(correlation) * common + np.sqrt(1.0 - correlation) * own
    uniforms[tasks] = np.clip(_normal_cdf(scores), 0.0, 1.0 - 1e-12)


def _forward(
    network: RiskNetwork,
    order: list[int],
    incoming: list[list[tuple[int, int, float]]],
    durations: FloatArray,
) -> FloatArray:
    """Early starts ``[tasks, iterations]``."""
    iterations = durations.shape[1]
    release = network.release if network.release is not None else np.zeros(network.size)
    starts = np.empty_like(durations)
    candidate = np.empty(iterations)
    for task in order:
        start = starts[task]
        start.fill(max(0.0, float(release[task])))
        for before, kind, lag in incoming[task]:
            np.add(starts[before], lag, out=candidate)
            if kind in (RiskLinkType.FS, RiskLinkType.FF):
                candidate += durations[before]
            if kind in (RiskLinkType.FF, RiskLinkType.SF):
                candidate -= durations[task]
            np.maximum(start, candidate, out=start)
    return starts


def _criticality(
    order: list[int],
    incoming: list[list[tuple[int, int, float]]],
    durations: FloatArray,
    starts: FloatArray,
    finish: FloatArray,
    scratch: FloatArray,
) -> FloatArray:
    """Share of iterations where each task's total float is zero (backward pass on late starts).

    ``scratch`` (same shape as ``durations``, contents discarded) holds the late starts.
    """
    iterations = durations.shape[1]
    tolerance = 1e-9 * max(1.0, float(np.max(finish)))
    latest = np.subtract(finish[None, :], durations, out=scratch)
    candidate = np.empty(iterations)
    critical: FloatArray = np.zeros(durations.shape[0])
    for task in reversed(order):
        late = latest[task]
        for before, kind, lag in incoming[task]:
            # start[task] >= start[before] + delta  =>  late[before] <= late[task] - delta
            np.subtract(late, lag, out=candidate)
            if kind in (RiskLinkType.FS, RiskLinkType.FF):
                candidate -= durations[before]
            if kind in (RiskLinkType.FF, RiskLinkType.SF):
                candidate += durations[task]
            np.minimum(latest[before], candidate, out=latest[before])
        # Every successor has been processed, so this task's late start is final.
        np.subtract(late, starts[task], out=candidate)
        critical[task] = np.count_nonzero(candidate <= tolerance) / iterations
    return critical


def _ranks(rows: FloatArray) -> FloatArray:
    """0-based rank of each value within its row (ties broken by position)."""
    order = np.argsort(rows, axis=1, kind="stable")
    ranks = np.empty(rows.shape, dtype=np.float64)
    positions = np.broadcast_to(np.arange(rows.shape[1], dtype=np.float64), rows.shape)
    np.put_along_axis(ranks, order, positions, axis=1)
    return ranks


def _spearman(
    durations: FloatArray, uniforms: FloatArray, exact_rows: IntArray, finish: FloatArray
) -> FloatArray:
    """Spearman correlation of every task's duration with ``finish`` (0 if the duration is fixed).

    Overwrites ``uniforms``.

    A duration drawn by inverse CDF from a uniform has that uniform as its exact probability
    transform, which is what Spearman's rank correlation measures on (the population version of
    the rank); so for most tasks the uniforms stand in for the ranks, which saves sorting a
    ``[tasks, iterations]`` array. Tasks whose duration also depends on a risk event
    (``exact_rows``) are ranked explicitly. The finish is ranked explicitly.
    """
    count = finish.shape[0]
    rank_finish = _ranks(finish[None, :])[0]
    rank_finish -= (count - 1) / 2.0
    scores = uniforms
    scores -= uniforms.mean(axis=1, keepdims=True)
    if exact_rows.size:
        scores[exact_rows] = _ranks(durations[exact_rows])
        scores[exact_rows] -= (count - 1) / 2.0
    numerator = scores @ rank_finish
    denominator = np.sqrt(np.einsum("ij,ij->i", scores, scores) * (rank_finish @ rank_finish))
    constant = np.ptp(durations, axis=1) <= 0
    safe = np.where(denominator > 0, denominator, 1.0)
    correlation: FloatArray = np.where(constant | (denominator <= 0), 0.0, numerator / safe)
    return correlation


RiskProgress = Callable[[float, int], bool]
"""``progress(fraction_done, iterations_done) -> keep_going``; False stops the simulation."""

CHUNK_WORK = 4_000_000
"""With ``progress``, iterations are simulated in chunks of about this many task-iterations."""

MIN_CHUNK = 1_000
"""Fewest iterations in a chunk (a chunk's rank correlations need enough of them)."""


@dataclass
class _Pass:
    """What one batch of iterations contributes (criticality and sensitivity are shares)."""

    finish: FloatArray
    milestone_finish: FloatArray
    criticality: FloatArray
    sensitivity: FloatArray


def _simulate_pass(
    network: RiskNetwork,
    order: list[int],
    incoming: list[list[tuple[int, int, float]]],
    iterations: int,
    rng: np.random.Generator,
    sensitivity: bool,
) -> _Pass:
    durations, uniforms = _sample_durations(network, iterations, rng)
    starts = _forward(network, order, incoming, durations)
    finish: FloatArray = np.zeros(iterations)
    for task in range(network.size):
        np.maximum(finish, starts[task] + durations[task], out=finish)
    milestones = np.asarray(network.milestones, dtype=np.int64)
    milestone_finish: FloatArray = starts[milestones] + durations[milestones]
    if sensitivity and network.size:
        event_tasks = np.unique(
            np.asarray([task for event in network.events for task in event.tasks], dtype=np.int64)
        )
        correlation = _spearman(durations, uniforms, event_tasks, finish)
    else:
        correlation = np.zeros(network.size)
    # The uniforms are spent; their memory holds the late starts (saves a large allocation).
    criticality = _criticality(order, incoming, durations, starts, finish, scratch=uniforms)
    return _Pass(finish, milestone_finish, criticality, correlation)


def simulate(
    network: RiskNetwork,
    *,
    iterations: int = 10_000,
    seed: int = 0,
    to_datetime: OffsetToDatetime | None = None,
    percentiles: tuple[float, ...] = DEFAULT_PERCENTILES,
    sensitivity: bool = True,
    progress: RiskProgress | None = None,
    chunk: int | None = None,
) -> RiskResult:
    """Run the Monte Carlo simulation.

    Args:
        network: tasks, links, estimates, events and groups (working minutes).
        iterations: number of iterations (>= 1).
        seed: random seed; the same seed and inputs give the same result.
        to_datetime: vectorised working-minute offset -> datetime64 conversion; by default a
            Monday-Friday 9:00-17:00 calendar starting on Monday 2025-01-06 09:00.
        percentiles: percentile levels (0..100) to report.
        sensitivity: compute Spearman sensitivities (off saves a little time).
        progress: called after each chunk of iterations with the fraction and the number of
            iterations done; when it returns False the simulation stops and the result covers
            the iterations done so far (``stopped_early``, ``iterations`` says how many).
        chunk: iterations per chunk; by default all at once without ``progress``, else about
            :data:`CHUNK_WORK` task-iterations (at least :data:`MIN_CHUNK`). Chunks keep
            memory bounded on large runs. Percentiles and criticality come out exactly as from
            one pass over the same draws; the sensitivity is the iteration-weighted mean of
            each chunk's rank correlation (a pass-wide ranking would need every draw kept),
            which differs from the one-pass figure only by sampling noise.

    Raises:
        RiskInputError: malformed network, cyclic links, or ``iterations < 1``.
    """
    if iterations < 1:
        raise RiskInputError("iterations must be >= 1")
    if chunk is not None and chunk < 1:
        raise RiskInputError("chunk must be >= 1")
    network.validate()
    convert = to_datetime or WeeklyCalendar(np.datetime64("2025-01-06T09:00").astype(object))
    rng = np.random.default_rng(seed)
    order = _topological_order(network)
    incoming = _incoming(network)
    if chunk is None:
        chunk = (
            iterations if progress is None else max(MIN_CHUNK, CHUNK_WORK // max(1, network.size))
        )
    passes: list[_Pass] = []
    done = 0
    stopped = False
    while done < iterations:
        count = min(chunk, iterations - done)
        passes.append(_simulate_pass(network, order, incoming, count, rng, sensitivity))
        done += count
        if progress is not None and not progress(done / iterations, done) and done < iterations:
            stopped = True
            break
    if len(passes) == 1:
        only = passes[0]
        finish, milestone_samples = only.finish, only.milestone_finish
        criticality, correlation = only.criticality, only.sensitivity
    else:
        weights = np.asarray([p.finish.size for p in passes], dtype=np.float64) / done
        finish = np.concatenate([p.finish for p in passes])
        milestone_samples = np.concatenate([p.milestone_finish for p in passes], axis=1)
        criticality = np.sum([w * p.criticality for w, p in zip(weights, passes, strict=True)], 0)
        correlation = np.sum([w * p.sensitivity for w, p in zip(weights, passes, strict=True)], 0)
    milestone_finish = np.percentile(milestone_samples, percentiles, axis=1).T
    project_finish = np.percentile(finish, percentiles)
    tornado = tuple(
        int(task) for task in np.argsort(-np.abs(correlation), kind="stable") if correlation[task]
    )
    return RiskResult(
        iterations=done,
        percentiles=tuple(percentiles),
        project_finish=project_finish,
        project_finish_dates=convert(project_finish),
        milestone_finish=milestone_finish,
        milestone_finish_dates=convert(milestone_finish.ravel()).reshape(milestone_finish.shape),
        mean_project_finish=float(np.mean(finish)),
        criticality=criticality,
        sensitivity=correlation,
        tornado=tornado,
        project_finish_samples=finish,
        stopped_early=stopped,
    )


def deterministic_finishes(network: RiskNetwork) -> FloatArray:
    """Early finish of every task with most-likely durations and no risk events (minutes)."""
    network.validate()
    order = _topological_order(network)
    durations = network.most_likely[:, None].astype(np.float64)
    starts = _forward(network, order, _incoming(network), durations)
    finishes: FloatArray = (starts + durations)[:, 0]
    return finishes
