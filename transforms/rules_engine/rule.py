"""A loaded rule: its spec, its compiled module, and the run + normalise steps.

Normalisation follows Panther's documented behaviour: strings are cut to 1,000
characters, severity is upper-cased (DEFAULT = the YAML severity), alert_context is a
JSON-serialisable mapping of at most 200 KB, the dedup string defaults to the title
and the title to the DisplayName or RuleID. An optional function that raises or
returns the wrong type yields its fallback value and a RuleError; the alert stands.
"""
from __future__ import annotations

import json
import math
import traceback
import types
from collections.abc import Mapping
from typing import Any, Callable

import orjson

from transforms.rules_engine.bundle import SEVERITIES, RuleLoadError, RuleSource
from transforms.rules_engine.event import ImmutableCaseInsensitiveDict, ImmutableList, PantherEvent, json_default
from transforms.rules_engine.results import RuleError, RuleMatch

MAX_STRING_LENGTH = 1000
MAX_ALERT_CONTEXT_BYTES = 200 * 1024
TRUNCATED_SUFFIX = "... (truncated)"
DEFAULT_DEDUP_PERIOD_MINUTES = 60
DEFAULT_THRESHOLD = 1
_SCALARS = frozenset({str, int, bool, type(None)})
_EVENT_VIEWS = frozenset({ImmutableCaseInsensitiveDict, ImmutableList, PantherEvent})
_MAX_PLAIN_DEPTH = 64


class _Unusable(Exception):
    """A rule function returned a value of the wrong type or shape."""

    error_type = "FunctionReturnTypeError"


def truncate(text: str) -> str:
    """Cut a string to the 1,000-character limit, saying that it was cut."""
    if len(text) <= MAX_STRING_LENGTH:
        return text
    return text[: MAX_STRING_LENGTH - len(TRUNCATED_SUFFIX)] + TRUNCATED_SUFFIX


def rule_error(rule_id: str, function: str, error: BaseException) -> RuleError:
    """A RuleError whose traceback starts in the rule's code, not in the engine."""
    tb = error.__traceback__.tb_next if error.__traceback__ is not None else None
    return RuleError(
        rule_id=rule_id,
        function=function,
        error_type=getattr(error, "error_type", type(error).__name__),
        message=str(error),
        traceback="".join(traceback.format_exception(type(error), error, tb)),
    )


class Rule:
    """One rule, ready to run: metadata from the YAML spec plus the module's functions."""

    def __init__(self, source: RuleSource, module: types.ModuleType):
        spec = source.spec
        self.source = source
        self.module = module
        self.rule_id: str = source.rule_id
        self.display_name: str = str(spec.get("DisplayName") or "")
        self.enabled: bool = bool(spec.get("Enabled", True))
        self.log_types: tuple[str, ...] = tuple(spec["LogTypes"])
        self.severity: str = str(spec["Severity"]).upper()
        self.dedup_period_minutes: int = spec.get("DedupPeriodMinutes", DEFAULT_DEDUP_PERIOD_MINUTES)
        self.threshold: int = spec.get("Threshold", DEFAULT_THRESHOLD)
        self.description: str = str(spec.get("Description") or "")
        self.runbook: str = str(spec.get("Runbook") or "")
        self.reference: str = str(spec.get("Reference") or "")
        self.tags: tuple[str, ...] = tuple(spec.get("Tags") or ())
        self.reports: dict = dict(spec.get("Reports") or {})
        self.summary_attributes: tuple[str, ...] = tuple(spec.get("SummaryAttributes") or ())
        self.tests: list[dict] = list(spec.get("Tests") or [])
        self.declared_index: dict[str, list[str]] | None = spec.get("Index")
        self.output_ids: list[str] | None = output_ids(source)
        rule_function = getattr(module, "rule", None)
        if not callable(rule_function):
            raise TypeError(f"{source.python_path} defines no rule(event) function")
        self.rule_function: Callable[[Any], Any] = rule_function
        # The optional functions in the order match() has always called them, with their checks.
        self._output_checks: tuple[tuple[str, Callable[[Any], Any]], ...] = (
            ("title", _string),
            ("dedup", _string),
            ("severity", self._severity),
            ("alert_context", _alert_context),
            ("unique", _string),
            ("description", _string),
            ("runbook", _string),
            ("reference", _string),
            ("destinations", _destinations),
        )

    def __repr__(self) -> str:
        return f"Rule({self.rule_id!r})"

    def function(self, name: str) -> Callable[[Any], Any] | None:
        """The module's optional function `name`, looked up each call so test mocks apply.

        Read from the module's namespace: getattr would raise and catch an AttributeError
        for each of the optional functions a rule leaves out, on every match.
        """
        namespace = self.module.__dict__
        value = namespace.get(name) if "__getattr__" not in namespace else getattr(self.module, name, None)
        return value if callable(value) else None

    def fires(self, event: PantherEvent) -> tuple[bool, RuleError | None]:
        """Run rule(event); a fault or a non-bool result is an error and no match."""
        try:
            result = self.rule_function(event)
        except Exception as error:  # noqa: BLE001 - any rule fault is isolated
            return False, rule_error(self.rule_id, "rule", error)
        if result is True or result is False:
            return result, None
        return False, self.non_bool_error(result)

    def non_bool_error(self, result: Any) -> RuleError:
        """The error for a rule() that returned something other than a bool (or one whose repr raised)."""
        try:
            raise _Unusable(f"rule() returned {type(result).__name__} {result!r:.80}, expected bool")
        except Exception as error:  # noqa: BLE001 - a raising __repr__ is the rule's fault too
            return rule_error(self.rule_id, "rule", error)

    def match(self, event: PantherEvent, log_type: str) -> tuple[RuleMatch, list[RuleError]]:
        """The alert for an event the rule fired on, with every optional function's output normalised."""
        errors: list[RuleError] = []
        outputs: dict[str, Any] = {}  # name -> checked output of each function that ran cleanly
        namespace = self.module.__dict__
        lookup = namespace.get if "__getattr__" not in namespace else self.function
        for name, check in self._output_checks:
            func = lookup(name)
            if func is None or not callable(func):
                continue
            try:
                outputs[name] = check(func(event))
            except Exception as error:  # noqa: BLE001 - fallback value, error recorded
                errors.append(rule_error(self.rule_id, name, error))

        default_title = self.display_name or self.rule_id
        title = outputs.get("title") or default_title
        alert_context = outputs.get("alert_context")
        if alert_context is None:
            failed = [e.message for e in errors if e.function == "alert_context"]
            alert_context = {"_error": failed[0]} if failed else {}
        match = RuleMatch.checked(
            rule_id=self.rule_id,
            title=title,
            dedup=outputs.get("dedup") or title,
            severity=outputs.get("severity", self.severity),
            dedup_period_minutes=self.dedup_period_minutes,
            threshold=self.threshold,
            unique=outputs.get("unique"),
            alert_context=alert_context,
            description=outputs.get("description", self.description),
            runbook=outputs.get("runbook", self.runbook),
            reference=outputs.get("reference", self.reference),
            destinations=outputs.get("destinations", self.output_ids),
            log_type=log_type,
        )
        return match, errors

    def _severity(self, value: Any) -> str:
        level = _string(value).upper()
        if level == "DEFAULT":
            return self.severity
        if level not in SEVERITIES:
            raise _Unusable(f"severity() returned {value!r}, expected one of {', '.join(SEVERITIES)} or DEFAULT")
        return level


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise _Unusable(f"returned {type(value).__name__} {value!r:.80}, expected str")
    return truncate(value)


def _alert_context(value: Any) -> dict:
    if not isinstance(value, Mapping):
        raise _Unusable(f"alert_context() returned {type(value).__name__}, expected a mapping")
    try:
        copy = _plain_copy(value, 0)
        # orjson's compact UTF-8 is at least a sixth of json.dumps' escaped ASCII.
        if 6 * len(orjson.dumps(copy)) <= MAX_ALERT_CONTEXT_BYTES:
            return copy
    except (_NotPlain, orjson.JSONEncodeError):
        pass
    try:
        text = json.dumps(value, default=json_default)
    except (TypeError, ValueError) as error:
        raise _Unusable(f"alert_context() is not JSON-serialisable: {error}") from None
    if len(text.encode("utf-8")) > MAX_ALERT_CONTEXT_BYTES:
        size = len(text.encode("utf-8"))
        raise _Unusable(f"alert_context() is {size} bytes, over the {MAX_ALERT_CONTEXT_BYTES}-byte limit")
    return json.loads(text)


class _NotPlain(Exception):
    """The value holds something only the JSON round trip normalises exactly."""


def _plain_copy(value: Any, depth: int) -> Any:
    """json.loads(json.dumps(value, default=json_default)) for plain JSON shapes, without the text.

    Taken for dicts with str keys, lists, tuples, event views, str, int, bool, None and
    finite floats, where the round trip is a deep copy with tuples turned into lists;
    anything else (sets, NaN, subclasses, non-str keys, deep nesting) raises _NotPlain.
    """
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is float:
        if math.isfinite(value):
            return value
        raise _NotPlain()
    if depth == _MAX_PLAIN_DEPTH:
        raise _NotPlain()
    if kind in _EVENT_VIEWS:
        value = value._data
        kind = type(value)
    if kind is dict:
        copy = {}
        for key, item in value.items():
            if type(key) is not str:
                raise _NotPlain()
            copy[key] = item if type(item) in _SCALARS else _plain_copy(item, depth + 1)
        return copy
    if kind is list or kind is tuple:
        return [item if type(item) in _SCALARS else _plain_copy(item, depth + 1) for item in value]
    raise _NotPlain()


def output_ids(source: RuleSource) -> list[str] | None:
    """The spec's `OutputIds`: where this rule's alerts go when `destinations()` says nothing."""
    value = source.spec.get("OutputIds")
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise RuleLoadError(f"{source.spec_path}: OutputIds must be a list of output ids, got {value!r:.80}")
    return list(value)


def _destinations(value: Any) -> list[str]:
    if not isinstance(value, (list, tuple)) or not all(isinstance(item, str) for item in value):
        raise _Unusable(f"destinations() returned {value!r:.80}, expected a list of str")
    return [truncate(item) for item in value]
