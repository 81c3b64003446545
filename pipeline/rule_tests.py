"""`iota test`: run every rule's YAML tests locally and say exactly what failed."""
from __future__ import annotations

import argparse
import json
import sys
from typing import Sequence, TextIO

from transforms.rules_engine import BUNDLED_RULES_DIR, RuleLoadError, load_rule_bundle
from transforms.rules_engine.rule import Rule
from transforms.rules_engine.testing import RuleTester, RuleTestResult


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--rules",
        nargs="+",
        action="extend",
        metavar="DIR",
        help=f"folders of rule YAML + Python files (default: the bundled pack, {BUNDLED_RULES_DIR})",
    )
    parser.add_argument(
        "--helpers",
        nargs="+",
        action="extend",
        default=[],
        metavar="DIR",
        help="folders of helper modules rules import (e.g. Panther's global_helpers); they win over bundled helpers",
    )
    parser.add_argument(
        "--filter",
        nargs="+",
        action="extend",
        default=[],
        metavar="KEY=VALUES",
        type=_filter,
        help="only rules whose spec KEY has one of the comma-separated VALUES, e.g. RuleID=A,B LogTypes=AWS.CloudTrail "
        "Severity=High,Critical (case-insensitive; several filters must all hold)",
    )
    parser.add_argument(
        "--minimum-tests",
        type=int,
        default=0,
        metavar="N",
        help="fail rules with fewer than N tests; with N >= 2 each rule also needs a true and a false test",
    )


def _filter(text: str) -> tuple[str, frozenset[str]]:
    key, sep, values = text.partition("=")
    if not sep or not key or not values:
        raise argparse.ArgumentTypeError(f"filter {text!r} is not KEY=VALUE[,VALUE...]")
    return key, frozenset(value.strip().lower() for value in values.split(",") if value.strip())


def _selected(spec: dict, filters: Sequence[tuple[str, frozenset[str]]]) -> bool:
    for key, wanted in filters:
        value = spec.get(key)
        values = value if isinstance(value, list) else [value]
        if not {str(v).lower() for v in values if v is not None} & wanted:
            return False
    return True


def _coverage_problem(rule: Rule, minimum: int) -> str | None:
    if len(rule.tests) < minimum:
        return f"has {len(rule.tests)} test(s), fewer than the minimum of {minimum}"
    outcomes = {test["ExpectedResult"] for test in rule.tests}
    if minimum >= 2 and outcomes != {True, False}:
        missing = "false" if True in outcomes else "true"
        return f"has no test expected to be {missing} (needed with --minimum-tests {minimum})"
    return None


def _report_failure(result: RuleTestResult, out: TextIO) -> None:
    print(f"FAIL {result.rule_id} :: {result.test_name}", file=out)
    print(f"  expected {result.expected}, got {result.actual}", file=out)
    for problem in result.problems:
        print(f"  {problem}", file=out)
    if result.match is not None:
        match = result.match
        print(f"  title:    {match.title}", file=out)
        print(f"  dedup:    {match.dedup}", file=out)
        print(f"  severity: {match.severity}", file=out)
        print(f"  alert_context: {json.dumps(match.alert_context, sort_keys=True)}", file=out)
    for error in result.errors:
        print(f"  error in {error.function}(): {error.error_type}: {error.message}", file=out)
        print("    " + error.traceback.rstrip().replace("\n", "\n    "), file=out)


def main(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    """Run the tests; 0 when every selected rule loaded and every test passed."""
    try:
        bundle = load_rule_bundle(args.rules or [BUNDLED_RULES_DIR], args.helpers)
    except RuleLoadError as error:
        print(f"error: {error}", file=out)
        return 1
    tester = RuleTester(bundle)
    passed = failed = 0
    load_failures = [(source, trace) for source, trace in tester.load_failures if _selected(source.spec, args.filter)]
    for source, trace in load_failures:
        failed += 1
        print(f"FAIL {source.rule_id}: cannot import {source.python_path}", file=out)
        print("    " + trace.rstrip().replace("\n", "\n    "), file=out)
    rules = [rule for rule in tester.rules if _selected(rule.source.spec, args.filter)]
    if not rules and not load_failures:
        print("error: no rules matched" + (" the filters" if args.filter else ""), file=out)
        return 1
    for rule in rules:
        problem = _coverage_problem(rule, args.minimum_tests)
        if problem is not None:
            failed += 1
            print(f"FAIL {rule.rule_id}: {problem}", file=out)
        for test in rule.tests:
            result = tester.run(rule, test)
            if result.passed:
                passed += 1
            else:
                failed += 1
                _report_failure(result, out)
    print(f"{passed} passed, {failed} failed", file=out)
    return 0 if failed == 0 else 1
