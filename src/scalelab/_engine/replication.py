"""A broker's replicas: followers that copy each partition's log after a delay, the high
watermark consumers read up to, acknowledgements by ``acks``, and the leaders' crash
(failover to the most up-to-date follower, whose log the others are cut to).

Followers are delays, not processes: when the leader appends offset ``k`` of message
``rid``, follower ``j`` has it at ``max(its copy of k - 1, now + delay_j[rid])`` (it
copies in log order), so a follower holds a prefix of the log at any instant and the
crash's cut is exact. Which followers are in sync is fixed for the run (mean delay at
most ``max_lag``), less the one promoted at the crash.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable

import simpy

from ..eventdriven import Broker
from .core import COMPLETED, DROPPED, IN_FLIGHT, Process, Run
from .streams import Draws


class Follower:
    """One follower of one partition: when it has each offset of the leader's log."""

    __slots__ = ("copies", "delays", "in_sync")

    def __init__(self, delays: Draws, in_sync: bool) -> None:
        self.delays = delays
        self.in_sync = in_sync
        self.copies: list[float] = []  # non-decreasing: it copies in log order


class Replicas:
    """One partition's followers, high watermark and leader generation."""

    __slots__ = ("down_until", "epoch", "followers", "hw", "offsets", "waiting")

    def __init__(self, followers: list[Follower]) -> None:
        self.followers = followers
        self.hw = 0  # offsets below it are on every in-sync replica: readable
        self.epoch = 0  # bumped by a crash: appends under way then are void
        self.down_until = 0.0  # no leader before this time
        self.offsets: dict[int, int] = {}  # rid -> offset of its last copy in the log
        self.waiting: dict[int, simpy.Event] = {}  # offset -> its acks="all" producer

    def in_sync(self) -> int:
        """Replicas in sync, leader included."""
        return 1 + sum(f.in_sync for f in self.followers)


class Replication:
    """Appends, acknowledgements and the crash, for every partition of one broker.

    ``partitions`` are the engine's partitions (each gains ``replicas``); ``write(part,
    rid)`` appends to the leader's log and ``wake(part)`` tells its consumer that more is
    readable.
    """

    def __init__(
        self,
        run: Run,
        broker: Broker,
        idempotent: bool,
        partitions: list,
        write: Callable[[object, int], None],
        wake: Callable[[object], None],
        n: int,
    ) -> None:
        self.run = run
        self.env = run.env
        self.broker = broker
        self.idempotent = idempotent
        self.partitions = partitions
        self.write = write
        self.wake = wake
        delays = broker.follower_delays
        draws = [Draws(d, run.stream(f"broker.follower[{j}]"), n) for j, d in enumerate(delays)]
        for part in partitions:
            part.replicas = Replicas(
                [Follower(d, ok) for d, ok in zip(draws, broker.followers_in_sync, strict=True)]
            )
        self.stats = {
            "lost": 0,
            "not_enough_replicas": 0,
            "producer_retries": 0,
            "log_duplicates": 0,
        }
        if broker.crash_at is not None:
            self.env.process(self._crash_at(broker.crash_at))

    # --- appending -------------------------------------------------------------------

    def append(self, part: object, rid: int) -> Process:
        """Append ``rid`` to ``part``'s leader, again after a crash if need be; returns
        when the producer is acknowledged (``COMPLETED``) or refused (``DROPPED``). With
        ``acks="none"`` nobody waits for this: a message the crash catches is lost."""
        env, broker, reps = self.env, self.broker, part.replicas
        while True:
            if env.now < reps.down_until:
                yield env.timeout(reps.down_until - env.now)
                continue
            if broker.acks == "all" and reps.in_sync() < broker.min_insync:
                self.stats["not_enough_replicas"] += 1
                return DROPPED
            epoch = reps.epoch
            yield from part.node.visit(rid, 1.0 / broker.partition_throughput)
            if broker.append_latency:
                yield env.timeout(broker.append_latency)
            if reps.epoch == epoch:
                offset = self._write(part, rid)
                if broker.acks != "all" or offset < reps.hw:
                    return COMPLETED
                ack = reps.waiting[offset] = env.event()
                if (yield ack):
                    return COMPLETED
            elif broker.acks == "none":
                self._lose(rid)  # it was on its way to (or in) the crashed leader
                return COMPLETED
            self.stats["producer_retries"] += 1

    def _write(self, part: object, rid: int) -> int:
        """Append ``rid`` (unless an idempotent producer's copy is already there) and
        schedule when every in-sync replica has it; returns its offset."""
        reps = part.replicas
        old = reps.offsets.get(rid)
        if old is not None:
            if self.idempotent:
                return old
            self.stats["log_duplicates"] += 1
        offset = len(part.rids)
        self.write(part, rid)
        reps.offsets[rid] = offset
        now = self.env.now
        visible = now
        for f in reps.followers:
            copy = max(f.copies[-1] if f.copies else now, now + f.delays[rid])
            f.copies.append(copy)
            if f.in_sync:
                visible = max(visible, copy)
        self._show(part, offset, visible)
        return offset

    def _show(self, part: object, offset: int, at: float) -> None:
        """Make ``offset`` readable (and acknowledged) at time ``at`` unless the leader
        crashes first. Offsets become readable in order: ``at`` never decreases."""
        reps = part.replicas
        epoch = reps.epoch
        if at <= self.env.now:
            self._visible(part, epoch, offset + 1)
            return
        event = self.env.timeout(at - self.env.now)
        event.callbacks.append(lambda _: self._visible(part, epoch, offset + 1))

    def _visible(self, part: object, epoch: int, upto: int) -> None:
        reps = part.replicas
        if reps.epoch != epoch or upto <= reps.hw:
            return
        reps.hw = upto
        ack = reps.waiting.pop(upto - 1, None)
        if ack is not None:
            ack.succeed(True)
        self.wake(part)

    def _lose(self, rid: int) -> None:
        if self.run.status[rid] == IN_FLIGHT:
            self.run.settle(rid, DROPPED)
            self.stats["lost"] += 1

    # --- the crash -------------------------------------------------------------------

    def _crash_at(self, at: float) -> Process:
        yield self.env.timeout(at)
        for part in self.partitions:
            self._fail_over(part)
        return COMPLETED

    def _fail_over(self, part: object) -> None:
        """The leader of ``part`` is gone: producers waiting for it send again, the most
        up-to-date follower leads after the pause, and the log is cut to what it has."""
        reps = part.replicas
        now = self.env.now
        reps.epoch += 1
        reps.down_until = now + self.broker.failover_pause
        for ack in reps.waiting.values():
            ack.succeed(False)
        reps.waiting.clear()
        if not reps.followers:
            return  # a single copy: back after the pause with its log
        held = [bisect_right(f.copies, now) for f in reps.followers]
        keep = max(held)
        reps.followers.pop(held.index(keep))
        acknowledged = reps.hw if self.broker.acks == "all" else len(part.rids)
        cut = part.rids[keep:]
        del part.rids[keep:], part.times[keep:]
        for f in reps.followers:
            del f.copies[keep:]
        reps.offsets = {rid: k for k, rid in enumerate(part.rids)}
        for k, rid in enumerate(cut, keep):
            if k < acknowledged and rid not in reps.offsets:
                self._lose(rid)
        # Consumers read below the high watermark, which the new leader has, unless no
        # follower was in sync: then what they had read beyond the cut is gone too.
        for name in ("start", "position", "committed", "handled_upto", "replay_until"):
            setattr(part, name, min(getattr(part, name), keep))
        reps.hw = min(reps.hw, keep)
        for offset in range(reps.hw, keep):
            copies = [f.copies[offset] for f in reps.followers if f.in_sync]
            self._show(part, offset, max([reps.down_until, *copies]))
