"""An idempotent consumer: it records each message id in the same transaction as the
message's effect, remembers it ``window`` seconds, and skips a delivery of an id it
remembers. A crash cannot separate the record from the effect, so what it skips is
exactly what it applied less than a window ago."""

from __future__ import annotations

import numpy as np


class Dedup:
    """The ids an idempotent consumer group remembers, and what it applied or skipped."""

    __slots__ = ("applied", "counts", "gaps", "window")

    def __init__(self, window: float) -> None:
        self.window = window
        self.applied: dict[int, float] = {}  # rid -> when its effect was last applied
        self.gaps: list[float] = []  # seconds from a message's last effect to a redelivery
        self.counts = dict.fromkeys(("effects", "duplicate_effects", "dedup_skipped"), 0)

    def apply(self, rid: int, now: float) -> bool:
        """Whether the effect of delivering ``rid`` at ``now`` is applied (False: skipped,
        its id is remembered)."""
        last = self.applied.get(rid)
        if last is not None:
            self.gaps.append(now - last)
            if now - last < self.window:
                self.counts["dedup_skipped"] += 1
                return False
            self.counts["duplicate_effects"] += 1
        self.counts["effects"] += 1
        self.applied[rid] = now
        return True

    def counters(self) -> dict[str, float]:
        """The counts, and the median and largest redelivery gap (0 when none), s."""
        gaps = np.asarray(self.gaps) if self.gaps else np.zeros(1)
        out = {k: float(v) for k, v in self.counts.items()}
        out["redelivery_gap_p50"] = float(np.median(gaps))
        out["redelivery_gap_max"] = float(gaps.max())
        return out
