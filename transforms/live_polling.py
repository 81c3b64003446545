"""What both live sources share: endless poll rounds and the watermark rule.

Each source is an unbounded splittable DoFn whose restriction is an endless range of
poll numbers; a call claims one, polls once and defers the rest.

CloudTrail delivers an event to S3 up to about 15 minutes after it happened, so
a live source promises only that no event older than ``now - allowance`` is
still to come, and it keeps that promise behind the oldest notification it has
not finished with (a backlog).

A later event is still read, evaluated and alerted, never dropped. What dedup
does with its match: if its key has a window open, the match counts there; if it
falls inside the key's last closed window, that window reopens and, when it
closes again, sends another update under the same ``alert_id``; otherwise it
opens a window of its own and alerts at once (threshold permitting).
"""
from __future__ import annotations

from datetime import timedelta

import apache_beam as beam
from apache_beam.io.restriction_trackers import OffsetRange, OffsetRestrictionTracker
from apache_beam.transforms.core import RestrictionProvider
from apache_beam.utils.timestamp import Timestamp

from transforms import live_stop

ENDLESS = 2**62


def held_watermark(now: float, oldest_unfinished_at: float | None, allowance: timedelta) -> float:
    """Seconds since the epoch up to which the source declares event time complete."""
    anchor = now if oldest_unfinished_at is None else min(now, oldest_unfinished_at)
    return anchor - allowance.total_seconds()


def seconds_of(watermark: Timestamp | None) -> float:
    """A watermark estimator's value in seconds; an unset one is minus infinity."""
    return float("-inf") if watermark is None else watermark.micros / 1e6


class PollRounds(RestrictionProvider):
    """An endless range of poll numbers; a source finishes by claiming ``ENDLESS - 1``."""

    def initial_restriction(self, element):
        return OffsetRange(0, ENDLESS)

    def create_tracker(self, restriction):
        return OffsetRestrictionTracker(restriction)

    def restriction_size(self, element, restriction):
        return 1

    def truncate(self, element, restriction):
        return None


class Seed(beam.PTransform):
    """One element to start a source from, without the Reshuffle `beam.Create` adds
    (a shuffle the local runner's live mode refuses)."""

    def __init__(self, value: str) -> None:
        super().__init__()
        self._value = value

    def expand(self, pbegin):
        return pbegin | "Impulse" >> beam.Impulse() | "Value" >> beam.Map(lambda _, value: value, self._value)


def should_stop(idle_seconds: float, idle_limit: float | None) -> bool:
    """Whether a source finishes now: a stop was requested, or it has idled past its limit,
    which then asks every source in the process to stop so the pipeline drains whole."""
    if idle_limit is not None and idle_seconds >= idle_limit:
        live_stop.request_stop()
    return live_stop.stop_requested()
