"""A queue with competing consumers in place of the log: receive, process, delete.

The engine keeps the event-driven front (API, producer buffer, network) and the
bookkeeping of effects from :class:`EventEngine`, and replaces the partitions with one
queue. A received message carries a receipt; if its consumer has not deleted it within
the visibility timeout it becomes visible again (one timer process for the whole queue:
receipts expire in the order they were issued), and only the latest receipt deletes.
"""

from __future__ import annotations

from collections import deque

import numpy as np
import simpy

from .._timelines import PartitionLog
from ..eventdriven import Queue
from .core import COMPLETED, FAILED, IN_FLIGHT, Process
from .event_driven import EventEngine
from .key_groups import KeyGroups
from .partition import Consumer
from .streams import Draws


class QueueEngine(EventEngine):
    """Builds an :class:`EventDriven` system whose broker is a :class:`Queue`."""

    def _setup_storage(self, n: int) -> None:
        run = self.run
        self.queue: Queue = self.broker
        self.quota = None
        self.station = run.node("queue", 1)
        self.waiting = KeyGroups()  # standard queue: one group per message
        self.receipts: dict[int, int] = {}  # rid -> receives so far (its latest receipt)
        self.gone: set[int] = set()  # deleted or dead-lettered
        self.out: set[int] = set()  # received, and invisible until the receipt runs out
        self.expiries: deque[tuple[float, int, int]] = deque()  # (visible again at, rid, receipt)
        self.timer_wake: simpy.Event | None = None
        self.idle: deque[tuple[Consumer, simpy.Event]] = deque()  # threads waiting for work
        self.sent: list[float] = []
        self.cleared: list[float] = []
        self.reprocessing = Draws(self.group.processing, run.stream("consumer.reprocessing"), 64)
        self.receives = 0
        self.stats_queue = {"receives": 0, "redeliveries": 0, "stale_deletes": 0}
        self.env.process(self._expire_receipts())

    def _setup_group(self) -> None:
        for _ in range(self.group.consumers):
            self._add_consumer()
        for change in self.group.changes:
            self.env.process(self._change_at(change.at, change.action))

    def _group_of(self, rid: int) -> int:
        if self.queue.fifo and self.keys is not None:
            return self.keys[rid]
        return rid

    # --- producing -------------------------------------------------------------------

    def _append(self, rid: int) -> Process:
        queue = self.queue
        if self.net:
            yield from self.run.network(rid, self.net)
        yield from self.station.visit(rid, 1.0 / queue.throughput)
        if queue.append_latency:
            yield self.env.timeout(queue.append_latency)
        self.sent.append(self.env.now)
        self.waiting.put(self._group_of(rid), rid)
        self._wake_consumers()
        if self.net:
            yield from self.run.network(rid, self.net)
        return COMPLETED

    def _wake_consumers(self) -> None:
        """Wake one waiting thread of a live consumer (it takes the next message)."""
        while self.idle:
            consumer, wake = self.idle.popleft()
            if consumer.alive and not wake.triggered:
                wake.succeed()
                return

    # --- consuming -------------------------------------------------------------------

    def _add_consumer(self) -> Consumer:
        threads = self.group.concurrency
        consumer = Consumer(self.run, len(self.consumers), threads)
        self.consumers.append(consumer)
        consumer.processes = [self.env.process(self._receive(consumer)) for _ in range(threads)]
        return consumer

    def _receive(self, consumer: Consumer) -> Process:
        """One consumer thread: receive, process, delete (if the receipt is still valid)."""
        env = self.env
        consumer.started = True
        while consumer.alive:
            try:
                taken = self.waiting.take()
                if taken is None:
                    wake = env.event()
                    self.idle.append((consumer, wake))
                    yield wake
                    continue
                _, rid = taken
                receipt = self.receipts.get(rid, 0) + 1
                self.receipts[rid] = receipt
                self.stats_queue["receives"] += 1
                self.stats_queue["redeliveries"] += receipt > 1
                self.out.add(rid)
                self.expiries.append((env.now + self.queue.visibility_timeout, rid, receipt))
                if self.timer_wake is not None and not self.timer_wake.triggered:
                    self.timer_wake.succeed()
                yield from self._process_once(consumer, rid, receipt)
            except simpy.Interrupt:
                pass
        return COMPLETED

    def _process_once(self, consumer: Consumer, rid: int, receipt: int) -> Process:
        group = self.group
        work = self.processing[rid] if receipt == 1 else self._reprocessing()
        write = self.db.call(rid, self.keys[rid] if self.keys else None, False) if self.db else None
        yield from consumer.node.occupy(rid, work, write)
        failed = self.poison[rid] < group.poison_fraction or (
            group.failure_probability > 0
            and self._uniform(self.failure_u) < group.failure_probability
        )
        if failed:  # not deleted: it comes back when its visibility timeout ends
            self.stats["retries"] += 1
            return COMPLETED
        if self.run.status[rid] == IN_FLIGHT:
            self.cleared.append(self.env.now)
        self._record(rid, COMPLETED)
        if rid in self.gone or self.receipts[rid] != receipt:
            self.stats_queue["stale_deletes"] += 1
            return COMPLETED
        self._delete(rid)
        return COMPLETED

    def _reprocessing(self) -> float:
        self.receives += 1
        return self.reprocessing[self.receives]

    def _delete(self, rid: int) -> None:
        """Remove ``rid`` from the queue, received or visible again."""
        self.gone.add(rid)
        group = self._group_of(rid)
        if rid in self.out:
            self.out.discard(rid)
            self.waiting.release(group, remove=True)
        else:
            self.waiting.drop_head(group)
        if self.queue.fifo:  # the group's next message may go out now
            self._wake_consumers()

    def _expire_receipts(self) -> Process:
        """Make messages whose receipt ran out visible again (or dead-letter them)."""
        env = self.env
        expiries = self.expiries
        while True:
            if not expiries:
                self.timer_wake = env.event()
                yield self.timer_wake
                continue
            at, rid, receipt = expiries[0]
            if rid in self.gone or self.receipts[rid] != receipt:
                expiries.popleft()
                continue
            if at > env.now:
                yield env.timeout(at - env.now)
                continue
            expiries.popleft()
            if receipt >= self.group.max_attempts:
                self.stats["dead_lettered"] += 1
                if self.run.status[rid] == IN_FLIGHT:
                    self.run.settle(rid, FAILED)
                    self.cleared.append(env.now)
                self._delete(rid)
            else:
                self.out.discard(rid)
                self.waiting.release(self._group_of(rid), remove=False)
                self._wake_consumers()

    # --- group changes and results ---------------------------------------------------

    def _change_at(self, at: float, action: str) -> Process:
        """No rebalance: a joining consumer starts receiving, a leaving one stops after
        its message, a crashed one's message comes back when its receipt runs out."""
        yield self.env.timeout(at)
        alive = [c for c in self.consumers if c.alive]
        if action == "join":
            self._add_consumer()
        elif alive:
            leaving = alive[-1]
            leaving.alive = False
            if action == "crash":
                for process in leaving.processes:
                    if leaving.started and process.is_alive:
                        process.interrupt()
        return COMPLETED

    def _finish(self) -> None:
        run = self.run
        self._effect_counters()
        run.counters.update({f"queue.{k}": float(v) for k, v in self.stats_queue.items()})
        run.counters["consumers.active"] = float(sum(c.alive for c in self.consumers))
        run.counters["consumers.idle"] = 0.0
        run.partitions = [
            PartitionLog("queue", np.asarray(self.sent), np.sort(np.asarray(self.cleared)))
        ]
