"""What evaluating a record gives back: matches and rule errors, plain and picklable."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RuleMatch:
    """A rule fired on a record. Holds the rule's normalised outputs, never the event.

    `destinations` is None when the rule has no `destinations()` function (send to
    the configured outputs); Panther's convention `["SKIP"]` means send nowhere.
    `unique` is None when the rule has no `unique()` function.
    """

    rule_id: str
    title: str
    dedup: str
    severity: str
    dedup_period_minutes: int
    threshold: int
    unique: str | None
    alert_context: dict
    description: str
    runbook: str
    reference: str
    destinations: list[str] | None
    log_type: str

    @classmethod
    def checked(cls, **fields: Any) -> RuleMatch:
        """A match from outputs the rule runner has already checked, built the way pickle builds one.

        The frozen __init__ sets each field through object.__setattr__, a large part of a
        match's cost when Threshold rules match a good share of all events.
        """
        match = object.__new__(cls)
        match.__dict__.update(fields)
        return match


@dataclass(frozen=True)
class RuleError:
    """A rule function raised or returned something unusable; counted, never fatal."""

    rule_id: str
    function: str
    error_type: str
    message: str
    traceback: str


@dataclass
class EvaluationResult:
    """All matches and rule errors for one record."""

    matches: list[RuleMatch] = field(default_factory=list)
    errors: list[RuleError] = field(default_factory=list)
