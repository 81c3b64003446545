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

import io
from collections import defaultdict
from functools import lru_cache
from typing import Any, Iterator, NamedTuple

import apache_beam as beam
import orjson
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics
from apache_beam.options.pipeline_options import PipelineOptions

from transforms.normalize import FREE_FORM, EventBatch, RecordTexts, record_texts
from transforms.objects import batch_file_stem
from transforms.storage import write_object

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


def shape_row(record: dict) -> dict[str, Any]:
    """One record as SCHEMA's cells, with whatever does not fit collected in p_unmapped."""
    shaper = _RowShaper(record)
    row: dict[str, Any] = {name: shaper.string(record, name, "") for name in _STRING_FIELDS}
    row.update({name: shaper.boolean(name) for name in _BOOL_FIELDS})
    row["userIdentity"] = shaper.user_identity()
    row["resources"] = shaper.resources()
    row["tlsDetails"] = shaper.nested(record, "tlsDetails", _TLS_STRINGS, "")
    row.update({name: _json(record.get(name)) for name in _JSON_FIELDS})
    row.update({name: record[name] for name in _P_STRINGS + _P_TIMES + _INDICATORS})
    row["p_unmapped"] = _json(shaper.unmapped) if shaper.unmapped else None
    return row


_IDENTITY_KEYS = frozenset(_IDENTITY_STRINGS + _IDENTITY_JSON + ("sessionContext",))
_CONTEXT_KEYS = frozenset(("attributes", "sessionIssuer", "webIdFederationData", "sourceIdentity", "ec2RoleDelivery", "assumedRoot"))
_ATTRIBUTE_KEYS = frozenset(("creationDate", "mfaAuthenticated"))
_ISSUER_KEYS = frozenset(_ISSUER_STRINGS)
_TLS_KEYS = frozenset(_TLS_STRINGS)
_RESOURCE_KEYS = frozenset(_RESOURCE_STRINGS)


def _object_within(value: Any, keys: frozenset) -> bool:
    return value is None or (type(value) is dict and value.keys() <= keys)


class _IdentityCell(NamedTuple):
    fits: bool  # every nested object has only keys the schema names
    cell: Any  # the userIdentity column's value when it fits: free-form members as JSON text


@lru_cache(maxsize=4096)
def _identity_cell(rendered: bytes) -> _IdentityCell:
    """userIdentity for Arrow, by its JSON: a trail repeats the same few sessions."""
    identity = orjson.loads(rendered)
    if type(identity) is not dict:
        return _IdentityCell(identity is None, None)
    context = identity.get("sessionContext")
    if not identity.keys() <= _IDENTITY_KEYS or context is not None and not (
        _object_within(context, _CONTEXT_KEYS)
        and _object_within(context.get("attributes"), _ATTRIBUTE_KEYS)
        and _object_within(context.get("sessionIssuer"), _ISSUER_KEYS)
    ):
        return _IdentityCell(False, None)
    for name in _IDENTITY_JSON:
        identity[name] = _json(identity.get(name))
    if context is not None:
        context["webIdFederationData"] = _json(context.get("webIdFederationData"))
    return _IdentityCell(True, identity)


def _others_fit(record: dict) -> bool:
    """Whether tlsDetails and resources have only keys the schema names (types are Arrow's to check)."""
    tls = record.get("tlsDetails")
    if tls is not None and not (type(tls) is dict and tls.keys() <= _TLS_KEYS):
        return False
    resources = record.get("resources")
    if resources is None:
        return True
    if type(resources) is not list:
        return False
    for item in resources:
        if type(item) is not dict or not item.keys() <= _RESOURCE_KEYS:
            return False
    return True


# The exact path's cells as one struct, the p_ times as text: Arrow converts a batch of row
# dicts in one call, looking up only the keys it names.
_ROW = pa.struct([pa.field(f.name, pa.string() if f.name in _P_TIMES else f.type) for f in SCHEMA])
# What the fast path converts straight from the records: all but the columns it builds itself.
_BUILT = frozenset(_JSON_FIELDS + ("userIdentity", "p_unmapped"))
_DIRECT = pa.struct([field for field in _ROW if field.name not in _BUILT])
_OTHER_JSON = tuple(name for name in _JSON_FIELDS if name not in FREE_FORM)


def _fast_table(records: list[dict], texts: list[RecordTexts]) -> pa.Table:
    """The table with type checks left to Arrow, reading each record as it is (no copy).

    The free-form sections come as normalise rendered them; userIdentity is converted once
    per distinct identity (known by its JSON) and repeated with `take`; p_unmapped keeps
    the record's key order, as the exact path does. A record with keys the schema does not
    name inside a nested object is shaped field by field instead, so a new AWS field slows
    only the records that carry it.
    """
    rows: list[dict] = []
    unmapped: list[str | None] = []
    identities: list[Any] = []
    identity_slots: dict[bytes, int] = {}
    positions: list[int] = []
    for record, text in zip(records, texts):
        identity_json = text[0]
        identity = _identity_cell(identity_json)
        if identity.fits and _others_fit(record):
            rows.append(record)
            unmapped.append(None if record.keys() <= _TOP_LEVEL else
                            _json({key: value for key, value in record.items() if key not in _TOP_LEVEL}))
            position = identity_slots.get(identity_json)
            if position is None:
                position = identity_slots[identity_json] = len(identities)
                identities.append(identity.cell)
        else:
            shaped = shape_row(record)
            rows.append(shaped)
            unmapped.append(shaped["p_unmapped"])
            position = len(identities)
            identities.append(shaped["userIdentity"])
        positions.append(position)

    columns = dict(zip(_DIRECT.names, pa.array(rows, type=_DIRECT).flatten()))
    columns["userIdentity"] = pa.array(identities, type=_USER_IDENTITY).take(pa.array(positions, type=pa.int32()))
    for index, name in enumerate(FREE_FORM, start=1):
        columns[name] = pa.array([text[index] for text in texts], type=pa.string())
    for name in _OTHER_JSON:
        columns[name] = pa.array([_json(record.get(name)) for record in records], type=pa.string())
    columns["p_unmapped"] = pa.array(unmapped, type=pa.string())
    for name in _P_TIMES:
        columns[name] = columns[name].cast(_TIMESTAMP)
    return pa.Table.from_arrays([columns[name] for name in SCHEMA.names], schema=SCHEMA)


def _table_from_cells(cells: list[dict]) -> pa.Table:
    rows = pa.array(cells, type=_ROW)
    arrays = [column.cast(_TIMESTAMP) if field.name in _P_TIMES else column for column, field in zip(rows.flatten(), SCHEMA)]
    return pa.Table.from_arrays(arrays, schema=SCHEMA)


def to_table(records: list[dict], texts: list[RecordTexts] | None = None) -> pa.Table:
    """A batch as an Arrow table in SCHEMA; a value of an unexpected type sends the batch
    down the exact path, where it lands in p_unmapped.

    `texts` are the records' renderings from normalise (rendered here when None).
    """
    if texts is None:
        texts = [record_texts(record) for record in records]
    try:
        return _fast_table(records, texts)
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        return _table_from_cells([shape_row(record) for record in records])


def partition_of(record: dict) -> str:
    """year=/month=/day=/hour= from p_event_time ("YYYY-MM-DDTHH...")."""
    moment = record["p_event_time"]
    return f"year={moment[0:4]}/month={moment[5:7]}/day={moment[8:10]}/hour={moment[11:13]}"


def by_partition(batch: EventBatch) -> dict[str, EventBatch]:
    """The batch split by partition, each part with its records' texts; most objects span one hour."""
    positions: dict[str, list[int]] = defaultdict(list)
    for index, record in enumerate(batch.records):
        positions[partition_of(record)].append(index)
    if len(positions) == 1:
        return {partition: batch for partition in positions}
    records, texts = batch.records, batch.texts
    return {
        partition: batch._replace(records=[records[index] for index in part],
                                  texts=None if texts is None else [texts[index] for index in part])
        for partition, part in positions.items()
    }


def lake_file_path(lake: str, partition: str, source: str, chunk: int) -> str:
    """Stable per (source object, chunk, partition): a re-run overwrites, never duplicates."""
    return FileSystems.join(lake, TABLE, partition, f"{batch_file_stem(source, chunk)}.parquet")


# Low-cardinality columns get dictionaries and the columns queries filter on get min/max
# statistics; the rest are written plain, which keeps the per-file cost of a few hundred
# rows down (measured: 6.7 -> 5.5 us/event for 200-row files).
_DICTIONARY_COLUMNS = ["eventVersion", "eventSource", "eventName", "awsRegion", "errorCode", "eventType",
                       "recipientAccountId", "eventCategory", "p_log_type", "p_source_file"]
_STATISTICS_COLUMNS = ["eventTime", "eventSource", "eventName", "awsRegion", "eventID", "recipientAccountId",
                       "p_event_time", "p_row_id"]


def parquet_bytes(table: pa.Table) -> bytes:
    """Snappy: what Athena, Spark and DuckDB read everywhere, at half zstd's CPU per event."""
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="snappy", use_dictionary=_DICTIONARY_COLUMNS,
                   write_statistics=_STATISTICS_COLUMNS)
    return sink.getvalue()


class _WriteLakeFn(beam.DoFn):
    def __init__(self, lake: str, options: PipelineOptions):
        self._lake = lake
        self._options = options
        self._files = Metrics.counter("lake", "files")
        self._rows = Metrics.counter("lake", "rows")

    def process(self, batch: EventBatch) -> Iterator[str]:
        for partition, part in by_partition(batch).items():
            path = lake_file_path(self._lake, partition, batch.source, batch.chunk)
            write_object(path, parquet_bytes(to_table(part.records, part.texts)), self._options)
            self._files.inc()
            self._rows.inc(len(part.records))
            yield path


class WriteLake(beam.PTransform):
    """EventBatch -> Parquet files under <lake>/aws_cloudtrail/year=/month=/day=/hour=/."""

    def __init__(self, lake: str):
        super().__init__()
        self._lake = lake

    def expand(self, batches):
        return batches | "Write Parquet" >> beam.ParDo(_WriteLakeFn(self._lake, batches.pipeline.options))
