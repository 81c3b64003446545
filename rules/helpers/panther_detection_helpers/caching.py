"""Rule state across events, with the function names Panther rules call.

Backed by iota's pluggable cache store (in-memory by default, DynamoDB when
IOTA_RULE_CACHE_TABLE names a table). `epoch_seconds` sets when a key expires;
expired keys read as empty. `force_ttl_check` is accepted for compatibility:
iota always checks expiry on read.
"""
from __future__ import annotations

import time
from typing import Any, Iterable

from transforms.rules_engine.cache import current_store

__all__ = [
    "add_to_string_set",
    "get_counter",
    "get_dictionary",
    "get_string_set",
    "increment_counter",
    "put_dictionary",
    "put_string_set",
    "remove_from_string_set",
    "reset_counter",
    "reset_string_set",
    "set_key_expiration",
    "ttl_expired",
]


def _strings(values: Any) -> list[str]:
    if isinstance(values, str):
        return [values]
    return [str(value) for value in values]


def get_counter(key: str, force_ttl_check: bool = False) -> int:
    item = current_store().get(key) or {}
    return int(item.get("counter", 0))


def increment_counter(key: str, val: int = 1, epoch_seconds: int | None = None) -> int:
    """Add `val` (default 1) and return the new count."""
    return current_store().increment(key, int(val), epoch_seconds)


def reset_counter(key: str) -> None:
    current_store().put(key, "counter", 0, None)


def set_key_expiration(key: str, epoch_seconds: int) -> None:
    current_store().expire_at(key, int(epoch_seconds))


def get_string_set(key: str, force_ttl_check: bool = False) -> set[str]:
    item = current_store().get(key) or {}
    return set(item.get("strings", set()))


def put_string_set(key: str, val: Iterable[str], epoch_seconds: int | None = None) -> None:
    current_store().put(key, "strings", set(_strings(val)), epoch_seconds)


def add_to_string_set(key: str, val: Any, epoch_seconds: int | None = None) -> set[str]:
    """Add one string or several; returns the whole set afterwards."""
    return current_store().add_strings(key, _strings(val), epoch_seconds)


def remove_from_string_set(key: str, val: Any) -> set[str]:
    return current_store().remove_strings(key, _strings(val))


def reset_string_set(key: str) -> None:
    current_store().put(key, "strings", set(), None)


def get_dictionary(key: str, force_ttl_check: bool = False) -> dict:
    item = current_store().get(key) or {}
    return dict(item.get("dictionary", {}))


def put_dictionary(key: str, val: dict, epoch_seconds: int | None = None) -> None:
    current_store().put(key, "dictionary", dict(val), epoch_seconds)


def ttl_expired(epoch_seconds: int | None) -> bool:
    """True when an expiry time has passed."""
    return epoch_seconds is not None and int(epoch_seconds) <= time.time()
