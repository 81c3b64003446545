"""The alert archive: every alert and update, one Avro file each, partitioned by event time in the lake.

`<lake>/alerts/year=YYYY/month=MM/day=DD/hour=HH/<alert_id>-<kind>-<count>.avro`,
the hour being that of the alert's first matching event: the same hive layout as
the event tables, so a query engine that reads the lake (Athena, Trino, Spark; in
Python, fastavro) finds alerts beside the events that raised them.

Why Avro and not Parquet: alerts trickle out one at a time, not in large batches, and
each is written the moment it exists. Avro is a row format that costs nothing extra
for a one-row file (Parquet pays column-chunk and footer overhead per file) and
keeps the whole nested alert as one record. It also keeps the archive out of the
event lake's `**/*.parquet` globs, whose schema it does not share.

Re-runs do not double the archive: the file name is the alert's identity (alert id,
kind, count) and the bytes are deterministic (fixed Avro sync marker derived from
that identity), so writing the same alert again replaces the file with an identical
one.
"""
from __future__ import annotations

import hashlib
import io
from typing import Any, Mapping

import fastavro
import orjson

from transforms.outputs.alert_fields import parse_time
from transforms.outputs.files import lake_path, safe_segment

ARCHIVE_TABLE = "alerts"
_TIMESTAMP = {"type": "long", "logicalType": "timestamp-micros"}
ALERT_SCHEMA = fastavro.parse_schema({
    "type": "record",
    "name": "Alert",
    "namespace": "iota",
    "doc": "An alert or dedup-window update as delivered; alert_context and event are JSON text.",
    "fields": [
        {"name": "alert_id", "type": "string"},
        {"name": "kind", "type": "string"},
        {"name": "rule_id", "type": "string"},
        {"name": "title", "type": "string"},
        {"name": "severity", "type": "string"},
        {"name": "dedup", "type": "string"},
        {"name": "log_type", "type": "string"},
        {"name": "count", "type": "long"},
        {"name": "unique_count", "type": ["null", "long"], "default": None},
        {"name": "first_event_time", "type": _TIMESTAMP},
        {"name": "last_event_time", "type": _TIMESTAMP},
        {"name": "window_start", "type": _TIMESTAMP},
        {"name": "window_end", "type": _TIMESTAMP},
        {"name": "dedup_period_minutes", "type": "int"},
        {"name": "threshold", "type": "int"},
        {"name": "description", "type": "string"},
        {"name": "runbook", "type": "string"},
        {"name": "reference", "type": "string"},
        {"name": "destinations", "type": ["null", {"type": "array", "items": "string"}], "default": None},
        {"name": "alert_context", "type": "string"},
        {"name": "event", "type": "string"},
    ],
})


def archive_path(lake: str, alert: Mapping[str, Any]) -> str:
    first = parse_time(alert["first_event_time"])
    partition = f"year={first:%Y}/month={first:%m}/day={first:%d}/hour={first:%H}"
    return lake_path(lake, ARCHIVE_TABLE, partition, f"{safe_segment(_identity(alert))}.avro")


def encode_alert(alert: Mapping[str, Any]) -> bytes:
    """One alert as a complete Avro object container file (deflate)."""
    record = {
        "alert_id": alert["alert_id"],
        "kind": alert["kind"],
        "rule_id": alert["rule_id"],
        "title": str(alert.get("title") or ""),
        "severity": alert["severity"],
        "dedup": str(alert.get("dedup") or ""),
        "log_type": str(alert.get("log_type") or ""),
        "count": int(alert["count"]),
        "unique_count": alert.get("unique_count"),
        "first_event_time": parse_time(alert["first_event_time"]),
        "last_event_time": parse_time(alert["last_event_time"]),
        "window_start": parse_time(alert["window_start"]),
        "window_end": parse_time(alert["window_end"]),
        "dedup_period_minutes": int(alert["dedup_period_minutes"]),
        "threshold": int(alert["threshold"]),
        "description": str(alert.get("description") or ""),
        "runbook": str(alert.get("runbook") or ""),
        "reference": str(alert.get("reference") or ""),
        "destinations": list(alert["destinations"]) if alert.get("destinations") else None,
        "alert_context": orjson.dumps(alert.get("alert_context") or {}, option=orjson.OPT_SORT_KEYS,
                                      default=str).decode(),
        "event": orjson.dumps(alert.get("event") or {}, option=orjson.OPT_SORT_KEYS, default=str).decode(),
    }
    buffer = io.BytesIO()
    sync_marker = hashlib.sha256(_identity(alert).encode()).digest()[:16]
    fastavro.writer(buffer, ALERT_SCHEMA, [record], codec="deflate", sync_marker=sync_marker)
    return buffer.getvalue()


def _identity(alert: Mapping[str, Any]) -> str:
    return f"{alert['alert_id']}-{alert['kind']}-{alert['count']}"
