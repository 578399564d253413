"""Scale up before scaling out: what a bigger node buys, what it costs, and where it
stops. The data behind chapter 4's "Scale up first".

A node's throughput as cores are added follows the universal scalability law (a formula
over two assumptions, contention and coherency, which a load test fits); the node is then
simulated as the M/M/c queue with that many *effective* cores, each as fast as one core.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._validate import check_int, check_ints, check_non_negative, check_positive, check_real
from ..theory import mmc_response_quantile
from ._units import unit_p99

__all__ = ["LARGEST_CORES", "ScaleUp", "scale_up", "usl_throughput"]

LARGEST_CORES = 192
"""vCPUs of the largest general-purpose instance of a current cloud family (AWS m7i.48xlarge,
2024); memory-optimised families reach 448. An assumption: check your provider's list."""


def usl_throughput(cores: np.ndarray, per_core_rate: float, contention: float, coherency: float):
    """Gunther's universal scalability law: requests/s of a node with ``cores`` cores,
    ``per_core_rate x c / (1 + contention (c - 1) + coherency c (c - 1))`` (formula).

    Contention (queueing for a shared resource: a lock, a log) caps the speed-up; coherency
    (cores keeping shared data consistent) makes it fall past ``sqrt((1 - contention) /
    coherency)`` cores.
    """
    c = np.asarray(cores, dtype=float)
    return per_core_rate * c / (1 + contention * (c - 1) + coherency * c * (c - 1))


@dataclass(frozen=True)
class ScaleUp:
    """One node at several sizes: capacity (formula), p99 at a load (simulated and
    formula) and price.

    Attributes
    ----------
    cores : numpy.ndarray
        Node sizes.
    capacity : numpy.ndarray
        Requests/s one node sustains (universal scalability law).
    linear : numpy.ndarray
        ``cores x per_core_rate``: the capacity if nothing were shared.
    effective_cores : numpy.ndarray
        ``floor(capacity / per_core_rate)``: the ideal cores the node behaves as.
    p99, formula_p99 : numpy.ndarray
        p99 at ``load`` of the M/M/c queue with the effective cores, simulated and exact,
        seconds; inf when the node cannot carry the load. Optimistic: it assumes what
        the law takes away is whole cores, not each query's speed.
    slowed_p99 : numpy.ndarray
        The other reading (formula): all ``cores`` serve, each slowed to ``capacity /
        cores`` by lock waits and coherency traffic, seconds. A real node lies between.
    monthly_cost : numpy.ndarray
        ``cores x price_per_core``, dollars.
    load, per_core_rate, target_utilization : float
    peak_cores : float
        Where capacity peaks, ``sqrt((1 - contention) / coherency)`` (inf without
        coherency).
    largest : int
        The largest size on offer.
    """

    cores: np.ndarray
    capacity: np.ndarray
    linear: np.ndarray
    effective_cores: np.ndarray
    p99: np.ndarray
    formula_p99: np.ndarray
    slowed_p99: np.ndarray
    monthly_cost: np.ndarray
    load: float
    per_core_rate: float
    target_utilization: float
    peak_cores: float
    largest: int

    @property
    def cost_per_capacity(self) -> np.ndarray:
        """Dollars a month per 1,000 requests/s of capacity."""
        return self.monthly_cost / self.capacity * 1_000

    def smallest_for(self, load: float) -> int | None:
        """Fewest cores on the list whose capacity carries ``load`` at the target
        utilization, or None if no size does."""
        fits = self.cores[self.capacity * self.target_utilization >= load]
        return int(fits[0]) if fits.size else None


def scale_up(
    load: float = 6_000.0,
    per_core_rate: float = 1_250.0,
    cores: tuple[int, ...] = (2, 4, 8, 16, 32, 64, 128, 192),
    contention: float = 0.03,
    coherency: float = 0.0002,
    price_per_core: float = 37.0,
    largest: int = LARGEST_CORES,
    target_utilization: float = 0.7,
    requests: int = 20_000,
    seed: int = 1,
) -> ScaleUp:
    """Grow one node (a database, say) from a few cores to the largest size on offer.

    Parameters
    ----------
    load : float
        Requests/s offered to the node (> 0).
    per_core_rate : float
        Requests/s one core completes alone (> 0); a faster core is a higher rate.
    cores : tuple of int
        Sizes to evaluate (vCPUs: a cloud vCPU is a hyperthread), ascending, each 1 to
        1,024.
    contention : float
        The law's serial fraction, in [0, 1); illustrative: fit it to your own load test.
    coherency : float
        The law's crosstalk cost, in [0, 0.1]; illustrative: fit it to your own load test.
    price_per_core : float
        Dollars a month per core (>= 0). 37 is an on-demand general-purpose vCPU (AWS m7i,
        $0.1008 an hour for 2 vCPUs, us-east-1, 2024), linear across the family's sizes;
        managed databases cost about twice that.
    largest : int
        The largest size on offer, cores (>= 1).
    target_utilization : float
        In (0, 1], for :meth:`ScaleUp.smallest_for`.
    requests : int
        Requests simulated per size, 1,000 to 1,000,000; about 0.1 s per 10,000.
    seed : int

    Returns
    -------
    ScaleUp
    """
    check_positive("load", load)
    check_positive("per_core_rate", per_core_rate)
    sizes = check_ints("cores", cores, low=1, high=1_024)
    if list(sizes) != sorted(set(sizes)):
        raise ValueError(f"cores={cores!r} must be strictly ascending")
    check_real("contention", contention, low=0.0, high=1.0, high_open=True)
    check_real("coherency", coherency, low=0.0, high=0.1)
    check_non_negative("price_per_core", price_per_core)
    check_int("largest", largest, low=1)
    check_real("target_utilization", target_utilization, low=0.0, high=1.0, low_open=True)
    check_int("requests", requests, low=1_000, high=1_000_000)
    c = np.asarray(sizes, dtype=float)
    capacity = usl_throughput(c, per_core_rate, contention, coherency)
    effective = np.maximum(np.floor(capacity / per_core_rate + 1e-9), 1).astype(int)
    p99, formula, slowed = [], [], []
    for size, cap in zip(sizes, capacity, strict=True):
        slowed.append(
            mmc_response_quantile(load, cap / size, size, 0.99) if load < cap else math.inf
        )
    for k in effective:
        carries = load < k * per_core_rate
        p99.append(
            unit_p99(load, int(k), 1 / per_core_rate, requests, seed) if carries else math.inf
        )
        formula.append(
            mmc_response_quantile(load, per_core_rate, int(k), 0.99) if carries else math.inf
        )
    return ScaleUp(
        cores=c,
        capacity=capacity,
        linear=c * per_core_rate,
        effective_cores=effective,
        p99=np.array(p99),
        formula_p99=np.array(formula),
        slowed_p99=np.array(slowed),
        monthly_cost=c * price_per_core,
        load=float(load),
        per_core_rate=float(per_core_rate),
        target_utilization=float(target_utilization),
        peak_cores=math.sqrt((1 - contention) / coherency) if coherency > 0 else math.inf,
        largest=int(largest),
    )
