"""SQS message bodies -> the S3 objects they announce (pure; no AWS calls).

A CloudTrail bucket can tell a queue about new log objects in several ways, and
one queue may even receive a mix of them:

* S3 event notification sent straight to SQS: ``{"Records": [{"eventSource":
  "aws:s3", "eventName": "ObjectCreated:Put", "s3": {...}}]}``;
* the same notification published to SNS and delivered to SQS, either wrapped in
  an SNS envelope (``{"Type": "Notification", "Message": "<the S3 JSON>"}``) or,
  with raw message delivery on, unwrapped (then it looks like the direct case);
* EventBridge "Object Created" events (``{"detail-type": "Object Created",
  "source": "aws.s3", "detail": {"bucket": ..., "object": ...}}``);
* CloudTrail's own SNS notification of a delivered log file
  (``{"s3Bucket": ..., "s3ObjectKey": [...]}``), which names keys but gives
  no size or ETag (size is then -1, "unknown");
* the ``s3:TestEvent`` S3 sends when a notification is configured, which
  carries no object and is acknowledged and ignored.

S3 notification keys are URL-encoded the way HTML forms are (a space becomes
``+``), so they are decoded with ``unquote_plus``. EventBridge keys are given as
the plain key, as AWS documents the EventBridge message structure.

Anything else (not JSON, an unknown shape, an S3 record without a bucket or key)
is a dead letter: the caller records it with the message id and body, deletes the
message so it does not come back forever, and counts it.
"""
from __future__ import annotations

import json
from typing import Any, NamedTuple
from urllib.parse import unquote_plus


UNKNOWN_SIZE = -1


class NotifiedObject(NamedTuple):
    """An S3 object a notification announced."""

    bucket: str
    key: str
    size: int
    etag: str

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


class DeadLetterMessage(NamedTuple):
    """A message no known shape explains, kept whole for inspection."""

    message_id: str
    body: str
    error: str


class MessageContents(NamedTuple):
    """What one SQS message means: objects to read, or why it carries none.

    ``ignored`` names a message that is understood but announces nothing to read
    (the S3 test event, a removal). ``dead_letter`` is set when the message was
    not understood; then ``objects`` is empty.
    """

    objects: tuple[NotifiedObject, ...] = ()
    ignored: str | None = None
    dead_letter: DeadLetterMessage | None = None


class UnknownShape(ValueError):
    """The body is JSON but none of the notification shapes AWS sends."""


def parse_message(message_id: str, body: str) -> MessageContents:
    """Explain one SQS message body; never raises on bad input."""
    try:
        document = json.loads(body)
        return _explain(document)
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        reason = f"{type(error).__name__}: {error}"
        return MessageContents(dead_letter=DeadLetterMessage(message_id, body, reason))


def _explain(document: Any) -> MessageContents:
    if not isinstance(document, dict):
        raise UnknownShape(f"expected a JSON object, got {type(document).__name__}")
    if document.get("Type") == "Notification" and "Message" in document:
        return _explain(json.loads(document["Message"]))
    if document.get("Event") == "s3:TestEvent":
        return MessageContents(ignored="s3:TestEvent")
    if "Records" in document:
        return _s3_notification(document["Records"])
    if document.get("source") == "aws.s3" and "detail-type" in document:
        return _eventbridge_event(document)
    if "s3Bucket" in document and "s3ObjectKey" in document:
        return _cloudtrail_delivery(document)
    raise UnknownShape(f"no known notification shape has the keys {sorted(document)[:8]}")


def _s3_notification(records: Any) -> MessageContents:
    if not isinstance(records, list) or not records:
        raise UnknownShape("'Records' must be a non-empty list")
    objects = []
    skipped = []
    for record in records:
        if record.get("eventSource") != "aws:s3":
            raise UnknownShape(f"record from {record.get('eventSource')!r}, not aws:s3")
        event_name = record.get("eventName", "")
        if not event_name.startswith("ObjectCreated:"):
            skipped.append(event_name)
            continue
        s3 = record["s3"]
        objects.append(
            NotifiedObject(
                bucket=_required(s3["bucket"], "name"),
                key=unquote_plus(_required(s3["object"], "key")),
                size=int(s3["object"].get("size", 0)),
                etag=str(s3["object"].get("eTag", "")),
            )
        )
    if objects:
        return MessageContents(objects=tuple(objects))
    return MessageContents(ignored=", ".join(sorted(set(skipped))))


def _eventbridge_event(event: dict) -> MessageContents:
    if event["detail-type"] != "Object Created":
        return MessageContents(ignored=event["detail-type"])
    detail = event["detail"]
    return MessageContents(
        objects=(
            NotifiedObject(
                bucket=_required(detail["bucket"], "name"),
                key=_required(detail["object"], "key"),
                size=int(detail["object"].get("size", 0)),
                etag=str(detail["object"].get("etag", "")),
            ),
        )
    )


def _cloudtrail_delivery(notice: dict) -> MessageContents:
    keys = notice["s3ObjectKey"]
    if not isinstance(keys, list) or not keys or not all(isinstance(k, str) and k for k in keys):
        raise UnknownShape("'s3ObjectKey' must be a non-empty list of keys")
    bucket = _required(notice, "s3Bucket")
    return MessageContents(objects=tuple(NotifiedObject(bucket, key, UNKNOWN_SIZE, "") for key in keys))


def _required(mapping: dict, field: str) -> str:
    value = mapping.get(field)
    if not isinstance(value, str) or not value:
        raise UnknownShape(f"missing or empty {field!r}")
    return value
