"""Parse: turn an object's text into CloudTrail records, whatever envelope they came in.

Accepted shapes, all seen in practice:
- a CloudTrail log file, `{"Records": [ ... ]}` (what trails deliver to S3);
- an EventBridge event whose `detail` is the record (`detail-type` "AWS API Call via CloudTrail");
- a bare record, or a JSON array of records;
- JSON Lines, each line any of the above (exports, Firehose, CloudTrail Lake dumps).
A whole object that fits none of them is a `BadObject`; single bad items inside a good
object are returned beside the good records so nothing is dropped unseen.
"""
from __future__ import annotations

from typing import Any, Iterator, NamedTuple

import apache_beam as beam
import orjson
from apache_beam.metrics import Metrics

from transforms.dead_letters import DEAD_LETTER_TAG, dead_letter
from transforms.objects import ObjectRef

_MAX_EVIDENCE_CHARS = 2000


class BadObject(Exception):
    """The whole object is not CloudTrail in any accepted shape."""


class ParsedObject(NamedTuple):
    records: list[dict]
    rejected: list[dict]  # {"item": position, "error": why, "value": the evidence}


def _evidence(value: Any) -> Any:
    """Keep a rejected item inspectable without letting one huge value bloat the dead letter."""
    if isinstance(value, (bytes, bytearray)):
        value = value.decode("utf-8", "replace")
    if isinstance(value, str) and len(value) > _MAX_EVIDENCE_CHARS:
        return value[:_MAX_EVIDENCE_CHARS] + f"... [{len(value) - _MAX_EVIDENCE_CHARS} more characters]"
    return value


def _records_of(document: Any) -> list | None:
    """The records a decoded JSON document holds, or None when it is no accepted shape."""
    if isinstance(document, dict):
        records = document.get("Records")
        if isinstance(records, list):
            return records
        detail = document.get("detail")
        if "detail-type" in document and isinstance(detail, dict):
            return [detail]
        if "eventTime" in document and ("eventName" in document or "eventType" in document):
            return [document]
        return None
    if isinstance(document, list):
        return document
    return None


def _split_records(items: list, position: str, parsed: ParsedObject) -> None:
    for index, item in enumerate(items):
        if isinstance(item, dict):
            parsed.records.append(item)
        else:
            parsed.rejected.append({"item": f"{position}{index}", "error": "record is not a JSON object", "value": _evidence(item)})


def _describe_shape(document: Any) -> str:
    if isinstance(document, dict):
        keys = ", ".join(sorted(document)[:10])
        return f"a JSON object without Records, detail or eventTime (keys: {keys})"
    return f"a JSON {type(document).__name__}, not an object or array"


def parse_object(data: bytes) -> ParsedObject:
    """Records and rejected items from one object's plain bytes; raises BadObject."""
    if not data.strip():
        raise BadObject("object is empty")
    parsed = ParsedObject([], [])
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as whole_error:
        if b"\n" not in data.strip():
            raise BadObject(f"not JSON: {whole_error}") from whole_error
        _parse_lines(data, parsed)
        if not parsed.records:
            raise BadObject(f"not JSON or JSON Lines: {whole_error}") from whole_error
        return parsed
    records = _records_of(document)
    if records is None:
        raise BadObject(f"wrong shape: {_describe_shape(document)}")
    _split_records(records, "", parsed)
    return parsed


def _parse_lines(data: bytes, parsed: ParsedObject) -> None:
    for number, line in enumerate(data.split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            document = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            parsed.rejected.append({"item": f"line {number}", "error": f"not JSON: {exc}", "value": _evidence(line)})
            continue
        records = _records_of(document)
        if records is None:
            parsed.rejected.append({"item": f"line {number}", "error": f"wrong shape: {_describe_shape(document)}", "value": _evidence(line)})
            continue
        _split_records(records, f"line {number} record ", parsed)


class _ParseObjectFn(beam.DoFn):
    def __init__(self):
        self._parsed = Metrics.counter("objects", "parsed")
        self._failed = Metrics.counter("objects", "failed")
        self._rejected = Metrics.counter("events", "rejected")

    def process(self, element: tuple[ObjectRef, bytes]) -> Iterator:
        ref, data = element
        try:
            parsed = parse_object(data)
        except BadObject as exc:
            self._failed.inc()
            evidence = _evidence(bytes(data[:_MAX_EVIDENCE_CHARS]))
            yield beam.pvalue.TaggedOutput(DEAD_LETTER_TAG, dead_letter("parse", ref.url, str(exc), len(data), evidence))
            return
        self._parsed.inc()
        if parsed.rejected:
            self._rejected.inc(len(parsed.rejected))
            error = f"{len(parsed.rejected)} item(s) in the object are not CloudTrail records"
            yield beam.pvalue.TaggedOutput(DEAD_LETTER_TAG, dead_letter("parse_items", ref.url, error, len(data), parsed.rejected))
        yield ref, parsed.records


class ParseObjects(beam.PTransform):
    """(ref, bytes) -> (ref, records); objects or items of the wrong shape -> dead letters."""

    def expand(self, objects):
        return objects | "Parse JSON" >> beam.ParDo(_ParseObjectFn()).with_outputs(DEAD_LETTER_TAG, main="records")
