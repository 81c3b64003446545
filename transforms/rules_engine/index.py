"""Routing records to the rules that can match them, by eventSource / eventName and a few value fields.

A rule's constraints are either declared in its YAML (`Index: {eventName: [...]}`)
or learned from the source of its `rule()` function: conditions such as
`event.get("eventName") == "ConsoleLogin"`, `event.get("eventSource") in SOURCES`,
`event.get("errorCode") in DENIED`, `event.deep_get("userIdentity", "type") == "Root"`
or an early `if event.get("eventName") != ...: return False` that every path to a
true result must pass. Whatever the analysis cannot prove leaves the rule
unconstrained, so it runs on every record of its log types: the index may make a
rule run needlessly, never skip a match.

Two kinds of field:
- name fields (eventSource, eventName): a record without the field, or with a
  non-string value, reaches the rule whatever it requires;
- value fields (errorCode, userIdentity.type): the record offers exactly what the
  rule's own read returns, None when the field is absent or null, so records without
  an errorCode stay away from rules that need one. Only reads that give None for an
  absent field count (the event's own `.get(f)` and `.deep_get(...)` without a
  default); comparisons may also be `is True` / `is False` / `is None`; a value other
  than a string, bool or None reaches the rule. Each value field costs a lookup or two
  per record, so only fields that keep busy rules away from most records earn a place
  (measured: readOnly and eventType did not pay for themselves on the benchmark traffic).
"""
from __future__ import annotations

import ast
from typing import Any, Iterable, Mapping

from transforms.rules_engine.event import MISSING, deep_get, fold

INDEX_FIELDS = ("eventSource", "eventName")
VALUE_PATHS = (("errorCode",), ("userIdentity", "type"))
_FIELDS = frozenset(INDEX_FIELDS)
_VALUE_FIELDS = {".".join(path): path for path in VALUE_PATHS}
_VALUE_FIELD_NAMES = {path: field for field, path in _VALUE_FIELDS.items()}
_IDENTITY_CONSTANTS = (True, False, None)
# What a record offers for a field whose value the index cannot compare: it meets any constraint.
_ANY = object()
_HELPER_MODULES = {"panther_base_helpers", "panther_core", "transforms.rules_engine.event"}
_MAX_CONTEXTS = 64
# Methods that only read a set, list, tuple or dict; any other attribute use may change it.
_READ_ONLY_METHODS = frozenset(
    {"get", "keys", "values", "items", "copy", "count", "index", "union", "intersection", "difference",
     "symmetric_difference", "issubset", "issuperset", "isdisjoint"}
)
_CACHE_LIMIT = 20_000

Constraints = dict[str, frozenset[str]]


class _Unknown(Exception):
    """The rule's control flow is beyond the analysis; treat it as unconstrained."""


def learn_constraints(python: str) -> Constraints:
    """Field -> values the record must carry for `rule()` to return True (empty if unknown)."""
    try:
        tree = ast.parse(python)
        return _Analyser(tree).constraints()
    except (_Unknown, SyntaxError, RecursionError):
        return {}


def _merge(a: Constraints, b: Constraints) -> Constraints:
    """Both hold: intersect per field."""
    merged = dict(a)
    for field, values in b.items():
        merged[field] = merged[field] & values if field in merged else values
    return merged


def _common(options: list[Constraints]) -> Constraints:
    """One of them holds: only fields constrained in every option, with the union of values."""
    if not options:
        return {}
    fields = set(options[0]).intersection(*options[1:])
    return {field: frozenset().union(*(o[field] for o in options)) for field in fields}


class _Analyser:
    def __init__(self, tree: ast.Module):
        self.tree = tree
        self.constants = self._string_set_constants()
        self.deep_get_names = self._imported_deep_get_names()
        self.function = self._rule_function()
        args = self.function.args
        if not args.args or args.vararg or args.kwarg:
            raise _Unknown()
        self.param = args.args[0].arg
        for node in ast.walk(self.function):
            if isinstance(node, ast.Name) and node.id == self.param and not isinstance(node.ctx, ast.Load):
                raise _Unknown()
            if isinstance(node, (ast.Global, ast.Nonlocal)):
                raise _Unknown()

    def constraints(self) -> Constraints:
        returns, _ = self._block(self.function.body, [{}])
        if not returns:
            return {}
        return _common(returns)

    def _rule_function(self) -> ast.FunctionDef:
        definitions = [n for n in self.tree.body if isinstance(n, ast.FunctionDef) and n.name == "rule"]
        if len(definitions) != 1 or definitions[0].decorator_list:
            raise _Unknown()
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Name) and node.id == "rule" and not isinstance(node.ctx, ast.Load):
                raise _Unknown()
            if isinstance(node, (ast.Import, ast.ImportFrom)) and any(
                (alias.asname or alias.name) == "rule" for alias in node.names
            ):
                raise _Unknown()
        return definitions[0]

    def _string_set_constants(self) -> dict[str, frozenset[str]]:
        """Module-level names bound once to a literal collection of strings and never touched again."""
        candidates: dict[str, frozenset[str]] = {}
        for node in self.tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                values = _literal_strings(node.value)
                name = node.targets[0].id
                if values is not None and name not in candidates:
                    candidates[name] = values
                else:
                    candidates.pop(name, None)
        stores: dict[str, int] = {}
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
                stores[node.id] = stores.get(node.id, 0) + 1
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                if node.attr not in _READ_ONLY_METHODS or not isinstance(node.ctx, ast.Load):
                    candidates.pop(node.value.id, None)  # NAME.add(...) and friends could change it
            elif isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
                if not isinstance(node.ctx, ast.Load):
                    candidates.pop(node.value.id, None)
            elif isinstance(node, (ast.Global, ast.Nonlocal)):
                for name in node.names:
                    candidates.pop(name, None)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias in node.names:
                    candidates.pop(alias.asname or alias.name.split(".")[0], None)
        return {name: values for name, values in candidates.items() if stores.get(name, 0) == 1}

    def _imported_deep_get_names(self) -> set[str]:
        names = set()
        for node in self.tree.body:
            if isinstance(node, ast.ImportFrom) and node.module in _HELPER_MODULES:
                for alias in node.names:
                    if alias.name == "deep_get":
                        names.add(alias.asname or alias.name)
        rebound = {
            n.id for n in ast.walk(self.tree) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)
        } | {n.name for n in ast.walk(self.tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
        return names - rebound

    # -- statements -------------------------------------------------------------------------

    def _block(self, body: list[ast.stmt], contexts: list[Constraints]) -> tuple[list[Constraints], list[Constraints]]:
        """(constraints of each path returning truthy, contexts of paths falling off the end)."""
        returns: list[Constraints] = []
        for statement in body:
            if not contexts:
                break
            if len(contexts) > _MAX_CONTEXTS:
                raise _Unknown()
            if isinstance(statement, ast.Return):
                if not _is_falsy_constant(statement.value):
                    implied = self._implied(statement.value, True)
                    returns.extend(_merge(context, implied) for context in contexts)
                contexts = []
            elif isinstance(statement, ast.Raise):
                contexts = []
            elif isinstance(statement, ast.If):
                then_returns, then_open = self._block(
                    statement.body, [_merge(c, self._implied(statement.test, True)) for c in contexts]
                )
                else_returns, else_open = self._block(
                    statement.orelse, [_merge(c, self._implied(statement.test, False)) for c in contexts]
                )
                returns.extend(then_returns + else_returns)
                contexts = then_open + else_open
            elif any(isinstance(node, (ast.Return, ast.Yield, ast.YieldFrom, ast.Await)) for node in _walk_local(statement)):
                raise _Unknown()
        return returns, contexts

    # -- expressions -------------------------------------------------------------------------

    def _implied(self, expr: ast.expr | None, truth: bool) -> Constraints:
        """What must hold of the record when `expr` evaluates to a value of truthiness `truth`."""
        if expr is None:
            return {}
        if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.Not):
            return self._implied(expr.operand, not truth)
        if isinstance(expr, ast.BoolOp):
            parts = [self._implied(value, truth) for value in expr.values]
            conjunction = isinstance(expr.op, ast.And) == truth
            if conjunction:
                merged: Constraints = {}
                for part in parts:
                    merged = _merge(merged, part)
                return merged
            return _common(parts)
        if isinstance(expr, ast.Compare) and len(expr.ops) == 1:
            return self._comparison(expr.left, expr.ops[0], expr.comparators[0], truth)
        return {}

    def _comparison(self, left: ast.expr, op: ast.cmpop, right: ast.expr, truth: bool) -> Constraints:
        if isinstance(op, (ast.Eq, ast.NotEq)):
            field, values = self._field(left), _string_constant(right)
            if field is None:
                field, values = self._field(right), _string_constant(left)
            holds_when = isinstance(op, ast.Eq)
        elif isinstance(op, (ast.In, ast.NotIn)):
            field, values = self._field(left), self._collection(right)
            holds_when = isinstance(op, ast.In)
        elif isinstance(op, (ast.Is, ast.IsNot)):
            field, values = self._field(left), _identity_constant(right)
            if field is None:
                field, values = self._field(right), _identity_constant(left)
            holds_when = isinstance(op, ast.Is)
        else:
            return {}
        if field is None or values is None or holds_when != truth:
            return {}
        return {field: values}

    def _field(self, expr: ast.expr) -> str | None:
        """The index field `expr` reads from the event, if it is such a read."""
        if isinstance(expr, ast.Subscript):
            if _is_name(expr.value, self.param):
                key = _string_constant(expr.slice)
                return _single_field(key)
            return None
        if not isinstance(expr, ast.Call) or not expr.args:
            return None
        func = expr.func
        if isinstance(func, ast.Attribute) and _is_name(func.value, self.param):
            if func.attr == "get" and len(expr.args) <= 2 and not expr.keywords:
                return _single_field(_string_constant(expr.args[0])) or _value_field(
                    expr.args[:1], expr.args[1:]
                )
            if func.attr == "deep_get" and all(k.arg == "default" for k in expr.keywords):
                if len(expr.args) == 1 and _single_field(_string_constant(expr.args[0])):
                    return _single_field(_string_constant(expr.args[0]))
                return _value_field(expr.args, [k.value for k in expr.keywords])
            return None
        if isinstance(func, ast.Name) and func.id in self.deep_get_names:
            # Name fields only: a rule folder may bring its own panther_base_helpers.deep_get,
            # and a value field is only as exact as the read the index repeats.
            if len(expr.args) == 2 and _is_name(expr.args[0], self.param) and all(
                k.arg == "default" for k in expr.keywords
            ):
                return _single_field(_string_constant(expr.args[1]))
        return None

    def _collection(self, expr: ast.expr) -> frozenset[str] | None:
        if isinstance(expr, ast.Name):
            return self.constants.get(expr.id)
        return _literal_strings(expr)


def _walk_local(statement: ast.stmt) -> Iterable[ast.AST]:
    """Nodes of a statement, not descending into nested function or class bodies."""
    stack: list[ast.AST] = [statement]
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
                stack.append(child)


def _is_name(expr: ast.expr, name: str) -> bool:
    return isinstance(expr, ast.Name) and expr.id == name


def _string_constant(expr: ast.expr) -> frozenset[str] | None:
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return frozenset([expr.value])
    return None


def _single_field(key: frozenset[str] | None) -> str | None:
    if key is None:
        return None
    (value,) = key
    return value if value in _FIELDS else None


def _value_field(path: list[ast.expr], defaults: list[ast.expr]) -> str | None:
    """The value field a read of `path` names, when the read gives None for an absent field."""
    if any(not (isinstance(d, ast.Constant) and d.value is None) for d in defaults):
        return None
    keys = [_string_constant(key) for key in path]
    if any(key is None for key in keys):
        return None
    return _VALUE_FIELD_NAMES.get(tuple(value for (value,) in keys))


def _identity_constant(expr: ast.expr) -> frozenset | None:
    """{True}, {False} or {None} for the constants an `is` comparison can test by identity."""
    if isinstance(expr, ast.Constant) and any(expr.value is constant for constant in _IDENTITY_CONSTANTS):
        return frozenset([expr.value])
    return None


def _literal_strings(expr: ast.expr) -> frozenset[str] | None:
    """Strings of a literal set/list/tuple, the keys of a dict literal, or set(...)/frozenset(...) over one."""
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id in ("set", "frozenset"):
        if len(expr.args) == 1 and not expr.keywords:
            return _literal_strings(expr.args[0])
        return None
    if isinstance(expr, (ast.Set, ast.List, ast.Tuple)):
        if all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in expr.elts):
            return frozenset(e.value for e in expr.elts)
    if isinstance(expr, ast.Dict):
        if all(isinstance(k, ast.Constant) and isinstance(k.value, str) for k in expr.keys):
            return frozenset(k.value for k in expr.keys)
    return None


def _is_falsy_constant(expr: ast.expr | None) -> bool:
    return expr is None or (isinstance(expr, ast.Constant) and not expr.value)


def offered(record: Mapping, field: str) -> Any:
    """What `record` offers a constraint on `field`: a value to look up, or _ANY (meets every constraint)."""
    path = _VALUE_FIELDS.get(field)
    if path is None:
        value = record.get(field)
        return value if isinstance(value, str) else _ANY
    return _offered_value(record, path)


def _offered_value(record: Mapping, path: tuple[str, ...]) -> Any:
    """deep_get(record, *path) as a rule reads it (None when absent or null), or _ANY for other types.

    Steps through plain dicts are taken here, with deep_get's exact-then-any-casing
    lookup; anything else is left to deep_get itself.
    """
    value: Any = record
    for step in path:
        if type(value) is not dict:
            value = deep_get(record, *path)
            break
        found = value.get(step, MISSING)
        value = fold(value, step) if found is MISSING else found
        if value is MISSING or value is None:
            return None
    return value if value is None or type(value) is str or type(value) is bool else _ANY


def meets(record: Mapping, constraints: Mapping[str, frozenset]) -> bool:
    """Whether the index routes `record` to a rule with `constraints`."""
    for field, allowed in constraints.items():
        value = offered(record, field)
        if value is not _ANY and value not in allowed:
            return False
    return True


class RuleIndex:
    """Per record, the rules (in load order) whose constraints the record meets.

    Records are grouped by log type and what they offer each field any rule constrains;
    the rule list of each group is worked out once and cached.
    """

    def __init__(self, entries: Iterable[tuple[object, Iterable[str], Mapping[str, frozenset]]]):
        self._entries = [(rule, frozenset(log_types), dict(constraints)) for rule, log_types, constraints in entries]
        constrained = {field for _, _, constraints in self._entries for field in constraints}
        self._name_fields = tuple(field for field in INDEX_FIELDS if field in constrained)
        self._value_paths = tuple(path for field, path in _VALUE_FIELDS.items() if field in constrained)
        self._fields = self._name_fields + tuple(".".join(path) for path in self._value_paths)
        self._cache: dict[tuple, list] = {}

    def candidates(self, record: Mapping) -> list:
        get = record.get
        offers = [get("p_log_type")]
        for field in self._name_fields:
            value = get(field)
            offers.append(value if isinstance(value, str) else _ANY)
        for path in self._value_paths:
            offers.append(_offered_value(record, path))
        key = tuple(offers)
        try:
            return self._cache[key]
        except KeyError:
            pass
        except TypeError:
            return self._select(key)
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        selected = self._cache[key] = self._select(key)
        return selected

    def _select(self, key: tuple) -> list:
        log_type, values = key[0], dict(zip(self._fields, key[1:]))
        return [
            rule
            for rule, log_types, constraints in self._entries
            if log_type in log_types
            and all(values[field] is _ANY or values[field] in allowed for field, allowed in constraints.items())
        ]
