"""The watermark rule both live sources share.

CloudTrail delivers an event to S3 up to about 15 minutes after it happened, so
a live source promises only that no event older than ``now - allowance`` is
still to come, and it keeps that promise behind the oldest notification it has
not finished with (a backlog). Events later than that are still read, evaluated
and alerted; dedup treats them as late (see ``transforms.dedup``).
"""
from __future__ import annotations

from datetime import timedelta

from apache_beam.utils.timestamp import Timestamp


def held_watermark(now: float, oldest_unfinished_at: float | None, allowance: timedelta) -> float:
    """Seconds since the epoch up to which the source declares event time complete."""
    anchor = now if oldest_unfinished_at is None else min(now, oldest_unfinished_at)
    return anchor - allowance.total_seconds()


def seconds_of(watermark: Timestamp | None) -> float:
    """A watermark estimator's value in seconds; an unset one is minus infinity."""
    return float("-inf") if watermark is None else watermark.micros / 1e6
