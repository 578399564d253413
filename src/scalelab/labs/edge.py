"""The edge: how much a CDN takes off the origin, and what distance costs. Formulas over
labelled assumptions; the data behind chapter 10's "The edge".

The offload is Che's approximation (validated against a simulated LRU in chapter 4's
cache-sizing lab) over a Zipf catalogue; catalogues of up to a billion objects are handled
by grouping the cold tail, so the cost does not grow with the catalogue.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._validate import check_int, check_ints, check_positive, check_probability, check_real

__all__ = [
    "FIBRE_KM_PER_MS",
    "ROUTE_FACTOR",
    "zipf_lru_hit_ratio",
    "round_trip",
    "zipf_groups",
    "EdgeOffload",
    "edge_offload",
    "EdgeLatency",
    "edge_latency",
]

FIBRE_KM_PER_MS = 200.0
"""Light in optical fibre covers about 200 km a millisecond (two thirds of its speed in a
vacuum; the refractive index of glass is about 1.5)."""

ROUTE_FACTOR = 2.0
"""Real paths over the great-circle distance: cables follow coasts and routing detours.
An assumption: the internet's infrastructure makes round trips about three times slower
than light in a vacuum would allow (Bozkurt et al., 2017); fibre's index explains 1.5x of
that, longer paths the rest."""

_HEAD = 10_000


def zipf_groups(n_keys: int, s: float) -> tuple[np.ndarray, np.ndarray]:
    """A Zipf(``s``) popularity over ``n_keys`` keys in O(log n_keys) memory: per-key
    probability and key count of groups covering ranks 1..n_keys (each of the first 10,000
    ranks alone, then groups spanning 1% of rank each, every key of a group given the
    group's mean probability). ``sum(count * p) == 1``."""
    head = np.arange(1, min(n_keys, _HEAD) + 1, dtype=float)
    weights, counts = [head**-s], [np.ones(head.size)]
    if n_keys > _HEAD:
        edges = np.unique(
            np.round(np.geomspace(_HEAD + 1, n_keys + 1, num=200 + int(math.log(n_keys) / 0.01)))
        )
        lo, hi = edges[:-1], edges[1:]
        if s == 1.0:
            mass = np.log(hi - 0.5) - np.log(lo - 0.5)
        else:
            mass = ((hi - 0.5) ** (1 - s) - (lo - 0.5) ** (1 - s)) / (1 - s)
        weights.append(mass / (hi - lo))
        counts.append(hi - lo)
    w, c = np.concatenate(weights), np.concatenate(counts)
    return w / np.sum(w * c), c


def zipf_lru_hit_ratio(n_keys: int, s: float, size: int) -> float:
    """Hit ratio of an LRU cache of ``size`` objects over a Zipf(``s``) catalogue of
    ``n_keys`` objects, by Che's approximation (formula). Same answer as
    ``theory.lru_hit_ratio(Zipf(n_keys, s).probabilities(), size)`` within 0.001, at a
    cost that does not grow with the catalogue (up to 10**12 objects).

    Parameters
    ----------
    n_keys : int
        Objects in the catalogue, 1 to 10**12.
    s : float
        Zipf exponent, in [0, 5].
    size : int
        Objects the cache holds (>= 1).
    """
    check_int("n_keys", n_keys, low=1, high=10**12)
    check_real("s", s, low=0.0, high=5.0)
    check_int("size", size, low=1)
    if size >= n_keys:
        return 1.0
    p, count = zipf_groups(n_keys, float(s))

    def filled(t: float) -> float:
        return float(np.sum(count * -np.expm1(-p * t)))

    lo, hi = 0.0, 1.0
    while filled(hi) < size:
        hi *= 2.0
    for _ in range(100):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if filled(mid) < size else (lo, mid)
    return float(np.sum(count * p * -np.expm1(-p * hi)))


@dataclass(frozen=True)
class EdgeOffload:
    """Share of requests an edge cache answers, by edge size and skew (formula).

    Attributes
    ----------
    catalogue : int
        Objects in the catalogue.
    skews : numpy.ndarray
        Zipf exponents.
    edge_objects : numpy.ndarray
        Objects one edge location holds.
    hit_ratio : numpy.ndarray
        ``[skew, edge size]``: share of cacheable requests the edge answers.
    personalised : float
        Share of requests that cannot be cached (personalised, or no-store).
    """

    catalogue: int
    skews: np.ndarray
    edge_objects: np.ndarray
    hit_ratio: np.ndarray
    personalised: float

    @property
    def offload(self) -> np.ndarray:
        """Share of all requests that never reach the origin, ``[skew, edge size]``."""
        return self.hit_ratio * (1 - self.personalised)


def edge_offload(
    catalogue: int = 100_000_000,
    skews: tuple[float, ...] = (0.6, 0.8, 1.0),
    edge_objects: tuple[int, ...] = (10_000, 100_000, 1_000_000, 10_000_000, 30_000_000),
    personalised: float = 0.0,
) -> EdgeOffload:
    """How much an edge location takes off the origin as its cache grows (formula: Che's
    approximation, for requests drawn independently from a fixed popularity; new content
    being hot and tiered caches raise real hit ratios above it, expiry lowers them).

    Parameters
    ----------
    catalogue : int
        Objects in the catalogue, 1 to 10**12.
    skews : tuple of float
        Zipf exponents, each in [0, 5]; web and video popularity measure about 0.6-1.0.
    edge_objects : tuple of int
        Objects one edge location holds, each >= 1. At 100 KB an object, 10**7 objects
        are 1 TB; a large CDN location holds tens to hundreds of TB.
    personalised : float
        Share of requests that cannot be cached, in [0, 1].

    Returns
    -------
    EdgeOffload
    """
    check_int("catalogue", catalogue, low=1, high=10**12)
    for i, s in enumerate(skews):
        check_real(f"skews[{i}]", s, low=0.0, high=5.0)
    sizes = check_ints("edge_objects", edge_objects, low=1)
    check_probability("personalised", personalised)
    ratio = np.array([[zipf_lru_hit_ratio(catalogue, s, n) for n in sizes] for s in skews])
    return EdgeOffload(
        catalogue=int(catalogue),
        skews=np.array(skews, dtype=float),
        edge_objects=np.array(sizes, dtype=float),
        hit_ratio=ratio,
        personalised=float(personalised),
    )


@dataclass(frozen=True)
class EdgeLatency:
    """Time to first byte by distance to the origin, with and without an edge (formula).

    Attributes
    ----------
    distances_km : numpy.ndarray
        Great-circle distance from user to origin.
    direct : numpy.ndarray
        Every round trip (connection set-up included) to the origin, plus its work, s.
    edge_hit : numpy.ndarray
        Set-up and request at the nearby edge, which has the object, s.
    edge_miss : numpy.ndarray
        Set-up at the edge, then one round trip over the edge's warm connection to the
        origin, plus the origin's work, s.
    round_trips : int
        Round trips of a new connection's request: TCP, TLS 1.3 and the request itself.
    edge_km : float
    """

    distances_km: np.ndarray
    direct: np.ndarray
    edge_hit: np.ndarray
    edge_miss: np.ndarray
    round_trips: int
    edge_km: float

    def expected(self, hit_ratio: float) -> np.ndarray:
        """Mean time with an edge that answers ``hit_ratio`` of the requests, s."""
        check_probability("hit_ratio", hit_ratio)
        return hit_ratio * self.edge_hit + (1 - hit_ratio) * self.edge_miss


def round_trip(km: np.ndarray | float, route_factor: float = ROUTE_FACTOR) -> np.ndarray:
    """Round-trip time over ``km`` of great-circle distance, s (formula)."""
    return 2 * np.asarray(km, dtype=float) * route_factor / FIBRE_KM_PER_MS / 1000


def edge_latency(
    distances_km: tuple[float, ...] = (100.0, 1_000.0, 3_000.0, 6_000.0, 9_000.0, 15_000.0),
    round_trips: int = 3,
    edge_km: float = 50.0,
    origin_time: float = 0.05,
    edge_time: float = 0.002,
    route_factor: float = ROUTE_FACTOR,
) -> EdgeLatency:
    """Time to first byte of a request on a new HTTPS connection, direct to the origin or
    through an edge location ``edge_km`` from the user (formula).

    Parameters
    ----------
    distances_km : tuple of float
        User-to-origin distances, km (each > 0); half the Earth's circumference is 20,000.
    round_trips : int
        Round trips before the first byte, 1 to 10: 3 for TCP + TLS 1.3 + the request,
        4 with TLS 1.2, 1 on a reused connection.
    edge_km : float
        User-to-edge distance, km (> 0); large CDNs are within tens of km of most users.
    origin_time, edge_time : float
        Work at the origin and at the edge, s (> 0). The user's own access network (5-15 ms a
    round trip on cable or fibre, 30-60 ms on 4G) is left out: it adds the same to all
    three paths.
    route_factor : float
        Path length over great-circle distance, in [1, 5].

    Returns
    -------
    EdgeLatency
    """
    for i, d in enumerate(distances_km):
        check_positive(f"distances_km[{i}]", d)
    check_int("round_trips", round_trips, low=1, high=10)
    check_positive("edge_km", edge_km)
    check_positive("origin_time", origin_time)
    check_positive("edge_time", edge_time)
    check_real("route_factor", route_factor, low=1.0, high=5.0)
    far = round_trip(np.array(distances_km, dtype=float), route_factor)
    near = float(round_trip(edge_km, route_factor))
    return EdgeLatency(
        distances_km=np.array(distances_km, dtype=float),
        direct=round_trips * far + origin_time,
        edge_hit=np.full(far.shape, round_trips * near + edge_time),
        edge_miss=round_trips * near + edge_time + far + origin_time,
        round_trips=int(round_trips),
        edge_km=float(edge_km),
    )
