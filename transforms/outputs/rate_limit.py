"""Per-destination pacing, so a burst of alerts queues instead of being refused.

Slack allows about one message per second per incoming webhook or channel; PagerDuty
throttles each routing key. Sends to one destination are spaced at least
`1 / per_second` apart, and a 429 pushes the next free slot back by its
`Retry-After`, so every sender to that destination waits, not just the one refused.
Slots are spaced 2% + 10 ms wider than the limit, and a sender woken late by the
scheduler pushes the next slot back by its lateness: requests reach the destination
with some jitter, and a 429 costs a whole Retry-After (Slack sends whole seconds),
far more than the margin.
"""
from __future__ import annotations

import threading
import time
from typing import Callable

SPACING_MARGIN = 1.02
TRANSPORT_JITTER_SECONDS = 0.01


class RateLimiter:
    """Hands out send slots for one destination; thread-safe, blocking."""

    def __init__(self, per_second: float | None, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        if per_second is not None and per_second <= 0:
            raise ValueError("per_second must be positive (or None for no limit)")
        self._interval = 0.0 if per_second is None else SPACING_MARGIN / per_second + TRANSPORT_JITTER_SECONDS
        self._clock = clock
        self._sleep = sleep
        self._next_slot = 0.0
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Wait for this destination's next slot; return the seconds waited."""
        with self._lock:
            now = self._clock()
            slot = max(now, self._next_slot)
            self._next_slot = slot + self._interval
        wait = slot - now
        if wait > 0:
            self._sleep(wait)
            with self._lock:
                self._next_slot = max(self._next_slot, self._clock() + self._interval)
        return wait

    def hold_for(self, seconds: float) -> None:
        """Keep every sender away from this destination for `seconds` (it answered 429)."""
        with self._lock:
            self._next_slot = max(self._next_slot, self._clock() + seconds)
