"""The rule runner: compile a bundle once, then evaluate records against it."""
from __future__ import annotations

import traceback
from typing import Any, Callable, Mapping

from transforms.rules_engine.bundle import RuleBundle, RuleLoadError, RuleSource
from transforms.rules_engine.data_models import BUILT_IN
from transforms.rules_engine.event import PantherEvent, deep_get
from transforms.rules_engine.index import Constraints, RuleIndex, learn_constraints
from transforms.rules_engine.modules import install_helpers, load_module, module_name
from transforms.rules_engine.results import EvaluationResult
from transforms.rules_engine.rule import Rule, rule_error

UdmResolver = Callable[[PantherEvent, str], Any]


def load_rules(bundle: RuleBundle, include_disabled: bool = False) -> tuple[list[Rule], list[tuple[RuleSource, str]]]:
    """Compile the bundle's rules; returns the loaded rules and (source, traceback) per failure."""
    install_helpers(bundle.helpers)
    loaded: list[Rule] = []
    failures: list[tuple[RuleSource, str]] = []
    for source in bundle.rules:
        if not include_disabled and not source.spec.get("Enabled", True):
            continue
        try:
            module = load_module(module_name("rule", source.rule_id), source.python, source.python_path)
            loaded.append(Rule(source, module))
        except Exception:  # noqa: BLE001 - reported with the rule's id and traceback
            failures.append((source, traceback.format_exc()))
    return loaded, failures


def rule_constraints(rule: Rule) -> Constraints:
    """The rule's index constraints: declared in its YAML `Index`, else learned from its source."""
    if rule.declared_index:
        return {field: frozenset(values) for field, values in rule.declared_index.items()}
    return learn_constraints(rule.source.python)


def build_udm_resolvers(bundle: RuleBundle) -> dict[str, UdmResolver]:
    """Per log type, how `event.udm(name)` resolves: bundle data models over the built-in ones."""
    models: dict[str, Mapping[str, Callable[[Any], Any]]] = dict(BUILT_IN)
    for source in bundle.data_models:
        if not source.enabled:
            continue
        module = None
        if source.python is not None:
            module = load_module(module_name("datamodel", source.model_id), source.python, source.python_path)
        mapping: dict[str, Callable[[Any], Any]] = {}
        for name, path, method in source.mappings:
            if path is not None:
                keys = [part for part in str(path).removeprefix("$.").split(".") if part]
                mapping[name] = lambda event, keys=keys: deep_get(event, *keys)
            else:
                func = getattr(module, method, None)
                if not callable(func):
                    raise RuleLoadError(f"{source.python_path}: data model method {method!r} is not defined")
                mapping[name] = func
        for log_type in source.log_types:
            models[log_type] = mapping
    return {log_type: _resolver(model) for log_type, model in models.items()}


def _resolver(model: Mapping[str, Callable[[Any], Any]]) -> UdmResolver:
    def resolve(event: PantherEvent, name: str) -> Any:
        func = model.get(name)
        return func(event) if func is not None else None

    return resolve


class RuleEngine:
    """Evaluates normalised records against a bundle's rules, each fault isolated to its rule.

    Build it once per worker (e.g. in `DoFn.setup`): construction compiles every
    module. Disabled rules are left out unless `include_disabled`. With `use_index`
    (the default) a record reaches only the rules its eventSource, eventName, errorCode
    and userIdentity.type can match (see index); without it every rule of the record's
    log type runs (for comparison and benchmarks).
    """

    def __init__(self, bundle: RuleBundle, include_disabled: bool = False, use_index: bool = True):
        rules, failures = load_rules(bundle, include_disabled)
        if failures:
            details = "\n".join(f"{source.rule_id} ({source.python_path}):\n{trace}" for source, trace in failures)
            raise RuleLoadError(f"{len(failures)} rule(s) failed to load:\n{details}")
        self.rules: list[Rule] = rules
        self._udm = build_udm_resolvers(bundle)
        self._index = RuleIndex(
            (rule, rule.log_types, rule_constraints(rule) if use_index else {}) for rule in rules
        )

    def evaluate(self, record: Mapping[str, Any]) -> EvaluationResult:
        """Every match and rule error for one record; never raises for a rule's fault."""
        result = EvaluationResult()
        candidates = self._index.candidates(record)
        if not candidates:
            return result
        log_type = record.get("p_log_type")
        event = PantherEvent(record, self._udm.get(log_type))
        for rule in candidates:
            # Rule.fires, inlined: this loop runs a few rules for every event.
            try:
                fired = rule.rule_function(event)
            except Exception as error:  # noqa: BLE001 - any rule fault is isolated
                result.errors.append(rule_error(rule.rule_id, "rule", error))
                continue
            if fired is True:
                match, errors = rule.match(event, log_type)
                result.matches.append(match)
                result.errors.extend(errors)
            elif fired is not False:
                result.errors.append(rule.non_bool_error(fired))
        return result

    def candidates(self, record: Mapping[str, Any]) -> list[Rule]:
        """The rules the index routes this record to."""
        return self._index.candidates(record)

    def event(self, record: Mapping[str, Any]) -> PantherEvent:
        """The event object rules see for this record."""
        return PantherEvent(record, self._udm.get(record.get("p_log_type")))
