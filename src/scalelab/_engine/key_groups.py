"""Messages waiting to be processed, grouped by key: a key's messages go out one at a
time and in order, and a key is out with at most one worker at once. A FIFO queue's
message groups and a key-ordered parallel consumer both dispatch this way; a standard
queue is the special case of one message per key.
"""

from __future__ import annotations

from collections import deque


class KeyGroups:
    """Per-key FIFO groups of items, and the keys whose head item may go out now."""

    __slots__ = ("busy", "groups", "ready")

    def __init__(self) -> None:
        self.groups: dict[int, deque] = {}
        self.ready: deque[int] = deque()  # keys with a head to hand out (may hold stale keys)
        self.busy: set[int] = set()  # keys whose head is out with a worker

    def put(self, key: int, item: object) -> None:
        """Queue ``item`` behind the other items of ``key``."""
        group = self.groups.get(key)
        if group is None:
            self.groups[key] = group = deque()
            if key not in self.busy:
                self.ready.append(key)
        group.append(item)

    def take(self) -> tuple[int, object] | None:
        """The next key and its head item, now busy; None when no key is free."""
        ready, groups, busy = self.ready, self.groups, self.busy
        while ready:
            key = ready.popleft()
            if key in busy or not groups.get(key):
                continue
            busy.add(key)
            return key, groups[key][0]
        return None

    def release(self, key: int, remove: bool) -> None:
        """``key``'s head is back from its worker: removed (done) or to go out again."""
        self.busy.discard(key)
        group = self.groups.get(key)
        if group and remove:
            group.popleft()
        if group:
            self.ready.append(key)
        elif group is not None:
            del self.groups[key]

    def drop_head(self, key: int) -> None:
        """Remove ``key``'s head while it is not out (deleted or dead-lettered)."""
        group = self.groups[key]
        group.popleft()
        if not group:
            del self.groups[key]

    def clear(self) -> None:
        """Forget every item (the consumer's fetched messages, at a rebalance)."""
        self.groups.clear()
        self.ready.clear()
        self.busy.clear()
