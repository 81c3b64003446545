"""Reading rule folders into a `RuleBundle`: the file texts a job carries to its workers.

Everything is read and checked here, when the graph is built, so a malformed
YAML spec, a missing Python file, a syntax error or a duplicate RuleID stops the
launch with the file named, instead of surfacing later on a worker.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

import yaml

import rules as _bundled_rules
from transforms.rules_engine.index import INDEX_FIELDS

BUNDLED_RULES_DIR = str(Path(_bundled_rules.__file__).parent)
BUNDLED_HELPERS_DIR = os.path.join(BUNDLED_RULES_DIR, "helpers")

SEVERITIES = ("INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL")
_SKIPPED_ANALYSIS_TYPES = {
    "policy",
    "scheduled_rule",
    "scheduled_query",
    "saved_query",
    "correlation_rule",
    "lookup_table",
    "pack",
    "derived",
}


class RuleLoadError(Exception):
    """A rule, helper or data model that cannot be loaded; the message names the file."""


@dataclass(frozen=True)
class RuleSource:
    """One rule: its parsed YAML spec and the text of its Python module."""

    rule_id: str
    spec: dict
    python: str
    python_path: str
    spec_path: str


@dataclass(frozen=True)
class HelperSource:
    """One importable helper module (or package `__init__`) by its dotted name."""

    module: str
    python: str
    path: str
    is_package: bool


@dataclass(frozen=True)
class DataModelSource:
    """A data model: for its LogTypes, standard field name -> record path or model method."""

    model_id: str
    log_types: tuple[str, ...]
    mappings: tuple[tuple[str, str | None, str | None], ...]  # (name, path, method)
    python: str | None
    python_path: str | None
    enabled: bool


@dataclass(frozen=True)
class RuleBundle:
    """Everything needed to run a rule set, as plain text: small and picklable."""

    rules: tuple[RuleSource, ...]
    helpers: tuple[HelperSource, ...]
    data_models: tuple[DataModelSource, ...] = ()
    skipped: tuple[tuple[str, str], ...] = field(default=())  # (spec path, why)


def load_rule_bundle(rule_dirs: Sequence[str], helper_dirs: Sequence[str] = ()) -> RuleBundle:
    """Read every rule (YAML spec + Python module) under `rule_dirs` and every helper module.

    Helper modules are found, in order of precedence, in `helper_dirs`, then among
    `AnalysisType: global` specs inside the rule folders, then in the bundled
    `rules/helpers` folder, so a user's own `panther_base_helpers` wins over ours.
    """
    if isinstance(rule_dirs, (str, os.PathLike)):
        rule_dirs = [rule_dirs]
    if isinstance(helper_dirs, (str, os.PathLike)):
        helper_dirs = [helper_dirs]
    rules: dict[str, RuleSource] = {}
    data_models: list[DataModelSource] = []
    globals_found: list[HelperSource] = []
    skipped: list[tuple[str, str]] = []
    for spec_path in _spec_files(rule_dirs):
        spec = _read_spec(spec_path)
        if spec is None:
            skipped.append((spec_path, "not a mapping with an AnalysisType"))
            continue
        analysis_type = str(spec.get("AnalysisType", "")).lower()
        if analysis_type == "rule":
            rule = _rule_source(spec_path, spec)
            if rule.rule_id in rules:
                raise RuleLoadError(
                    f"{spec_path}: RuleID {rule.rule_id!r} is already defined in {rules[rule.rule_id].spec_path}"
                )
            rules[rule.rule_id] = rule
        elif analysis_type == "datamodel":
            data_models.append(_data_model_source(spec_path, spec))
        elif analysis_type == "global":
            globals_found.append(_global_helper_source(spec_path, spec))
        elif analysis_type in _SKIPPED_ANALYSIS_TYPES:
            skipped.append((spec_path, f"AnalysisType {analysis_type} is not run by iota"))
        else:
            skipped.append((spec_path, f"unknown AnalysisType {spec.get('AnalysisType')!r}"))
    helpers: dict[str, HelperSource] = {}
    for helper in [*_helper_modules(helper_dirs), *globals_found, *_helper_modules([BUNDLED_HELPERS_DIR])]:
        helpers.setdefault(helper.module, helper)
    return RuleBundle(
        rules=tuple(rules.values()),
        helpers=tuple(helpers.values()),
        data_models=tuple(data_models),
        skipped=tuple(skipped),
    )


def _spec_files(rule_dirs: Iterable[str]) -> list[str]:
    found: list[str] = []
    for rule_dir in rule_dirs:
        rule_dir = os.fspath(rule_dir)
        if os.path.isfile(rule_dir):
            found.append(rule_dir)
            continue
        if not os.path.isdir(rule_dir):
            raise RuleLoadError(f"{rule_dir}: no such rule folder")
        for root, dirs, files in os.walk(rule_dir):
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__")
            found.extend(os.path.join(root, name) for name in sorted(files) if name.endswith((".yml", ".yaml")))
    return found


# libyaml's loader where PyYAML was built with it: the pack's YAML tests take a second to
# parse in pure Python, paid by every `iota backfill` start.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_spec(spec_path: str) -> dict | None:
    try:
        with open(spec_path, encoding="utf-8") as handle:
            spec = yaml.load(handle, Loader=_SAFE_LOADER)
    except yaml.YAMLError as error:
        raise RuleLoadError(f"{spec_path}: invalid YAML: {error}") from error
    if not isinstance(spec, dict) or "AnalysisType" not in spec:
        return None
    return spec


def _read_python(spec_path: str, filename: Any) -> tuple[str, str]:
    if not isinstance(filename, str) or not filename.endswith(".py"):
        raise RuleLoadError(f"{spec_path}: Filename must name a .py file beside the spec, got {filename!r}")
    python_path = os.path.join(os.path.dirname(spec_path), filename)
    try:
        with open(python_path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as error:
        raise RuleLoadError(f"{spec_path}: cannot read {python_path}: {error.strerror}") from error
    try:
        compile(text, python_path, "exec")
    except SyntaxError as error:
        raise RuleLoadError(f"{python_path}:{error.lineno}: syntax error: {error.msg}") from error
    return text, python_path


def _rule_source(spec_path: str, spec: dict) -> RuleSource:
    rule_id = spec.get("RuleID")
    if not isinstance(rule_id, str) or not rule_id:
        raise RuleLoadError(f"{spec_path}: RuleID must be a non-empty string")
    log_types = spec.get("LogTypes")
    if not isinstance(log_types, list) or not log_types or not all(isinstance(t, str) for t in log_types):
        raise RuleLoadError(f"{spec_path}: LogTypes must be a non-empty list of log type names")
    severity = spec.get("Severity")
    if not isinstance(severity, str) or severity.upper() not in SEVERITIES:
        raise RuleLoadError(f"{spec_path}: Severity must be one of {', '.join(SEVERITIES)}, got {severity!r}")
    for key, minimum in (("DedupPeriodMinutes", 0), ("Threshold", 1)):
        value = spec.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < minimum):
            raise RuleLoadError(f"{spec_path}: {key} must be an integer >= {minimum}, got {value!r}")
    _check_tests(spec_path, spec.get("Tests"))
    _check_index(spec_path, spec.get("Index"))
    python, python_path = _read_python(spec_path, spec.get("Filename"))
    return RuleSource(rule_id=rule_id, spec=spec, python=python, python_path=python_path, spec_path=spec_path)


def _check_tests(spec_path: str, tests: Any) -> None:
    if tests is None:
        return
    if not isinstance(tests, list):
        raise RuleLoadError(f"{spec_path}: Tests must be a list")
    for position, test in enumerate(tests, 1):
        where = f"{spec_path}: test #{position}"
        if not isinstance(test, dict):
            raise RuleLoadError(f"{where} must be a mapping with Name, ExpectedResult and Log")
        where = f"{spec_path}: test {test.get('Name', position)!r}"
        if not isinstance(test.get("ExpectedResult"), bool):
            raise RuleLoadError(f"{where}: ExpectedResult must be true or false")
        if not isinstance(test.get("Log"), dict):
            raise RuleLoadError(f"{where}: Log must be a mapping (the event)")
        mocks = test.get("Mocks", [])
        if not isinstance(mocks, list) or not all(isinstance(m, dict) and "objectName" in m for m in mocks):
            raise RuleLoadError(f"{where}: Mocks must be a list of {{objectName, returnValue}}")


def _check_index(spec_path: str, index: Any) -> None:
    """`Index` is iota's own key: {field: [values]} the rule can only match with."""
    if index is None:
        return
    if not isinstance(index, dict) or not index:
        raise RuleLoadError(f"{spec_path}: Index must map a field name to a list of values")
    for key, values in index.items():
        if key not in INDEX_FIELDS:
            raise RuleLoadError(f"{spec_path}: Index can only name {' and '.join(INDEX_FIELDS)}, not {key!r}")
        if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
            raise RuleLoadError(f"{spec_path}: Index.{key} must be a non-empty list of strings")


def _data_model_source(spec_path: str, spec: dict) -> DataModelSource:
    model_id = spec.get("DataModelID")
    log_types = spec.get("LogTypes")
    mappings = spec.get("Mappings")
    if not isinstance(model_id, str) or not isinstance(log_types, list) or not isinstance(mappings, list):
        raise RuleLoadError(f"{spec_path}: a datamodel needs DataModelID, LogTypes and Mappings")
    parsed: list[tuple[str, str | None, str | None]] = []
    for mapping in mappings:
        if not isinstance(mapping, dict) or not isinstance(mapping.get("Name"), str):
            raise RuleLoadError(f"{spec_path}: each mapping needs a Name and a Path or Method")
        path, method = mapping.get("Path"), mapping.get("Method")
        if (path is None) == (method is None):
            raise RuleLoadError(f"{spec_path}: mapping {mapping['Name']!r} needs exactly one of Path or Method")
        if path is not None and not re.fullmatch(r"(\$\.)?[^.\[\]*]+(\.[^.\[\]*]+)*", str(path)):
            raise RuleLoadError(
                f"{spec_path}: mapping {mapping['Name']!r}: only dotted paths like $.a.b are supported, "
                f"not {path!r}; use a Method for anything else"
            )
        parsed.append((mapping["Name"], path, method))
    python, python_path = None, None
    if spec.get("Filename"):
        python, python_path = _read_python(spec_path, spec["Filename"])
    elif any(method for _, _, method in parsed):
        raise RuleLoadError(f"{spec_path}: mappings use Method but the datamodel has no Filename")
    return DataModelSource(
        model_id=model_id,
        log_types=tuple(log_types),
        mappings=tuple(parsed),
        python=python,
        python_path=python_path,
        enabled=bool(spec.get("Enabled", True)),
    )


def _global_helper_source(spec_path: str, spec: dict) -> HelperSource:
    python, python_path = _read_python(spec_path, spec.get("Filename"))
    module = spec.get("GlobalID") or Path(python_path).stem
    return HelperSource(module=str(module), python=python, path=python_path, is_package=False)


def _helper_modules(helper_dirs: Iterable[str]) -> list[HelperSource]:
    """Every .py file under each folder, named as Python would import it with the folder on sys.path."""
    found: list[HelperSource] = []
    for helper_dir in helper_dirs:
        helper_dir = os.fspath(helper_dir)
        if not os.path.isdir(helper_dir):
            raise RuleLoadError(f"{helper_dir}: no such helper folder")
        for root, dirs, files in os.walk(helper_dir):
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__")
            relative = os.path.relpath(root, helper_dir)
            package = [] if relative == "." else relative.split(os.sep)
            if package and not all(part.isidentifier() for part in package):
                continue
            for name in sorted(files):
                stem = name[:-3]
                if not name.endswith(".py") or not (stem.isidentifier() or stem == "__init__"):
                    continue
                path = os.path.join(root, name)
                with open(path, encoding="utf-8") as handle:
                    text = handle.read()
                is_package = stem == "__init__"
                module = ".".join(package if is_package else [*package, stem])
                if not module:
                    continue
                found.append(HelperSource(module=module, python=text, path=path, is_package=is_package))
    return found
