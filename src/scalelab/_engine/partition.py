"""The log's parts as the engine sees them: a partition (its append station, its log of
message ids and the group's positions in it) and a consumer (its threads, the partitions
it owns and, when it processes several messages at once, what it fetched)."""

from __future__ import annotations

from collections import deque

import simpy

from .core import Run
from .key_groups import KeyGroups


class Partition:
    """One partition: its append station and its log of message ids."""

    __slots__ = (
        "cleared",
        "committed",
        "finished",
        "handled_upto",
        "index",
        "last_commit",
        "node",
        "out",
        "owner",
        "position",
        "replay_until",
        "replicas",
        "rids",
        "start",
        "times",
    )

    def __init__(self, run: Run, index: int) -> None:
        self.index = index
        self.node = run.node(f"partition[{index}]", 1)
        self.rids: list[int] = []
        self.times: list[float] = []
        self.start = 0  # first retained offset
        self.position = 0  # next offset the owner will fetch
        self.committed = 0  # the group's committed offset
        self.last_commit = 0.0  # when it was last committed
        self.handled_upto = 0  # one past the last offset the owner finished
        self.replay_until = 0  # offsets below this are being replayed on purpose
        self.owner: Consumer | None = None
        self.cleared: list[float] = []
        self.replicas = None  # set by Replication: then consumers read to its watermark
        self.out: deque[int] = deque()  # parallel consumers: offsets fetched, in order
        self.finished: set[int] = set()  # ... and those of them done

    def end(self) -> int:
        """One past the last offset consumers may read."""
        return len(self.rids) if self.replicas is None else self.replicas.hw

    def backlog(self) -> bool:
        return self.position < self.end()


class Consumer:
    """One consumer: its threads (``concurrency`` processes), the partitions it owns and,
    when it processes several messages at once, what it fetched and has not finished."""

    __slots__ = (
        "alive",
        "dispatch",
        "fetched",
        "idle",
        "index",
        "node",
        "partitions",
        "processes",
        "started",
        "turn",
        "wake",
    )

    def __init__(self, run: Run, index: int, concurrency: int) -> None:
        self.index = index
        self.node = run.node(f"consumer[{index}]", concurrency)
        self.partitions: list[Partition] = []
        self.processes: list[simpy.Process] = []
        self.wake: simpy.Event | None = None
        self.alive = True
        self.turn = 0
        self.started = False
        self.dispatch = KeyGroups()
        self.fetched = 0
        self.idle: deque[simpy.Event] = deque()  # its threads waiting for a message

    def next_partition(self) -> Partition | None:
        """Round robin over owned partitions that have messages waiting."""
        parts = self.partitions
        for k in range(len(parts)):
            p = parts[(self.turn + k) % len(parts)]
            if p.backlog():
                self.turn = (self.turn + k + 1) % len(parts)
                return p
        return None
