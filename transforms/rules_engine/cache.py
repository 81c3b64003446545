"""Key-value state rules keep between events: counters, string sets and small dictionaries.

Rules reach it through the `panther_detection_helpers.caching` helper module; the
store behind it is pluggable. In-memory (per process) is the default; DynamoDB is
the production store, chosen by setting `IOTA_RULE_CACHE_TABLE` (boto3 reads the
region, credentials and `AWS_ENDPOINT_URL_DYNAMODB` from the environment as usual).
Every item may carry an expiry (epoch seconds); expired items read as absent, even
before DynamoDB's TTL sweeper has removed them.
"""
from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from abc import ABC, abstractmethod
from typing import Any, Iterable, Iterator

from transforms.rules_engine.event import json_default

CACHE_TABLE_ENV = "IOTA_RULE_CACHE_TABLE"


class CacheStore(ABC):
    """One item per key: optional `counter` (int), `strings` (set), `dictionary` (dict) and expiry."""

    @abstractmethod
    def get(self, key: str) -> dict[str, Any] | None:
        """The live item as {"counter"?, "strings"?, "dictionary"?, "expires_at"?}, or None."""

    @abstractmethod
    def increment(self, key: str, amount: int, expires_at: int | None) -> int:
        """Add `amount` to the counter atomically (an expired counter restarts at 0); the new value."""

    @abstractmethod
    def put(self, key: str, attribute: str, value: Any, expires_at: int | None) -> None:
        """Replace one attribute ("counter", "strings" or "dictionary")."""

    @abstractmethod
    def add_strings(self, key: str, values: Iterable[str], expires_at: int | None) -> set[str]:
        """Add to the string set atomically (an expired set restarts empty); the new set."""

    @abstractmethod
    def remove_strings(self, key: str, values: Iterable[str]) -> set[str]:
        """Remove from the string set; the new set."""

    @abstractmethod
    def expire_at(self, key: str, expires_at: int) -> None:
        """Set the item's expiry."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Forget the item."""


def _live(item: dict | None, now: float) -> dict | None:
    if item is None:
        return None
    expires_at = item.get("expires_at")
    if expires_at is not None and expires_at <= now:
        return None
    return item


class InMemoryCacheStore(CacheStore):
    """A per-process store: right for tests, `iota test` and single-process runs."""

    def __init__(self) -> None:
        self._items: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def _item(self, key: str) -> dict[str, Any]:
        item = _live(self._items.get(key), time.time())
        if item is None:
            item = self._items[key] = {}
        return item

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            item = _live(self._items.get(key), time.time())
            if item is None:
                return None
            return {name: (set(v) if isinstance(v, set) else v) for name, v in item.items()}

    def increment(self, key: str, amount: int, expires_at: int | None) -> int:
        with self._lock:
            item = self._item(key)
            item["counter"] = item.get("counter", 0) + amount
            if expires_at is not None:
                item["expires_at"] = expires_at
            return item["counter"]

    def put(self, key: str, attribute: str, value: Any, expires_at: int | None) -> None:
        with self._lock:
            item = self._item(key)
            item[attribute] = value
            if expires_at is not None:
                item["expires_at"] = expires_at

    def add_strings(self, key: str, values: Iterable[str], expires_at: int | None) -> set[str]:
        with self._lock:
            item = self._item(key)
            strings = item.setdefault("strings", set())
            strings.update(values)
            if expires_at is not None:
                item["expires_at"] = expires_at
            return set(strings)

    def remove_strings(self, key: str, values: Iterable[str]) -> set[str]:
        with self._lock:
            item = self._item(key)
            strings = item.setdefault("strings", set())
            strings.difference_update(values)
            return set(strings)

    def expire_at(self, key: str, expires_at: int) -> None:
        with self._lock:
            if key in self._items:
                self._items[key]["expires_at"] = expires_at

    def delete(self, key: str) -> None:
        with self._lock:
            self._items.pop(key, None)


class DynamoDBCacheStore(CacheStore):
    """A shared store in a DynamoDB table with a string partition key `key` and TTL on `expiresAt`.

    Counters and string sets change with atomic UpdateItem ADD/DELETE, so many
    workers can count into the same key.
    """

    def __init__(self, table_name: str, client: Any = None):
        if client is None:
            import boto3

            client = boto3.client("dynamodb")
        self.table_name = table_name
        self._client = client

    @staticmethod
    def create_table(client: Any, table_name: str) -> None:
        """Create the table (on-demand) and turn TTL on; for setup scripts and tests."""
        client.create_table(
            TableName=table_name,
            KeySchema=[{"AttributeName": "key", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "key", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        client.get_waiter("table_exists").wait(TableName=table_name)
        client.update_time_to_live(
            TableName=table_name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expiresAt"}
        )

    def _key(self, key: str) -> dict:
        return {"key": {"S": key}}

    def get(self, key: str) -> dict[str, Any] | None:
        response = self._client.get_item(TableName=self.table_name, Key=self._key(key), ConsistentRead=True)
        raw = response.get("Item")
        if raw is None:
            return None
        item: dict[str, Any] = {}
        if "counter" in raw:
            item["counter"] = int(raw["counter"]["N"])
        if "strings" in raw:
            item["strings"] = set(raw["strings"]["SS"])
        if "dictionary" in raw:
            item["dictionary"] = json.loads(raw["dictionary"]["S"])
        if "expiresAt" in raw:
            item["expires_at"] = int(raw["expiresAt"]["N"])
        return _live(item, time.time())

    def increment(self, key: str, amount: int, expires_at: int | None) -> int:
        update, values = "ADD #c :amount", {":amount": {"N": str(amount)}}
        restart = {"counter": {"N": str(amount)}}
        if expires_at is not None:
            update += " SET expiresAt = :exp"
            values[":exp"] = restart["expiresAt"] = {"N": str(expires_at)}
        attributes = self._update_unless_expired(key, update, values, restart, {"#c": "counter"})
        return int(attributes["counter"]["N"])

    def _update_unless_expired(self, key: str, update: str, values: dict, restart: dict, names: dict) -> dict:
        """Apply `update` to a live item; an expired one is replaced by `restart` instead."""
        now = str(int(time.time()))
        try:
            return self._client.update_item(
                TableName=self.table_name,
                Key=self._key(key),
                UpdateExpression=update,
                ConditionExpression="attribute_not_exists(expiresAt) OR expiresAt > :now",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues={**values, ":now": {"N": now}},
                ReturnValues="ALL_NEW",
            )["Attributes"]
        except self._client.exceptions.ConditionalCheckFailedException:
            self._client.put_item(TableName=self.table_name, Item={**self._key(key), **restart})
            return restart

    def put(self, key: str, attribute: str, value: Any, expires_at: int | None) -> None:
        names = {"#a": attribute}
        values: dict[str, Any] = {}
        if attribute == "counter":
            values[":v"] = {"N": str(int(value))}
        elif attribute == "strings":
            if value:
                values[":v"] = {"SS": sorted(value)}
        else:
            values[":v"] = {"S": json.dumps(value, default=json_default)}
        update = "SET #a = :v" if values else "REMOVE #a"
        if expires_at is not None:
            update = f"{update}, expiresAt = :exp" if values else "SET expiresAt = :exp REMOVE #a"
            values[":exp"] = {"N": str(expires_at)}
        kwargs: dict[str, Any] = {"ExpressionAttributeNames": names}
        if values:
            kwargs["ExpressionAttributeValues"] = values
        self._client.update_item(TableName=self.table_name, Key=self._key(key), UpdateExpression=update, **kwargs)

    def add_strings(self, key: str, values: Iterable[str], expires_at: int | None) -> set[str]:
        new = sorted(set(values))
        if not new:
            item = self.get(key) or {}
            return set(item.get("strings", set()))
        update, expression_values = "ADD #s :v", {":v": {"SS": new}}
        restart: dict[str, Any] = {"strings": {"SS": new}}
        if expires_at is not None:
            update += " SET expiresAt = :exp"
            expression_values[":exp"] = restart["expiresAt"] = {"N": str(expires_at)}
        attributes = self._update_unless_expired(key, update, expression_values, restart, {"#s": "strings"})
        return set(attributes.get("strings", {}).get("SS", []))

    def remove_strings(self, key: str, values: Iterable[str]) -> set[str]:
        gone = sorted(set(values))
        if not gone:
            item = self.get(key) or {}
            return set(item.get("strings", set()))
        attributes = self._client.update_item(
            TableName=self.table_name,
            Key=self._key(key),
            UpdateExpression="DELETE #s :v",
            ExpressionAttributeNames={"#s": "strings"},
            ExpressionAttributeValues={":v": {"SS": gone}},
            ReturnValues="ALL_NEW",
        ).get("Attributes", {})
        return set(attributes.get("strings", {}).get("SS", []))

    def expire_at(self, key: str, expires_at: int) -> None:
        try:
            self._client.update_item(
                TableName=self.table_name,
                Key=self._key(key),
                UpdateExpression="SET expiresAt = :exp",
                ConditionExpression="attribute_exists(#k)",
                ExpressionAttributeNames={"#k": "key"},
                ExpressionAttributeValues={":exp": {"N": str(expires_at)}},
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return

    def delete(self, key: str) -> None:
        self._client.delete_item(TableName=self.table_name, Key=self._key(key))


_state = threading.local()
_default_store: CacheStore | None = None
_default_lock = threading.Lock()


def default_store() -> CacheStore:
    """The process-wide store: DynamoDB when IOTA_RULE_CACHE_TABLE is set, else in-memory."""
    global _default_store
    with _default_lock:
        if _default_store is None:
            table = os.environ.get(CACHE_TABLE_ENV)
            _default_store = DynamoDBCacheStore(table) if table else InMemoryCacheStore()
        return _default_store


def current_store() -> CacheStore:
    """The store rules use on this thread: one set by `using_store`, else the default."""
    store = getattr(_state, "store", None)
    return store if store is not None else default_store()


@contextlib.contextmanager
def using_store(store: CacheStore) -> Iterator[CacheStore]:
    """Route this thread's rule cache calls to `store` for the duration (e.g. one rule test)."""
    previous = getattr(_state, "store", None)
    _state.store = store
    try:
        yield store
    finally:
        _state.store = previous
