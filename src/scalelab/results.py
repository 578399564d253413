"""What a simulation returns: plain frozen dataclasses over numpy arrays.

Status codes of :attr:`SimulationResult.status`: ``IN_FLIGHT`` (still being served when
the run ended), ``COMPLETED``, ``TIMED_OUT`` (the client gave up), ``DROPPED`` (a full
queue refused it), ``FAILED`` (a dependency returned an error).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._validate import check_positive

__all__ = [
    "IN_FLIGHT",
    "COMPLETED",
    "TIMED_OUT",
    "DROPPED",
    "FAILED",
    "LatencyStats",
    "TimeSeries",
    "ComponentStats",
    "Counts",
    "SimulationResult",
]

IN_FLIGHT, COMPLETED, TIMED_OUT, DROPPED, FAILED = 0, 1, 2, 3, 4


@dataclass(frozen=True)
class LatencyStats:
    """Latency of completed requests that arrived after the warm-up, seconds.

    Percentile fields are ``None`` when no request completed (never NaN).
    """

    count: int
    mean: float | None
    p50: float | None
    p95: float | None
    p99: float | None
    p999: float | None
    max: float | None

    @classmethod
    def of(cls, samples: np.ndarray) -> LatencyStats:
        """Summarise an array of latencies (seconds)."""
        if samples.size == 0:
            return cls(0, None, None, None, None, None, None)
        p50, p95, p99, p999 = np.percentile(samples, [50, 95, 99, 99.9])
        return cls(int(samples.size), float(samples.mean()), float(p50), float(p95),
                   float(p99), float(p999), float(samples.max()))


@dataclass(frozen=True)
class TimeSeries:
    """Values over time: ``values[i]`` belongs to time ``t[i]`` (seconds)."""

    name: str
    t: np.ndarray
    values: np.ndarray


@dataclass(frozen=True)
class ComponentStats:
    """One component (a pool of identical servers or slots) over the measurement window.

    Attributes
    ----------
    name : str
        Component label, e.g. ``"app[0]"`` or ``"db"``.
    capacity : int
        Servers, workers or connections in the pool.
    utilization : float
        Busy slot-seconds / (capacity x window), in [0, 1]. For app workers "busy"
        includes time blocked on downstream calls.
    mean_wait : float
        Mean time a visit waited for a free slot, seconds (0 if no visits).
    mean_hold : float
        Mean time a visit held its slot, seconds (0 if no visits).
    visits : int
        Visits that ended inside the window.
    dropped : int
        Arrivals refused because the queue was full (whole run).
    """

    name: str
    capacity: int
    utilization: float
    mean_wait: float
    mean_hold: float
    visits: int
    dropped: int


@dataclass(frozen=True)
class Counts:
    """Where every generated request ended up. ``generated`` equals the sum of the rest."""

    generated: int
    completed: int
    timed_out: int
    dropped: int
    failed: int
    in_flight: int


@dataclass(frozen=True)
class _NodeLog:
    """Raw timeline of one component: sorted event times and finished visits."""

    name: str
    capacity: int
    entered: np.ndarray
    started: np.ndarray
    ended: np.ndarray
    visit_rid: np.ndarray
    visit_enter: np.ndarray
    visit_start: np.ndarray
    visit_end: np.ndarray
    dropped: int


@dataclass(frozen=True)
class SimulationResult:
    """Everything one seeded run produced.

    Attributes
    ----------
    duration, warmup : float
        Run length and the initial period excluded from statistics, seconds.
    seed : int
        The seed that reproduces this run.
    engine : str
        ``"simpy"`` (general discrete-event engine) or ``"fast"`` (exact recursion for a
        single FCFS station).
    arrival, finish : numpy.ndarray
        Per request, seconds; ``finish`` is ``inf`` for requests still in flight.
    network : numpy.ndarray
        Per request, seconds spent on network hops.
    status : numpy.ndarray
        Per request status code (see module docstring).
    latency : LatencyStats
        Completed requests that arrived in ``[warmup, duration)``.
    counts : Counts
        Accounting of every request generated in the whole run.
    throughput : float
        Completions per second inside the window.
    offered_rate : float
        Arrivals per second inside the window.
    components : dict of str to ComponentStats
        Per component figures.
    counters : dict of str to float
        Topology-specific figures (cache hits, stale reads, pool waits, ...).
    """

    duration: float
    warmup: float
    seed: int
    engine: str
    arrival: np.ndarray
    finish: np.ndarray
    network: np.ndarray
    status: np.ndarray
    latency: LatencyStats
    counts: Counts
    throughput: float
    offered_rate: float
    components: dict[str, ComponentStats]
    counters: dict[str, float]
    _logs: dict[str, _NodeLog] = field(repr=False)

    @property
    def window(self) -> float:
        """Length of the measurement window, seconds."""
        return self.duration - self.warmup

    @property
    def overloaded(self) -> bool:
        """True when completions fell more than 5% short of arrivals in the window, i.e.
        work arrived faster than the system could finish it (queues grew, or requests
        were dropped or timed out)."""
        return self.throughput < 0.95 * self.offered_rate

    def latencies(self) -> np.ndarray:
        """Latencies of completed requests that arrived after the warm-up, seconds."""
        keep = (self.status == COMPLETED) & (self.arrival >= self.warmup)
        return self.finish[keep] - self.arrival[keep]

    def in_system(self) -> float:
        """Time-average number of requests in the system over the window (Little's L)."""
        a = np.clip(self.arrival, self.warmup, self.duration)
        f = np.clip(self.finish, self.warmup, self.duration)
        return float(np.sum(f - a) / self.window)

    def timeseries(self, name: str, bin_width: float | None = None) -> TimeSeries:
        """A quantity over time, sampled every ``bin_width`` seconds (default duration/200).

        Parameters
        ----------
        name : str
            ``"throughput"`` (completions/s per bin), ``"latency"`` (mean latency of
            requests completing in each bin, s; 0 for an empty bin), ``"in_flight"``,
            or ``"<component>.queue_length"`` / ``"<component>.busy"`` for any name in
            :attr:`components`.
        bin_width : float, optional
            Seconds (> 0).
        """
        width = self.duration / 200 if bin_width is None else check_positive("bin_width",
                                                                              bin_width)
        edges = np.arange(0.0, self.duration + width / 2, width)
        if name in ("throughput", "latency"):
            done = self.status == COMPLETED
            counts, _ = np.histogram(self.finish[done], edges)
            if name == "throughput":
                return TimeSeries(name, edges[:-1], counts / width)
            sums, _ = np.histogram(self.finish[done], edges,
                                   weights=self.finish[done] - self.arrival[done])
            return TimeSeries(name, edges[:-1], sums / np.maximum(counts, 1))
        if name == "in_flight":
            ends = np.sort(self.finish)
            return TimeSeries(name, edges, _count_le(self.arrival, edges) - _count_le(ends, edges))
        component, _, quantity = name.rpartition(".")
        if component in self._logs and quantity in ("queue_length", "busy"):
            log = self._logs[component]
            if quantity == "queue_length":
                values = _count_le(log.entered, edges) - _count_le(log.started, edges)
            else:
                values = _count_le(log.started, edges) - _count_le(log.ended, edges)
            return TimeSeries(name, edges, values)
        known = ["throughput", "latency", "in_flight"] + [
            f"{c}.{q}" for c in self._logs for q in ("queue_length", "busy")]
        raise ValueError(f"name={name!r} is not a known series; choose one of {known}")

    def breakdown(self) -> dict[str, float]:
        """Where a completed request's time goes, averaged over requests completed in the
        window, seconds.

        Returns ``{"<component>.wait": s, "<component>.hold": s, ..., "network": s}``: time
        queued for and holding each component's slots (a request that skipped a component
        counts 0 there), and time on network hops. A slot held while calling downstream
        (an app worker waiting on the database) includes the downstream time.
        """
        keep = (self.status == COMPLETED) & (self.arrival >= self.warmup)
        n = max(int(keep.sum()), 1)
        out = {}
        for name, log in self._logs.items():
            mask = keep[log.visit_rid]
            out[f"{name}.wait"] = float(np.sum((log.visit_start - log.visit_enter)[mask]) / n)
            out[f"{name}.hold"] = float(np.sum((log.visit_end - log.visit_start)[mask]) / n)
        out["network"] = float(np.sum(self.network[keep]) / n)
        return out

    def summary(self) -> dict[str, float | int | bool | None]:
        """Headline figures as a flat dict: counts, throughput, latency percentiles (s),
        utilization per component and topology counters."""
        out: dict[str, float | int | bool | None] = {
            "generated": self.counts.generated,
            "completed": self.counts.completed,
            "timed_out": self.counts.timed_out,
            "dropped": self.counts.dropped,
            "failed": self.counts.failed,
            "in_flight": self.counts.in_flight,
            "offered_rate": self.offered_rate,
            "throughput": self.throughput,
            "latency_mean": self.latency.mean,
            "latency_p50": self.latency.p50,
            "latency_p95": self.latency.p95,
            "latency_p99": self.latency.p99,
            "latency_p999": self.latency.p999,
            "overloaded": self.overloaded,
        }
        for name, comp in self.components.items():
            out[f"{name}.utilization"] = comp.utilization
        out.update(self.counters)
        return out


def _count_le(sorted_times: np.ndarray, at: np.ndarray) -> np.ndarray:
    return np.searchsorted(sorted_times, at, side="right")


def _busy_integral(started: np.ndarray, ended: np.ndarray, lo: float, hi: float) -> float:
    """Integral over [lo, hi] of (#started <= t) - (#ended <= t)."""
    s = started[started < hi]
    e = ended[ended < hi]
    return float(np.sum(hi - np.maximum(s, lo)) - np.sum(hi - np.maximum(e, lo)))


def _component_stats(log: _NodeLog, warmup: float, duration: float) -> ComponentStats:
    """Summarise one component's timeline over ``[warmup, duration]``."""
    busy = _busy_integral(log.started, log.ended, warmup, duration)
    inside = log.visit_end >= warmup
    waits = (log.visit_start - log.visit_enter)[inside]
    holds = (log.visit_end - log.visit_start)[inside]
    return ComponentStats(
        name=log.name,
        capacity=log.capacity,
        utilization=min(1.0, max(0.0, busy / (log.capacity * (duration - warmup)))),
        mean_wait=float(waits.mean()) if waits.size else 0.0,
        mean_hold=float(holds.mean()) if holds.size else 0.0,
        visits=int(inside.sum()),
        dropped=log.dropped,
    )


def _build_result(*, duration: float, warmup: float, seed: int, engine: str,
                 arrival: np.ndarray, finish: np.ndarray, network: np.ndarray,
                 status: np.ndarray,
                 logs: list[_NodeLog], counters: dict[str, float]) -> SimulationResult:
    """Assemble a :class:`SimulationResult` from raw per-request arrays and node logs."""
    counts = Counts(
        generated=int(status.size),
        completed=int(np.sum(status == COMPLETED)),
        timed_out=int(np.sum(status == TIMED_OUT)),
        dropped=int(np.sum(status == DROPPED)),
        failed=int(np.sum(status == FAILED)),
        in_flight=int(np.sum(status == IN_FLIGHT)),
    )
    window = duration - warmup
    in_window = arrival >= warmup
    done = (status == COMPLETED) & in_window
    completed_in_window = np.sum((status == COMPLETED) & (finish >= warmup))
    return SimulationResult(
        duration=duration,
        warmup=warmup,
        seed=seed,
        engine=engine,
        arrival=arrival,
        finish=finish,
        network=network,
        status=status,
        latency=LatencyStats.of(finish[done] - arrival[done]),
        counts=counts,
        throughput=float(completed_in_window / window),
        offered_rate=float(np.sum(in_window) / window),
        components={log.name: _component_stats(log, warmup, duration) for log in logs},
        counters=counters,
        _logs={log.name: log for log in logs},
    )
