"""Data lake: normalised events as hourly-partitioned Parquet, readable by DuckDB/Athena/pyarrow.

Layout: <lake>/aws_cloudtrail/year=YYYY/month=MM/day=DD/hour=HH/<object-digest>-<chunk>.parquet,
partitioned by event time. The file name derives from the source object and chunk, so
re-running a backfill (or an SQS redelivery) rewrites the same files instead of adding
copies: the lake never silently doubles.

Schema (stable, documented in docs/lake.md): CloudTrail's top-level scalars as typed
columns, `userIdentity`, `tlsDetails` and `resources` as structs, the free-form parts as
JSON strings, the p_ fields as columns. A value that does not fit its column's type, and
any field the schema does not name, is kept verbatim in `p_unmapped` (a JSON object), so
no field AWS wrote is ever lost.
"""
from __future__ import annotations

import hashlib
import io
from collections import defaultdict
from datetime import datetime
from typing import Any, Iterator

import apache_beam as beam
import orjson
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics

from transforms.normalize import EventBatch

TABLE = "aws_cloudtrail"

_STRING_FIELDS = (
    "eventVersion", "eventTime", "eventSource", "eventName", "awsRegion", "sourceIPAddress",
    "userAgent", "errorCode", "errorMessage", "requestID", "eventID", "eventType", "apiVersion",
    "recipientAccountId", "sharedEventID", "vpcEndpointId", "vpcEndpointAccountId",
    "eventCategory", "sessionCredentialFromConsole",
)
_BOOL_FIELDS = ("readOnly", "managementEvent")
_JSON_FIELDS = (
    "requestParameters", "responseElements", "additionalEventData", "serviceEventDetails",
    "addendum", "edgeDeviceDetails", "insightDetails",
)
_IDENTITY_STRINGS = (
    "type", "principalId", "arn", "accountId", "accessKeyId", "userName", "invokedBy",
    "identityProvider", "credentialId",
)
_IDENTITY_JSON = ("onBehalfOf", "inScopeOf")
_ISSUER_STRINGS = ("type", "principalId", "arn", "accountId", "userName")
_TLS_STRINGS = ("tlsVersion", "cipherSuite", "clientProvidedHostHeader")
_RESOURCE_STRINGS = ("ARN", "accountId", "type")
_INDICATORS = ("p_any_ip_addresses", "p_any_aws_account_ids", "p_any_aws_arns", "p_any_usernames")
_P_STRINGS = ("p_log_type", "p_row_id", "p_source_file")
_P_TIMES = ("p_event_time", "p_parse_time")

_TIMESTAMP = pa.timestamp("us", tz="UTC")
_SESSION_CONTEXT = pa.struct([
    ("attributes", pa.struct([("creationDate", pa.string()), ("mfaAuthenticated", pa.string())])),
    ("sessionIssuer", pa.struct([(name, pa.string()) for name in _ISSUER_STRINGS])),
    ("webIdFederationData", pa.string()),
    ("sourceIdentity", pa.string()),
    ("ec2RoleDelivery", pa.string()),
    ("assumedRoot", pa.string()),
])
_USER_IDENTITY = pa.struct(
    [(name, pa.string()) for name in _IDENTITY_STRINGS]
    + [("sessionContext", _SESSION_CONTEXT)]
    + [(name, pa.string()) for name in _IDENTITY_JSON]
)

SCHEMA = pa.schema(
    [(name, pa.string()) for name in _STRING_FIELDS]
    + [(name, pa.bool_()) for name in _BOOL_FIELDS]
    + [("userIdentity", _USER_IDENTITY)]
    + [("resources", pa.list_(pa.struct([(name, pa.string()) for name in _RESOURCE_STRINGS])))]
    + [("tlsDetails", pa.struct([(name, pa.string()) for name in _TLS_STRINGS]))]
    + [(name, pa.string()) for name in _JSON_FIELDS]
    + [(name, pa.string()) for name in _P_STRINGS]
    + [(name, _TIMESTAMP) for name in _P_TIMES]
    + [(name, pa.list_(pa.string())) for name in _INDICATORS]
    + [("p_unmapped", pa.string())]
)

_TOP_LEVEL = frozenset(SCHEMA.names) - {"p_unmapped"}


def _json(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


def _child(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


class _RowShaper:
    """Fits one record into SCHEMA, collecting whatever does not fit into p_unmapped.

    Unmapped entries are keyed by their dotted path (`userIdentity.sessionContext.x`),
    so the original value can be found again exactly where AWS put it.
    """

    def __init__(self, record: dict):
        self.record = record
        self.unmapped: dict[str, Any] = {key: value for key, value in record.items() if key not in _TOP_LEVEL}

    def string(self, container: dict, key: str, path: str) -> str | None:
        value = container.get(key)
        if value is None or type(value) is str:
            return value
        self.unmapped[_child(path, key)] = value
        return None

    def boolean(self, key: str) -> bool | None:
        value = self.record.get(key)
        if value is None or type(value) is bool:
            return value
        self.unmapped[key] = value
        return None

    def keep_unknown(self, container: dict, shaped: dict, path: str) -> None:
        for key, value in container.items():
            if key not in shaped:
                self.unmapped[_child(path, key)] = value

    def nested(self, container: dict, key: str, names: tuple[str, ...], path: str) -> dict | None:
        """A struct of strings; a value that is not an object goes to p_unmapped whole."""
        value = container.get(key)
        if value is None:
            return None
        if not isinstance(value, dict):
            self.unmapped[_child(path, key)] = value
            return None
        return self.fields(value, names, _child(path, key))

    def fields(self, value: dict, names: tuple[str, ...], path: str) -> dict:
        shaped = {name: self.string(value, name, path) for name in names}
        self.keep_unknown(value, shaped, path)
        return shaped

    def user_identity(self) -> dict | None:
        identity = self.record.get("userIdentity")
        if identity is None:
            return None
        if not isinstance(identity, dict):
            self.unmapped["userIdentity"] = identity
            return None
        path = "userIdentity"
        shaped: dict[str, Any] = {name: self.string(identity, name, path) for name in _IDENTITY_STRINGS}
        for name in _IDENTITY_JSON:
            shaped[name] = _json(identity.get(name))
        shaped["sessionContext"] = self.session_context(identity)
        self.keep_unknown(identity, shaped, path)
        return shaped

    def session_context(self, identity: dict) -> dict | None:
        context = identity.get("sessionContext")
        path = "userIdentity.sessionContext"
        if context is None:
            return None
        if not isinstance(context, dict):
            self.unmapped[path] = context
            return None
        shaped = {
            "attributes": self.nested(context, "attributes", ("creationDate", "mfaAuthenticated"), path),
            "sessionIssuer": self.nested(context, "sessionIssuer", _ISSUER_STRINGS, path),
            "webIdFederationData": _json(context.get("webIdFederationData")),
            "sourceIdentity": self.string(context, "sourceIdentity", path),
            "ec2RoleDelivery": self.string(context, "ec2RoleDelivery", path),
            "assumedRoot": self.string(context, "assumedRoot", path),
        }
        self.keep_unknown(context, shaped, path)
        return shaped

    def resources(self) -> list | None:
        value = self.record.get("resources")
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            self.unmapped["resources"] = value
            return None
        return [self.fields(item, _RESOURCE_STRINGS, f"resources[{index}]") for index, item in enumerate(value)]


def to_columns(records: list[dict]) -> dict[str, list]:
    """Column lists in SCHEMA order for a batch of normalised records."""
    columns: dict[str, list] = {name: [] for name in SCHEMA.names}
    for record in records:
        shaper = _RowShaper(record)
        for name in _STRING_FIELDS:
            columns[name].append(shaper.string(record, name, ""))
        for name in _BOOL_FIELDS:
            columns[name].append(shaper.boolean(name))
        columns["userIdentity"].append(shaper.user_identity())
        columns["resources"].append(shaper.resources())
        columns["tlsDetails"].append(shaper.nested(record, "tlsDetails", _TLS_STRINGS, ""))
        for name in _JSON_FIELDS:
            columns[name].append(_json(record.get(name)))
        for name in _P_STRINGS:
            columns[name].append(record[name])
        for name in _P_TIMES:
            columns[name].append(datetime.fromisoformat(record[name]))
        for name in _INDICATORS:
            columns[name].append(record[name])
        columns["p_unmapped"].append(_json(shaper.unmapped) if shaper.unmapped else None)
    return columns


def to_table(records: list[dict]) -> pa.Table:
    columns = to_columns(records)
    return pa.Table.from_arrays([pa.array(columns[f.name], type=f.type) for f in SCHEMA], schema=SCHEMA)


def partition_of(record: dict) -> str:
    """year=/month=/day=/hour= from p_event_time ("YYYY-MM-DDTHH...")."""
    moment = record["p_event_time"]
    return f"year={moment[0:4]}/month={moment[5:7]}/day={moment[8:10]}/hour={moment[11:13]}"


def by_partition(records: list[dict]) -> dict[str, list[dict]]:
    groups: dict[str, list[dict]] = defaultdict(list)
    for record in records:
        groups[partition_of(record)].append(record)
    return groups


def lake_file_path(lake: str, partition: str, source: str, chunk: int) -> str:
    """Stable per (source object, chunk, partition): a re-run overwrites, never duplicates."""
    digest = hashlib.sha1(source.encode()).hexdigest()[:24]
    return FileSystems.join(lake, TABLE, partition, f"{digest}-{chunk:04d}.parquet")


def parquet_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()


def write_file(path: str, payload: bytes) -> None:
    """One object per file: an S3 PUT is atomic; a local file appears whole via rename."""
    if "://" in path:
        with FileSystems.create(path) as handle:
            handle.write(payload)
        return
    staging = f"{path}.inprogress"
    with FileSystems.create(staging) as handle:
        handle.write(payload)
    FileSystems.rename([staging], [path])


class _WriteLakeFn(beam.DoFn):
    def __init__(self, lake: str):
        self._lake = lake
        self._files = Metrics.counter("lake", "files")
        self._rows = Metrics.counter("lake", "rows")

    def process(self, batch: EventBatch) -> Iterator[str]:
        for partition, records in by_partition(batch.records).items():
            path = lake_file_path(self._lake, partition, batch.source, batch.chunk)
            write_file(path, parquet_bytes(to_table(records)))
            self._files.inc()
            self._rows.inc(len(records))
            yield path


class WriteLake(beam.PTransform):
    """EventBatch -> Parquet files under <lake>/aws_cloudtrail/year=/month=/day=/hour=/."""

    def __init__(self, lake: str):
        super().__init__()
        self._lake = lake

    def expand(self, batches):
        return batches | "Write Parquet" >> beam.ParDo(_WriteLakeFn(self._lake))
