"""The general discrete-event engine, on SimPy: drivers that create requests, and
:func:`run_simpy`, which wires a system, its client policy and a workload into one run.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np

from .._timelines import NodeLog
from ..eventdriven import EventDriven, Queue
from ..resilience import Client
from ..topology import Chain, FanOut, RequestResponse, Station
from ..workload import ClosedLoop, Workload
from .client import client_calls
from .core import COMPLETED, MAX_REQUESTS, Process, Run
from .event_driven import EventEngine
from .message_queue import QueueEngine
from .request_response import chain, fanout, request_response, station
from .streams import Draws

System = Station | Chain | RequestResponse | FanOut | EventDriven


def drive_open(run: Run, times: np.ndarray, client: Callable[[int], Process]) -> Process:
    env = run.env
    process = env.process
    new_request = run.new_request
    previous = 0.0
    for t in times.tolist():
        yield env.timeout(t - previous)
        previous = t
        process(client(new_request()))
    return COMPLETED


def drive_closed(
    run: Run, think: Draws, order: itertools.count, client: Callable[[int], Process]
) -> Process:
    env = run.env
    while True:
        if len(run.arrival) >= MAX_REQUESTS:
            raise ValueError(
                f"the closed loop generated {MAX_REQUESTS:.0e} requests before time "
                f"{env.now:.3g} s; think_time and service times are too short for this "
                "duration (shorten the duration or lengthen think_time)"
            )
        yield env.timeout(think[next(order)])
        yield from client(run.new_request())


def run_simpy(
    system: System,
    workload: Workload,
    duration: float,
    seed: int,
    client: Client | None = None,
    warmup: float = 0.0,
) -> tuple[Run, list[NodeLog]]:
    """Simulate ``system`` under ``workload`` for ``duration`` seconds with SimPy (figures
    a component measures itself cover requests that arrived after ``warmup``)."""
    run = Run(seed, duration, warmup)
    if isinstance(workload, ClosedLoop):
        n = 1024
    else:
        times = workload.arrival_times(run.stream("arrivals"), duration)
        n = max(len(times), 1)
    if isinstance(system, EventDriven):
        engine = QueueEngine if isinstance(system.broker, Queue) else EventEngine
        process = engine(run, system, workload, n).handle
    else:
        if isinstance(system, Station):
            handle = station(run, system, n)
        elif isinstance(system, Chain):
            handle = chain(run, system, n)
        elif isinstance(system, FanOut):
            handle = fanout(run, system, n)
        else:
            handle = request_response(run, system, workload, n)
        timeout = getattr(system, "timeout", None)
        if client is None and timeout is not None:
            client = Client(timeout=timeout)
        process = client_calls(run, handle, client)
    if isinstance(workload, ClosedLoop):
        think = Draws(workload.think_time, run.stream("think"), n)
        order = itertools.count()
        for _ in range(workload.clients):
            run.env.process(drive_closed(run, think, order, process))
    else:
        run.env.process(drive_open(run, times, process))
    run.env.run(until=duration)
    for fin in run.finalizers + run.reports:
        fin()
    return run, [node.log() for node in run.nodes]
