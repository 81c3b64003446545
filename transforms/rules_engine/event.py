"""The read-only event object rules receive, and the path helpers they lean on.

Rules in the wild look keys up with the wrong case ("EventName") and walk nested
CloudTrail structures that may be missing at any level, so lookups are exact
first, then case-insensitive, and the path helpers never raise on a missing key.
"""
from __future__ import annotations

import datetime
import json
from collections.abc import Mapping, Sequence
from typing import Any, Callable, Iterator

MISSING = object()  # a lookup found nothing (None is a value)
_new_object = object.__new__
_PLAIN = frozenset({str, int, float, bool, type(None)})
# Lower-cased key -> original key, shared by every mapping with the same keys: CloudTrail
# records repeat a few key layouts, so folding is paid once per layout, not per event.
_FOLDED_LAYOUTS: dict[tuple, dict[str, str]] = {}
_FOLDED_LAYOUTS_LIMIT = 4096


def wrap(value: Any) -> Any:
    """Give nested dicts and lists the same read-only, case-insensitive face as the event."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is dict:
        view = _new_object(ImmutableCaseInsensitiveDict)
        view._data = value
        return view
    if isinstance(value, dict):
        return ImmutableCaseInsensitiveDict(value)
    if kind is list or isinstance(value, list):
        return ImmutableList(value)
    return value


def _folded(data: dict) -> dict[str, str]:
    layout = tuple(data)
    folded = _FOLDED_LAYOUTS.get(layout)
    if folded is None:
        folded = {}
        for original in layout:
            if isinstance(original, str):
                folded.setdefault(original.casefold(), original)
        if len(_FOLDED_LAYOUTS) >= _FOLDED_LAYOUTS_LIMIT:
            _FOLDED_LAYOUTS.clear()
        _FOLDED_LAYOUTS[layout] = folded
    return folded


def fold(data: Mapping, key: str) -> Any:
    """The value under some other casing of `key` in the dict `data`, or MISSING."""
    original = _folded(data).get(key.casefold(), MISSING)
    if original is MISSING:
        return MISSING
    return data[original]


def unwrap(value: Any) -> Any:
    """The plain JSON-shaped value behind a wrapped one (copies nothing that is already plain)."""
    if isinstance(value, ImmutableCaseInsensitiveDict):
        return value._data
    if isinstance(value, ImmutableList):
        return value._data
    return value


def deep_get(container: Any, *keys: Any, default: Any = None) -> Any:
    """Follow `keys` through nested mappings (and integer list indexes); `default` if any step is missing.

    A None at the end counts as missing, as CloudTrail writes null for absent parts
    (e.g. `requestParameters: null`), and a rule asking for a default wants it then.
    Steps through plain dicts and event views are taken here; others go through _step.
    """
    value = container
    for key in keys:
        kind = type(value)
        if kind is dict or kind in _VIEW_TYPES:
            data = value if kind is dict else value._data
            try:
                value = data[key]
            except KeyError:
                value = fold(data, key) if isinstance(key, str) else MISSING
            except TypeError:
                value = MISSING
        else:
            value = _step(value, key)
        if value is MISSING or value is None:
            return default
    return value if type(value) in _PLAIN else wrap(value)


class ImmutableList(Sequence):
    """A read-only list view; nested dicts and lists come back wrapped."""

    __slots__ = ("_data",)

    def __init__(self, data: Sequence[Any]):
        self._data = list(data) if not isinstance(data, list) else data

    def __getitem__(self, index):
        if isinstance(index, slice):
            return ImmutableList(self._data[index])
        return wrap(self._data[index])

    def __len__(self) -> int:
        return len(self._data)

    def __iter__(self) -> Iterator[Any]:
        return (wrap(item) for item in self._data)

    def __contains__(self, item: Any) -> bool:
        return unwrap(item) in self._data

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, (ImmutableList, list, tuple)):
            return self._data == list(unwrap(other))
        return NotImplemented

    def __hash__(self) -> int:
        return hash(json.dumps(self._data, sort_keys=True, default=str))

    def __repr__(self) -> str:
        return f"ImmutableList({self._data!r})"

    def copy(self) -> list:
        """A plain, mutable deep copy."""
        return json.loads(json.dumps(self._data, default=str))


class ImmutableCaseInsensitiveDict(Mapping):
    """A read-only mapping whose lookups try the exact key, then any casing of it."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, Any] | None = None):
        if data is None:
            data = {}
        self._data = data if isinstance(data, dict) else dict(data)

    def _lookup(self, key: Any) -> Any:
        try:
            return self._data[key]
        except KeyError:
            if isinstance(key, str):
                return fold(self._data, key)
            return MISSING
        except TypeError:
            return MISSING

    # get and __getitem__ inline _lookup and wrap's plain-value case: they run for
    # nearly every field a rule reads.
    def __getitem__(self, key: Any) -> Any:
        try:
            value = self._data[key]
        except KeyError:
            value = fold(self._data, key) if isinstance(key, str) else MISSING
        except TypeError:
            value = MISSING
        if value is MISSING:
            raise KeyError(key)
        return value if type(value) in _PLAIN else wrap(value)

    def get(self, key: Any, default: Any = None) -> Any:
        try:
            value = self._data[key]
        except KeyError:
            if not isinstance(key, str):
                return default
            value = fold(self._data, key)
            if value is MISSING:
                return default
        except TypeError:
            return default
        return value if type(value) in _PLAIN else wrap(value)

    def __contains__(self, key: Any) -> bool:
        return self._lookup(key) is not MISSING

    def __len__(self) -> int:
        return len(self._data)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._data)

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, ImmutableCaseInsensitiveDict):
            return self._data == other._data
        if isinstance(other, Mapping):
            return self._data == dict(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(json.dumps(self._data, sort_keys=True, default=str))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._data!r})"

    def copy(self) -> dict:
        """A plain, mutable deep copy."""
        return json.loads(json.dumps(self._data, default=str))

    def to_dict(self) -> dict:
        """A plain, mutable deep copy (the name Panther's event uses)."""
        return self.copy()

    # event.deep_get(*keys) is deep_get(event, *keys), without a second call: rules use it all the time.
    deep_get = deep_get

    def deep_walk(self, *keys: Any, default: Any = None, return_val: str = "all") -> Any:
        """The values at a nested path, fanning out over lists on the way."""
        return deep_walk(self, *keys, default=default, return_val=return_val)


def _step(container: Any, key: Any) -> Any:
    kind = type(container)
    if kind in _VIEW_TYPES:
        return container._lookup(key)
    if kind is dict:
        container = ImmutableCaseInsensitiveDict(container)
        return container._lookup(key)
    if isinstance(container, ImmutableCaseInsensitiveDict):
        return container._lookup(key)
    if isinstance(container, Mapping):
        if key in container:
            return container[key]
        if isinstance(key, str):
            for original, value in container.items():
                if isinstance(original, str) and original.casefold() == key.casefold():
                    return value
        return MISSING
    if isinstance(container, ImmutableList):
        container = container._data
    if isinstance(container, (list, tuple)) and isinstance(key, int):
        try:
            return container[key]
        except IndexError:
            return MISSING
    return MISSING


def deep_walk(container: Any, *keys: Any, default: Any = None, return_val: str = "all") -> Any:
    """Like `deep_get`, but lists met on the way are walked element by element.

    Returns the single value when one is found, a list of the distinct values (in
    order) when several are found and `return_val` is "all", the first or last one
    for "first"/"last", and `default` when nothing is found.
    """
    if return_val not in ("all", "first", "last"):
        raise ValueError(f"return_val must be 'all', 'first' or 'last', not {return_val!r}")
    found: list[Any] = []

    def walk(node: Any, depth: int) -> None:
        node = unwrap(node)
        if node is None:
            return
        if isinstance(node, list):
            for item in node:
                walk(item, depth)
            return
        if depth == len(keys):
            found.append(node)
            return
        nxt = _step(node, keys[depth])
        if nxt is not MISSING:
            walk(nxt, depth + 1)

    walk(container, 0)
    distinct: list[Any] = []
    for value in found:
        if value not in distinct:
            distinct.append(value)
    if not distinct:
        return default
    if return_val == "first":
        return wrap(distinct[0])
    if return_val == "last":
        return wrap(distinct[-1])
    if len(distinct) == 1:
        return wrap(distinct[0])
    return ImmutableList(distinct)


UdmResolver = Callable[["PantherEvent", str], Any]


class PantherEvent(ImmutableCaseInsensitiveDict):
    """The event a rule sees: the normalised record, read-only, with `udm()` for standard fields."""

    __slots__ = ("_udm",)

    def __init__(self, data: Mapping[str, Any], udm_resolver: UdmResolver | None = None):
        if type(data) is dict:  # every record the engine sees: skip the general conversion
            self._data = data
        else:
            super().__init__(data)
        self._udm = udm_resolver

    def udm(self, *keys: Any, default: Any = None) -> Any:
        """A standard field (e.g. "source_ip") by the data model of this event's log type.

        With more than one key, the first names the standard field and the rest walk
        into its value. Names the data model does not map give `default`.
        """
        if not keys:
            raise TypeError("udm() needs the name of a standard field")
        name, rest = keys[0], keys[1:]
        value = self._udm(self, name) if self._udm is not None else None
        if value is None:
            return default
        if rest:
            return deep_get(value, *rest, default=default)
        return wrap(unwrap(value))


_VIEW_TYPES = frozenset({ImmutableCaseInsensitiveDict, PantherEvent})


def json_default(value: Any) -> Any:
    """`json.dumps` default that turns event views, sets and datetimes into JSON values."""
    if isinstance(value, (ImmutableCaseInsensitiveDict, ImmutableList)):
        return unwrap(value)
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
