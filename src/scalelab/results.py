"""What a simulation returns: plain frozen dataclasses over numpy arrays."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np

from ._timelines import NodeLog, PartitionLog, busy_integral, count_le, lag, lag_seconds
from ._validate import check_positive

__all__ = [
    "Status",
    "LatencyStats",
    "TimeSeries",
    "ComponentStats",
    "Counts",
    "SimulationResult",
]


class Status(IntEnum):
    """Outcome of a request, as stored per request in :attr:`SimulationResult.status` (an
    ``int8`` array, so ``result.status == Status.COMPLETED`` selects the completed ones)."""

    IN_FLIGHT = 0
    """Still being served (or waiting) when the run ended."""
    COMPLETED = 1
    """Answered successfully (event-driven: processed)."""
    TIMED_OUT = 2
    """The client gave up waiting."""
    DROPPED = 3
    """Refused: a full queue or buffer, shedding, too few in-sync replicas; or deleted by
    retention unprocessed, or lost in a broker leader's crash."""
    FAILED = 4
    """A dependency returned an error (event-driven: dead-lettered)."""


@dataclass(frozen=True)
class LatencyStats:
    """Latency percentiles of a set of requests that arrived after the warm-up, seconds
    (see :attr:`SimulationResult.latency` for which requests).

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
        return cls(
            int(samples.size),
            float(samples.mean()),
            float(p50),
            float(p95),
            float(p99),
            float(p999),
            float(samples.max()),
        )


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
    arrival : numpy.ndarray
        Per request, when it was sent, seconds.
    finish : numpy.ndarray
        Per request, when the client got its answer (or gave up), seconds; ``inf`` if
        it had none by the end. For event-driven systems the answer is the broker's
        acknowledgement (or the API's 202), not the processing.
    done : numpy.ndarray
        Per request, when its outcome was settled (processed, failed, dropped), seconds;
        ``inf`` while in flight. Equals ``finish`` for request-response systems.
    replied : numpy.ndarray
        Per request, True if the client got a success reply.
    network : numpy.ndarray
        Per request, seconds spent on network hops.
    status : numpy.ndarray
        Per request :class:`Status` code (int8).
    latency : LatencyStats
        What clients saw, failures included: for every request that arrived in
        ``[warmup, duration)``, ``finish - arrival``, the time until it was answered or
        the client gave up (a timed-out request counts at its timeout, a dropped or
        failed one when the client learned it); a request still unanswered at the end
        counts at its age then (their number is ``summary()["unanswered"]``).
    success_latency : LatencyStats
        The same over successful replies only. A p99 of successes improves when more
        requests fail, so show it only beside the failure counts, labelled.
    completion : LatencyStats
        When the work was done: ``done - arrival`` of completed requests that arrived in
        the window (for event-driven systems, produced -> processed).
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
    done: np.ndarray
    replied: np.ndarray
    network: np.ndarray
    status: np.ndarray
    latency: LatencyStats
    success_latency: LatencyStats
    completion: LatencyStats
    counts: Counts
    throughput: float
    offered_rate: float
    components: dict[str, ComponentStats]
    counters: dict[str, float]
    _logs: dict[str, NodeLog] = field(repr=False)
    _partitions: dict[str, PartitionLog] = field(repr=False)

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
        """What each client that arrived after the warm-up waited, failures included (see
        :attr:`latency`), seconds, in arrival order."""
        return _client_waits(self.arrival, self.finish, self.warmup, self.duration)

    def success_latencies(self) -> np.ndarray:
        """Latencies of the successful replies among them only, seconds."""
        keep = self.replied & (self.arrival >= self.warmup)
        return self.finish[keep] - self.arrival[keep]

    def in_system(self) -> float:
        """Time-average number of unsettled requests over the window (Little's L)."""
        a = np.clip(self.arrival, self.warmup, self.duration)
        f = np.clip(self.done, self.warmup, self.duration)
        return float(np.sum(f - a) / self.window)

    def timeseries(self, name: str, bin_width: float | None = None) -> TimeSeries:
        """A quantity over time, sampled every ``bin_width`` seconds (default duration/200).

        Parameters
        ----------
        name : str
            Per bin: ``"arrivals"`` (requests arriving per second), ``"throughput"``
            (completions/s), ``"latency"`` (mean client
            latency, failures included, of requests answered or given up in the bin, s),
            ``"completion"`` (mean ``done - arrival`` of work finished in the bin, s; for
            a read model this is its staleness); at each
            sample time: ``"in_flight"``, ``"<component>.queue_length"``,
            ``"<component>.busy"`` (a component or a tier prefix such as ``"app"``, summed
            over ``app[0]``, ``app[1]``, ...), per bin ``"<component>.completions"``
            (visits finished per second), and for event-driven systems ``"lag"`` /
            ``"lag_seconds"`` (all partitions: messages not yet processed, and the age of
            the oldest, s) or ``"partition[i].lag"`` / ``"partition[i].lag_seconds"``.
            Empty bins read 0.
        bin_width : float, optional
            Seconds (> 0).
        """
        width = self.duration / 200 if bin_width is None else check_positive("bin_width", bin_width)
        if self.duration / width > 1_000_000:
            raise ValueError(
                f"bin_width={width!r} cuts {self.duration:g} s into more than 1,000,000 bins; "
                f"use at least {self.duration / 1_000_000:.3g} s"
            )
        edges = np.arange(0.0, self.duration + width / 2, width)
        if name == "arrivals":
            counts, _ = np.histogram(self.arrival, edges)
            return TimeSeries(name, edges[:-1], counts / width)
        if name in ("throughput", "latency", "completion"):
            if name == "latency":
                at, ok, start = self.finish, np.isfinite(self.finish), self.arrival
            else:
                at, ok, start = self.done, self.status == Status.COMPLETED, self.arrival
            counts, _ = np.histogram(at[ok], edges)
            if name == "throughput":
                return TimeSeries(name, edges[:-1], counts / width)
            sums, _ = np.histogram(at[ok], edges, weights=at[ok] - start[ok])
            return TimeSeries(name, edges[:-1], sums / np.maximum(counts, 1))
        if name == "in_flight":
            return TimeSeries(
                name, edges, count_le(self.arrival, edges) - count_le(np.sort(self.done), edges)
            )
        component, _, quantity = name.rpartition(".")
        if quantity in ("lag", "lag_seconds") and (
            component in self._partitions or component == ""
        ):
            parts = [self._partitions[component]] if component else self._partitions.values()
            if quantity == "lag":
                return TimeSeries(name, edges, sum(lag(p, edges) for p in parts))
            return TimeSeries(name, edges, np.max([lag_seconds(p, edges) for p in parts], axis=0))
        logs = [
            log
            for key, log in self._logs.items()
            if key == component or key.startswith(component + "[")
        ]
        if logs and quantity == "completions":
            ends = np.concatenate([g.visit_end for g in logs])
            counts, _ = np.histogram(ends, edges)
            return TimeSeries(name, edges[:-1], counts / width)
        if logs and quantity in ("queue_length", "busy"):
            if quantity == "queue_length":
                values = sum(count_le(g.entered, edges) - count_le(g.started, edges) for g in logs)
            else:
                values = sum(count_le(g.started, edges) - count_le(g.ended, edges) for g in logs)
            return TimeSeries(name, edges, values)
        known = ["arrivals", "throughput", "latency", "completion", "in_flight"] + [
            f"{c}.{q}" for c in self._logs for q in ("queue_length", "busy", "completions")
        ]
        if self._partitions:
            known += ["lag", "lag_seconds"] + [f"{p}.lag" for p in self._partitions]
        raise ValueError(f"name={name!r} is not a known series; choose one of {known}")

    def visit_times(self, component: str) -> np.ndarray:
        """Time each visit to ``component`` (or to every ``component[i]`` of a tier) took,
        queueing included, for visits that ended during the run, seconds."""
        logs = [
            log
            for key, log in self._logs.items()
            if key == component or key.startswith(component + "[")
        ]
        if not logs:
            raise ValueError(
                f"component={component!r} is not a component of this run; "
                f"choose one of {sorted(self._logs)}"
            )
        return np.concatenate([log.visit_end - log.visit_enter for log in logs])

    def partition_messages(self) -> dict[str, int]:
        """Messages appended to each broker partition over the whole run (event-driven
        systems; empty otherwise), e.g. ``{"partition[0]": 1234, ...}``."""
        return {name: int(p.appended.size) for name, p in self._partitions.items()}

    def breakdown(self) -> dict[str, float]:
        """Where a completed request's time goes, averaged over requests completed in the
        window, seconds.

        Returns ``{"<component>.wait": s, "<component>.hold": s, ..., "network": s}``: time
        queued for and holding each component's slots (a request that skipped a component
        counts 0 there), and time on network hops. A slot held while calling downstream
        (an app worker waiting on the database) includes the downstream time.
        """
        keep = (self.status == Status.COMPLETED) & (self.arrival >= self.warmup)
        n = max(int(keep.sum()), 1)
        out = {}
        for name, log in self._logs.items():
            mask = keep[log.visit_rid]
            out[f"{name}.wait"] = float(np.sum((log.visit_start - log.visit_enter)[mask]) / n)
            out[f"{name}.hold"] = float(np.sum((log.visit_end - log.visit_start)[mask]) / n)
        out["network"] = float(np.sum(self.network[keep]) / n)
        return out

    def summary(self) -> dict[str, float | int | bool | None]:
        """Headline figures as a flat dict: counts (``unanswered``: requests of the window
        with no answer by the end), throughput, client latency percentiles, failures
        included, and those of successes (s), utilization per component and topology
        counters."""
        out: dict[str, float | int | bool | None] = {
            "generated": self.counts.generated,
            "completed": self.counts.completed,
            "timed_out": self.counts.timed_out,
            "dropped": self.counts.dropped,
            "failed": self.counts.failed,
            "in_flight": self.counts.in_flight,
            "offered_rate": self.offered_rate,
            "throughput": self.throughput,
            "unanswered": int(np.sum((self.arrival >= self.warmup) & ~np.isfinite(self.finish))),
            "latency_mean": self.latency.mean,
            "latency_p50": self.latency.p50,
            "latency_p95": self.latency.p95,
            "latency_p99": self.latency.p99,
            "latency_p999": self.latency.p999,
            "success_latency_p50": self.success_latency.p50,
            "success_latency_p99": self.success_latency.p99,
            "completion_mean": self.completion.mean,
            "completion_p99": self.completion.p99,
            "overloaded": self.overloaded,
        }
        for name, comp in self.components.items():
            out[f"{name}.utilization"] = comp.utilization
        out.update(self.counters)
        return out


def _client_waits(
    arrival: np.ndarray, finish: np.ndarray, warmup: float, duration: float
) -> np.ndarray:
    """What each client that arrived after ``warmup`` waited, failures included, an
    unanswered one until ``duration``, seconds."""
    keep = arrival >= warmup
    return np.minimum(finish[keep], duration) - arrival[keep]


def component_stats(log: NodeLog, warmup: float, duration: float) -> ComponentStats:
    """Summarise one component's timeline over ``[warmup, duration]``."""
    busy = busy_integral(log.started, log.ended, warmup, duration)
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


def build_result(
    *,
    duration: float,
    warmup: float,
    seed: int,
    engine: str,
    arrival: np.ndarray,
    finish: np.ndarray,
    status: np.ndarray,
    logs: list[NodeLog],
    counters: dict[str, float],
    network: np.ndarray | None = None,
    done: np.ndarray | None = None,
    replied: np.ndarray | None = None,
    partitions: list[PartitionLog] | None = None,
) -> SimulationResult:
    """Assemble a :class:`SimulationResult` from raw per-request arrays and logs.

    ``done`` defaults to ``finish``, ``replied`` to "completed" and ``network`` to zeros,
    which is right for request-response systems.
    """
    done = finish if done is None else done
    replied = (status == Status.COMPLETED) if replied is None else replied
    network = np.zeros_like(arrival) if network is None else network
    counts = Counts(
        generated=int(status.size),
        completed=int(np.sum(status == Status.COMPLETED)),
        timed_out=int(np.sum(status == Status.TIMED_OUT)),
        dropped=int(np.sum(status == Status.DROPPED)),
        failed=int(np.sum(status == Status.FAILED)),
        in_flight=int(np.sum(status == Status.IN_FLIGHT)),
    )
    window = duration - warmup
    in_window = arrival >= warmup
    ok = replied & in_window
    completed = (status == Status.COMPLETED) & in_window
    completed_in_window = np.sum((status == Status.COMPLETED) & (done >= warmup))
    return SimulationResult(
        duration=duration,
        warmup=warmup,
        seed=seed,
        engine=engine,
        arrival=arrival,
        finish=finish,
        done=done,
        replied=replied,
        network=network,
        status=status,
        latency=LatencyStats.of(_client_waits(arrival, finish, warmup, duration)),
        success_latency=LatencyStats.of(finish[ok] - arrival[ok]),
        completion=LatencyStats.of(done[completed] - arrival[completed]),
        counts=counts,
        throughput=float(completed_in_window / window),
        offered_rate=float(np.sum(in_window) / window),
        components={log.name: component_stats(log, warmup, duration) for log in logs},
        counters=counters,
        _logs={log.name: log for log in logs},
        _partitions={p.name: p for p in partitions or []},
    )
