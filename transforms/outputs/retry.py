"""The single retry policy every output shares.

Modelled on the idea behind urllib3's `Retry`: one object decides whether a failed
send is worth another attempt and how long to wait first, so outputs contain no retry
loops of their own. Retried: 429 (waiting exactly what `Retry-After` asks), 5xx, 408,
timeouts and connection errors. Never retried: every other 4xx, because the same
request will be refused again; it goes to the dead-letter store with the response.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

from transforms.outputs.base import DeliveryFailure


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded exponential backoff with jitter.

    Attempt n (1-based) that fails is followed by a wait of
    `min(max_delay, base_delay * 2**(n-1))` scaled by a random factor in [0.5, 1],
    so many workers that failed together do not retry together. A 429 waits its
    `Retry-After` instead (or the backoff when the header is missing); a destination
    asking for more than `max_retry_after` seconds is treated as down for now and
    the alert is dead-lettered for a later replay rather than blocking the pipeline.
    """

    max_attempts: int = 6
    base_delay: float = 1.0
    max_delay: float = 60.0
    max_retry_after: float = 300.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_delay < 0 or self.max_delay < 0 or self.max_retry_after < 0:
            raise ValueError("retry delays must not be negative")

    def should_retry(self, failure: DeliveryFailure, attempts_made: int) -> bool:
        if not failure.retryable or attempts_made >= self.max_attempts:
            return False
        return failure.retry_after is None or failure.retry_after <= self.max_retry_after

    def delay_after(self, failure: DeliveryFailure, attempts_made: int, rng: random.Random | None = None) -> float:
        """Seconds to wait before the next attempt."""
        if failure.retry_after is not None:
            return failure.retry_after
        backoff = min(self.max_delay, self.base_delay * 2 ** (attempts_made - 1))
        return backoff * (rng or random).uniform(0.5, 1.0)
