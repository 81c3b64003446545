"""Running the `Tests` in rule specs: shared by `iota test` and the pytest suite.

A test passes when `rule()` returns the expected bool without raising, and, for a
test expected to match, every optional function runs cleanly and the index would
route the event to the rule (so a learned or declared index can never hide a
match that the rule's own tests describe).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator
from unittest import mock

from transforms.rules_engine.bundle import RuleBundle
from transforms.rules_engine.cache import InMemoryCacheStore, using_store
from transforms.rules_engine.engine import build_udm_resolvers, load_rules, rule_constraints
from transforms.rules_engine.event import PantherEvent
from transforms.rules_engine.index import Constraints, meets
from transforms.rules_engine.results import RuleError, RuleMatch
from transforms.rules_engine.rule import Rule

_MISSING = object()


@dataclass
class RuleTestResult:
    """The outcome of one YAML test, with everything needed to explain a failure."""

    rule_id: str
    test_name: str
    expected: bool
    actual: bool
    passed: bool
    match: RuleMatch | None = None
    errors: list[RuleError] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


class RuleTester:
    """Loads every rule of a bundle (disabled ones too) and runs their tests one by one."""

    def __init__(self, bundle: RuleBundle):
        self.rules, self.load_failures = load_rules(bundle, include_disabled=True)
        self._udm = build_udm_resolvers(bundle)
        self._constraints: dict[str, Constraints] = {rule.rule_id: rule_constraints(rule) for rule in self.rules}

    def cases(self) -> Iterator[tuple[Rule, dict]]:
        """(rule, test spec) for every test of every loaded rule, in load order."""
        for rule in self.rules:
            for test in rule.tests:
                yield rule, test

    def run(self, rule: Rule, test: dict) -> RuleTestResult:
        """Run one test in isolation: its mocks applied, a fresh in-memory cache."""
        record = dict(test["Log"])
        record.setdefault("p_log_type", rule.log_types[0])
        log_type = record["p_log_type"]
        expected = test["ExpectedResult"]
        result = RuleTestResult(rule.rule_id, str(test.get("Name", "")), expected, actual=False, passed=False)
        mocks = test.get("Mocks") or []
        with using_store(InMemoryCacheStore()), _mocked(rule, mocks):
            event = PantherEvent(record, self._udm.get(log_type))
            fired, error = rule.fires(event)
            result.actual = fired
            if error is not None:
                result.errors.append(error)
            if fired:
                result.match, errors = rule.match(event, log_type)
                result.errors.extend(errors)
        if expected and not mocks and not meets(record, self._constraints[rule.rule_id]):
            result.problems.append(
                "the rule index would not send this event to the rule: "
                + ", ".join(f"{f} in {sorted(v, key=repr)}" for f, v in self._constraints[rule.rule_id].items())
            )
        result.passed = fired == expected and not result.errors and not result.problems
        return result


class _mocked:
    """Replace module-level names of the rule's module for one test, as Panther's Mocks do.

    A name bound to a function (or not bound at all) becomes a MagicMock returning
    `returnValue`; a name bound to plain data (a constant) becomes `returnValue` itself.
    """

    def __init__(self, rule: Rule, mocks: list[dict]):
        self.module = rule.module
        self.mocks = mocks
        self.saved: list[tuple[str, Any]] = []

    def __enter__(self) -> None:
        for spec in self.mocks:
            name, value = spec["objectName"], spec.get("returnValue")
            original = getattr(self.module, name, _MISSING)
            self.saved.append((name, original))
            if original is _MISSING or callable(original):
                setattr(self.module, name, mock.MagicMock(return_value=value))
            else:
                setattr(self.module, name, value)

    def __exit__(self, *exc: Any) -> None:
        for name, original in reversed(self.saved):
            if original is _MISSING:
                delattr(self.module, name)
            else:
                setattr(self.module, name, original)
