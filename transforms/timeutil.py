"""Event-time helpers shared by the stages: parsing CloudTrail times and time ranges."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Optional


def parse_event_time(value: object) -> Optional[datetime]:
    """CloudTrail's `eventTime` ("2025-01-01T12:00:00Z") as an aware UTC datetime, or None."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def iso_utc(moment: datetime) -> str:
    """The one textual form iota writes times in: microseconds, UTC, trailing Z."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class TimeRange:
    """A half-open event-time range [start, end); either side may be open."""

    start: Optional[datetime] = None
    end: Optional[datetime] = None

    @staticmethod
    def parse_bound(text: str) -> datetime:
        """`2025-01-01` or `2025-01-01T06:00:00Z`; values without a zone are UTC."""
        parsed = parse_event_time(text)
        if parsed is None:
            raise ValueError(f"not a date or ISO-8601 time: {text!r}")
        return parsed

    @classmethod
    def from_text(cls, start: Optional[str], end: Optional[str]) -> "TimeRange":
        bounds = cls(cls.parse_bound(start) if start else None, cls.parse_bound(end) if end else None)
        if bounds.start and bounds.end and bounds.start >= bounds.end:
            raise ValueError("--start must be before --end")
        return bounds

    @property
    def unbounded(self) -> bool:
        return self.start is None and self.end is None

    def contains(self, moment: datetime) -> bool:
        return (self.start is None or moment >= self.start) and (self.end is None or moment < self.end)

    def may_hold_deliveries_of(self, day: date) -> bool:
        """Whether objects delivered on `day` (UTC) can hold events inside the range."""
        return (self.start is None or day >= self.start.date()) and (self.end is None or day <= self.end.date())
