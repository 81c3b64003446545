"""The delivery loop: one alert, one output, the shared retry policy and rate limiter.

Used both by the Beam shell (`transforms/deliver.py`) and by `iota alerts replay`, so
an alert replayed from the dead-letter store is sent exactly the way the pipeline
would have sent it.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Mapping, Protocol

from transforms.outputs.base import DeliveryFailure, Output
from transforms.outputs.rate_limit import RateLimiter
from transforms.outputs.retry import RetryPolicy


class DeliveryObserver(Protocol):
    """Receives what happened during delivery (the Beam shell turns these into metrics)."""

    def sent(self, output_id: str, latency_seconds: float) -> None: ...
    def retried(self, output_id: str) -> None: ...
    def rate_limited(self, output_id: str) -> None: ...
    def throttled(self, output_id: str, waited_seconds: float) -> None: ...
    def dead_lettered(self, output_id: str) -> None: ...


class IgnoreDelivery:
    """An observer that records nothing, for callers without metrics."""

    def sent(self, output_id: str, latency_seconds: float) -> None:
        pass

    def retried(self, output_id: str) -> None:
        pass

    def rate_limited(self, output_id: str) -> None:
        pass

    def throttled(self, output_id: str, waited_seconds: float) -> None:
        pass

    def dead_lettered(self, output_id: str) -> None:
        pass


@dataclass(frozen=True)
class DeliveryOutcome:
    """How delivering one alert to one output ended; an undelivered outcome becomes a dead letter."""

    output_id: str
    delivered: bool
    attempts: int
    thread_ref: str | None = None
    error: str | None = None
    status: int | None = None
    response_body: str | None = None


class DestinationHealth:
    """Whether a destination just used up a whole retry budget.

    While it is down, each alert gets one attempt (a probe) before it is dead-lettered,
    instead of the full budget: during an hour-long outage alerts reach the dead-letter
    store in seconds rather than queueing behind each other's backoff. The first
    accepted alert marks the destination up again.
    """

    def __init__(self) -> None:
        self.down = False


def deliver(output: Output, alert: Mapping[str, Any], *, policy: RetryPolicy, limiter: RateLimiter,
            health: DestinationHealth | None = None, thread_ref: str | None = None,
            observer: DeliveryObserver = IgnoreDelivery()) -> DeliveryOutcome:
    """Send `alert` through `output` until it is accepted or the policy gives up."""
    health = health or DestinationHealth()
    started = time.monotonic()
    attempts = 0
    while True:
        waited = limiter.acquire()
        if waited > 0:
            observer.throttled(output.output_id, waited)
        attempts += 1
        try:
            sent = output.send(alert, thread_ref)
        except DeliveryFailure as failure:
            if failure.rate_limited:
                observer.rate_limited(output.output_id)
            if health.down or not policy.should_retry(failure, attempts):
                if failure.retryable:
                    health.down = True
                observer.dead_lettered(output.output_id)
                return DeliveryOutcome(output.output_id, False, attempts, thread_ref,
                                       error=failure.reason, status=failure.status,
                                       response_body=failure.body or None)
            observer.retried(output.output_id)
            delay = policy.delay_after(failure, attempts)
            if failure.rate_limited:
                limiter.hold_for(delay)
            else:
                time.sleep(delay)
            continue
        health.down = False
        observer.sent(output.output_id, time.monotonic() - started)
        return DeliveryOutcome(output.output_id, True, attempts, sent.thread_ref or thread_ref,
                               status=sent.status)
