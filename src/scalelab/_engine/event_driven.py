"""The event-driven half of the engine: partitions, producer, consumer group.

Per message the engine records when it was appended, when it was first processed (or
dead-lettered, or skipped because retention deleted it) and how often it was processed,
so lag, duplicates and conservation are computed exactly afterwards.
"""

from __future__ import annotations

import numpy as np
import simpy

from .._keys import shard_of
from .._timelines import PartitionLog
from ..eventdriven import LOOKAHEAD, EventDriven, Replay
from ..topology import BatchServer, LoadBalancer
from ..workload import Workload
from .core import COMPLETED, DROPPED, FAILED, IN_FLIGHT, Balancer, Process, Run
from .database import DatabaseClient
from .dedup import Dedup
from .partition import Consumer, Partition
from .replication import Replication
from .streams import UNIFORM, Draws


class EventEngine:
    """Builds the processes of an :class:`EventDriven` system inside a :class:`Run`."""

    def __init__(self, run: Run, system: EventDriven, workload: Workload, n: int) -> None:
        self.run = run
        self.env = run.env
        self.system = system
        self.broker = system.broker
        self.group = system.consumers
        self.net = system.network
        front = system.front
        self.front_nodes = (
            [run.node(f"app[{i}]", front.workers, front.queue_limit) for i in range(front.servers)]
            if front
            else []
        )
        self.balancer = (
            Balancer(LoadBalancer(), self.front_nodes, run.stream("lb")) if front else None
        )
        self.app_service = Draws(front.service, run.stream("app.service"), n) if front else None
        producer = system.producer
        self.buffer = (
            run.node("producer.buffer", producer.buffer, 0 if producer.on_full == "drop" else None)
            if producer.buffer is not None
            else None
        )
        self._setup_storage(n)
        self.keys = Draws(workload.keys, run.stream("keys"), n) if workload.keys else None
        self.processing = Draws(self.group.processing, run.stream("consumer.processing"), n)
        self.poison = Draws(UNIFORM, run.stream("consumer.poison"), n)
        self.failure_u = Draws(UNIFORM, run.stream("consumer.failure"), n)
        self.backoff_u = Draws(UNIFORM, run.stream("consumer.backoff"), n)
        self.draw = 0
        self.db = DatabaseClient(run, system.db, n, self.net) if system.db else None
        self.round_robin = 0
        self.processed: dict[int, int] = {}  # times each message was processed, by rid
        window = self.group.dedup_window
        self.dedup = Dedup(window) if window is not None else None
        self.projection: dict[int, int] = {}  # key -> the message whose effect it shows
        self.newest: dict[int, int] = {}  # key -> newest message processed
        self.consumers: list[Consumer] = []
        self.paused_until = 0.0
        self.batch_cost = BatchServer().batch_cost
        self.fire_and_forget = getattr(self.broker, "acks", "leader") == "none"
        self.stats = {
            "batches": 0,
            "duplicates": 0,
            "replayed": 0,
            "dead_lettered": 0,
            "retries": 0,
            "expired": 0,
            "out_of_order": 0,
        }
        self._setup_group()
        run.finalizers.append(self._finish)

    def _setup_storage(self, n: int) -> None:
        """The log: its partitions and their replicas."""
        run, broker, producer = self.run, self.broker, self.system.producer
        self.quota = run.node("broker.quota", 1) if broker.quota else None
        self.partitions = [Partition(run, i) for i in range(broker.partitions)]
        self.replication = (
            Replication(run, broker, producer.idempotent, self.partitions, self.write, self.wake, n)
            if broker.replication > 1
            or broker.acks != "leader"
            or broker.crash_at is not None
            or producer.idempotent
            else None
        )

    def _setup_group(self) -> None:
        """The consumer group over the partitions, and its scheduled changes."""
        for _ in range(self.group.consumers):
            self._add_consumer()
        self._assign()
        for change in self.group.changes:
            self.env.process(self._change_at(change.at, change.action))
        if self.group.replay is not None:
            self.env.process(self._replay_at(self.group.replay))

    # --- producing -------------------------------------------------------------------

    def handle(self, rid: int) -> Process:
        run = self.run
        if self.front_nodes:
            if self.net:
                yield from run.network(rid, self.net)
            node = self.balancer.pick()
            status = yield from node.visit(rid, self.app_service[rid], self._publish(rid))
            if status == COMPLETED and self.net:
                yield from run.network(rid, self.net)
        else:
            status = yield from self._publish(rid)
        if status == DROPPED:
            run.settle(rid, DROPPED)
        run.reply(rid, status == COMPLETED)
        return status

    def _publish(self, rid: int) -> Process:
        if self.fire_and_forget:  # the producer does not wait for the broker
            self.env.process(self._append(rid))
            return COMPLETED
        if self.buffer is not None:
            status = yield from self.buffer.visit(rid, 0.0, self._append(rid))
        else:
            status = yield from self._append(rid)
        return status

    def _append(self, rid: int) -> Process:
        env = self.env
        broker = self.broker
        if self.quota is not None:
            yield from self.quota.visit(rid, 1.0 / broker.quota)
        if broker.routing == "round_robin":
            self.round_robin = (self.round_robin + 1) % len(self.partitions)
            part = self.partitions[self.round_robin]
        else:
            key = self.keys[rid] if self.keys is not None else rid
            part = self.partitions[shard_of(key, len(self.partitions))]
        if self.net:
            yield from self.run.network(rid, self.net)
        if self.replication is not None:
            status = yield from self.replication.append(part, rid)
            if status == COMPLETED and self.net:
                yield from self.run.network(rid, self.net)
            return status
        yield from part.node.visit(rid, 1.0 / broker.partition_throughput)
        if broker.append_latency:
            yield env.timeout(broker.append_latency)
        self._log(part, rid)
        if self.net:
            yield from self.run.network(rid, self.net)
        return COMPLETED

    def _log(self, part: Partition, rid: int) -> None:
        self.write(part, rid)
        self.wake(part)

    def write(self, part: Partition, rid: int) -> None:
        """Append ``rid`` to the (leader's) log of ``part``."""
        part.rids.append(rid)
        part.times.append(self.env.now)
        self._expire(part)

    def wake(self, part: Partition) -> None:
        """Tell the owner of ``part``, if it is waiting, that there is more to read (one
        waiting thread of a parallel consumer)."""
        owner = part.owner
        if owner is None:
            return
        if owner.idle:
            self._wake_thread(owner)
        elif owner.wake is not None and not owner.wake.triggered:
            owner.wake.succeed()

    @staticmethod
    def _wake_thread(consumer: Consumer) -> None:
        while consumer.idle:
            event = consumer.idle.popleft()
            if not event.triggered:
                event.succeed()
                return

    def _expire(self, part: Partition) -> None:
        retention = self.broker.retention
        if retention is None:
            return
        if retention.messages is not None:
            part.start = max(part.start, len(part.rids) - retention.messages)
        if retention.seconds is not None:
            horizon = self.env.now - retention.seconds
            while part.start < len(part.rids) and part.times[part.start] < horizon:
                part.start += 1

    # --- consuming -------------------------------------------------------------------

    def _add_consumer(self) -> Consumer:
        threads = self.group.concurrency
        consumer = Consumer(self.run, len(self.consumers), threads)
        self.consumers.append(consumer)
        work = self._consume if threads == 1 else self._work
        consumer.processes = [self.env.process(work(consumer)) for _ in range(threads)]
        return consumer

    def _assign(self) -> None:
        alive = [c for c in self.consumers if c.alive]
        for c in alive:
            c.partitions = []
        for i, part in enumerate(self.partitions):
            owner = alive[i % len(alive)] if alive else None
            part.owner = owner
            if owner is not None:
                owner.partitions.append(part)

    def _consume(self, consumer: Consumer) -> Process:
        env = self.env
        consumer.started = True
        while consumer.alive:
            try:
                if env.now < self.paused_until:
                    yield env.timeout(self.paused_until - env.now)
                    continue
                part = consumer.next_partition()
                if part is None:
                    consumer.wake = env.event()
                    yield consumer.wake
                    consumer.wake = None
                    continue
                self._expire(part)
                if part.position < part.start:
                    self._skip(part, part.start)
                    continue
                offset = part.position
                size = min(self.group.max_batch, part.end() - offset)
                part.position += size
                if size == 1:
                    yield from self._process(consumer, part, offset, part.rids[offset])
                else:
                    yield from self._process_batch(consumer, part, offset, size)
            except simpy.Interrupt:
                consumer.wake = None
        return COMPLETED

    def _work(self, consumer: Consumer) -> Process:
        """One thread of a key-ordered parallel consumer."""
        env = self.env
        consumer.started = True
        while consumer.alive:
            try:
                if env.now < self.paused_until:
                    yield env.timeout(self.paused_until - env.now)
                    continue
                taken = consumer.dispatch.take()
                if taken is None:
                    self._fetch(consumer)
                    taken = consumer.dispatch.take()
                if taken is None:
                    event = env.event()
                    consumer.idle.append(event)
                    yield event
                    continue
                if consumer.dispatch.ready:  # more to hand out: pass it on
                    self._wake_thread(consumer)
                key, (part, offset, rid) = taken
                yield from self._process(consumer, part, offset, rid)
                consumer.dispatch.release(key, remove=True)
                consumer.fetched -= 1
                self.wake(part)  # the key's next message may go to a waiting thread
            except simpy.Interrupt:
                pass
        return COMPLETED

    def _fetch(self, consumer: Consumer) -> None:
        """Read ahead from the owned partitions, round robin, up to the lookahead."""
        limit = LOOKAHEAD * self.group.concurrency
        while consumer.fetched < limit:
            part = consumer.next_partition()
            if part is None:
                return
            self._expire(part)
            if part.position < part.start:
                self._skip(part, part.start)
                continue
            offset = part.position
            part.position += 1
            part.out.append(offset)
            rid = part.rids[offset]
            key = self.keys[rid] if self.keys is not None else rid
            consumer.dispatch.put(key, (part, offset, rid))
            consumer.fetched += 1

    def _forget_fetched(self) -> None:
        """A rebalance or rewind: what parallel consumers fetched is fetched again."""
        for consumer in self.consumers:
            consumer.dispatch.clear()
            consumer.idle.clear()
            consumer.fetched = 0
        for part in self.partitions:
            part.out.clear()
            part.finished.clear()

    def _skip(self, part: Partition, to: int) -> None:
        """Retention deleted offsets the group had not reached: they are lost."""
        now = self.env.now
        for offset in range(part.position, to):
            if self.run.status[part.rids[offset]] == IN_FLIGHT:
                part.cleared.append(now)
                self.run.settle(part.rids[offset], DROPPED)
                self.stats["expired"] += 1
        part.position = to
        part.handled_upto = max(part.handled_upto, to)

    def _uniform(self, draws: Draws) -> float:
        self.draw += 1
        return draws[self.draw]

    def _process(self, consumer: Consumer, part: Partition, offset: int, rid: int) -> Process:
        env = self.env
        group = self.group
        attempt = 0
        previous = None
        while True:
            attempt += 1
            write = (
                self.db.call(rid, self.keys[rid] if self.keys else None, False) if self.db else None
            )
            yield from consumer.node.occupy(rid, self.processing[rid], write)
            failed = self.poison[rid] < group.poison_fraction or (
                group.failure_probability > 0
                and self._uniform(self.failure_u) < group.failure_probability
            )
            if not failed:
                outcome = COMPLETED
                break
            if attempt >= group.max_attempts:
                outcome = FAILED
                break
            self.stats["retries"] += 1
            previous = group.backoff.delay(attempt, self._uniform(self.backoff_u), previous)
            yield env.timeout(previous)
        self._handled(part, offset, rid, outcome)

    def _process_batch(
        self, consumer: Consumer, part: Partition, offset: int, size: int
    ) -> Process:
        """Several messages at once: their own work, then one weighted database write."""
        rids = part.rids[offset : offset + size]
        first = rids[0]
        write = None
        if self.db:
            key = self.keys[first] if self.keys else None
            write = self.db.call(first, key, False, weight=self.batch_cost(size))
        yield from consumer.node.occupy(first, sum(self.processing[rid] for rid in rids), write)
        self.stats["batches"] += 1
        for k, rid in enumerate(rids):
            self._handled(part, offset + k, rid, COMPLETED)

    def _handled(self, part: Partition, offset: int, rid: int, outcome: int) -> None:
        if self.group.concurrency > 1:  # done up to the first unfinished offset
            part.finished.add(offset)
            while part.out and part.out[0] in part.finished:
                part.finished.discard(part.out.popleft())
            part.handled_upto = part.out[0] if part.out else part.position
        else:
            part.handled_upto = offset + 1
        now = self.env.now
        # Like Kafka's auto-commit, a commit rides on the next message after the interval.
        if now - part.last_commit >= self.group.commit_interval:
            part.committed = part.handled_upto
            part.last_commit = now
        if outcome == FAILED and self.run.status[rid] == IN_FLIGHT:
            self.stats["dead_lettered"] += 1
        if self._record(rid, outcome, replayed=offset < part.replay_until):
            part.cleared.append(now)

    def _record(self, rid: int, outcome: int, replayed: bool = False) -> bool:
        """Book one processing of ``rid`` and apply its effect; whether it was the first."""
        now = self.env.now
        times = self.processed.get(rid, 0)
        self.processed[rid] = times + 1
        key = self.keys[rid] if self.keys is not None else rid
        if times == 0:
            self.run.settle(rid, outcome)
            if rid < self.newest.get(key, -1):  # a newer message of its key went first
                self.stats["out_of_order"] += 1
        elif replayed:
            self.stats["replayed"] += 1
        else:
            self.stats["duplicates"] += 1
        if outcome == COMPLETED:
            self.newest[key] = max(rid, self.newest.get(key, -1))
            if self.dedup is None or self.dedup.apply(rid, now):
                self.projection[key] = rid
        return times == 0

    # --- group changes ---------------------------------------------------------------

    def _stop_everyone(self) -> None:
        for c in self.consumers:
            # A consumer whose process has not begun has nothing to abandon.
            if c.alive and c.started:
                for process in c.processes:
                    if process.is_alive:
                        process.interrupt()
        self._forget_fetched()

    def _change_at(self, at: float, action: str) -> Process:
        yield self.env.timeout(at)
        self._stop_everyone()
        alive = [c for c in self.consumers if c.alive]
        crashed = None
        if action == "join":
            self._add_consumer()
        elif alive:
            leaving = alive[-1]
            leaving.alive = False
            crashed = leaving if action == "crash" else None
        for part in self.partitions:  # survivors commit what they finished; a crash doesn't
            if part.owner is not None and part.owner is not crashed:
                part.committed = part.handled_upto
            part.position = part.committed
        self.paused_until = self.env.now + self.group.rebalance_pause
        self._assign()
        return COMPLETED

    def _replay_at(self, replay: Replay) -> Process:
        yield self.env.timeout(replay.at)
        self._stop_everyone()
        for part in self.partitions:
            if replay.to_offset is not None:
                target = replay.to_offset
            else:
                target = int(np.searchsorted(part.times, replay.to_time, side="left"))
            target = min(max(target, part.start), len(part.rids))
            part.replay_until = max(part.handled_upto, part.replay_until)
            part.position = part.committed = part.handled_upto = target
        return COMPLETED

    # --- results ---------------------------------------------------------------------

    def replay_projection(self) -> dict[int, int]:
        """Rebuild the read model by applying every retained, processed-successfully
        message in log order, as a new consumer replaying from offset 0 would."""
        state: dict[int, int] = {}
        for part in self.partitions:
            for rid in part.rids[part.start :]:
                if self.run.status[rid] == COMPLETED:
                    state[self.keys[rid] if self.keys is not None else rid] = rid
        return state

    def _effect_counters(self) -> None:
        """What every event-driven run reports, log or queue: the processing counts, the
        idempotent consumer's, and the read model's keys (stale ones included)."""
        counters = self.run.counters
        counters.update({k: float(v) for k, v in self.stats.items()})
        counters["projection.stale_keys"] = float(
            sum(self.projection.get(key) != rid for key, rid in self.newest.items())
        )
        if self.dedup is not None:
            counters.update(self.dedup.counters())
        counters["projection.keys"] = float(len(self.projection))

    def _finish(self) -> None:
        run = self.run
        alive = [c for c in self.consumers if c.alive]
        self._effect_counters()
        if self.replication is not None:
            run.counters.update({k: float(v) for k, v in self.replication.stats.items()})
        run.counters["consumers.active"] = float(sum(1 for c in alive if c.partitions))
        run.counters["consumers.idle"] = float(sum(1 for c in alive if not c.partitions))
        run.counters["log.messages"] = float(sum(len(p.rids) for p in self.partitions))
        run.counters["projection.matches_replay"] = float(
            self.projection == self.replay_projection()
        )
        self._expire_at_end()
        # Keys a read model rebuilt from what retention kept would know about.
        run.counters["log.replayable_keys"] = float(len(self.replay_projection()))
        run.partitions = [
            PartitionLog(
                f"partition[{p.index}]", np.asarray(p.times), np.sort(np.asarray(p.cleared))
            )
            for p in self.partitions
        ]

    def _expire_at_end(self) -> None:
        """Messages retention deleted before anyone processed them are lost (dropped)."""
        run = self.run
        for part in self.partitions:
            self._expire(part)
            for offset in range(part.start):
                rid = part.rids[offset]
                if run.status[rid] == IN_FLIGHT:
                    run.status[rid] = DROPPED
                    run.settled[rid] = self._deleted_at(part, offset)
                    self.stats["expired"] += 1
                    run.counters["expired"] = float(self.stats["expired"])

    def _deleted_at(self, part: Partition, offset: int) -> float:
        retention = self.broker.retention
        times = []
        if retention.messages is not None and offset + retention.messages < len(part.times):
            times.append(part.times[offset + retention.messages])
        if retention.seconds is not None:
            times.append(part.times[offset] + retention.seconds)
        return min(min(times, default=self.run.duration), self.run.duration)
