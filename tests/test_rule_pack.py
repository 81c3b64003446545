"""Every YAML test of the bundled CloudTrail pack, one pytest case each, so CI covers the pack."""
from __future__ import annotations

import pytest

from transforms.rules_engine import BUNDLED_RULES_DIR, load_rule_bundle
from transforms.rules_engine.testing import RuleTester

TESTER = RuleTester(load_rule_bundle([BUNDLED_RULES_DIR]))
CASES = list(TESTER.cases())


def test_every_bundled_rule_loads():
    assert TESTER.load_failures == []


@pytest.mark.parametrize(
    ("rule", "spec"), CASES, ids=[f"{rule.rule_id}::{spec.get('Name')}" for rule, spec in CASES]
)
def test_bundled_rule_test_passes(rule, spec):
    result = TESTER.run(rule, spec)
    assert result.passed, (result.expected, result.actual, result.errors, result.problems, result.match)


def test_every_bundled_rule_has_a_true_and_a_false_test():
    lacking = [
        rule.rule_id
        for rule in TESTER.rules
        if {True, False} - {test["ExpectedResult"] for test in rule.tests}
    ]
    assert lacking == []
