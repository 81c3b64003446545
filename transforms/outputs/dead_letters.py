"""Durable store for alerts an output could not deliver, so nothing is lost while Slack is down.

Layout: `<lake>/_undelivered/output=<output id>/<alert_id>-<kind>-<count>.json`, one
JSON record per (alert, output). The name is deterministic, so a redelivered bundle
or a failed replay overwrites its own record instead of adding a second one; the
replay removes a record only after its output accepted the alert.

A record holds the alert document, the output id, how many attempts were made, the
last error and the destination's answer (already scrubbed of secrets by the output),
and the Slack thread `ts` when the original message was posted, so a replayed update
still lands in its thread.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any, Mapping

import orjson

from transforms.outputs.delivery import DeliveryOutcome
from transforms.outputs.files import FileStore, lake_path, safe_segment

UNDELIVERED_FOLDER = "_undelivered"


@dataclass(frozen=True)
class UndeliveredAlert:
    output_id: str
    alert: Mapping[str, Any]
    attempts: int
    last_error: str
    status: int | None
    response_body: str | None
    thread_ref: str | None
    first_failed_at: str
    last_failed_at: str

    @classmethod
    def from_outcome(cls, outcome: DeliveryOutcome, alert: Mapping[str, Any], failed_at: str) -> "UndeliveredAlert":
        return cls(output_id=outcome.output_id, alert=alert, attempts=outcome.attempts,
                   last_error=outcome.error or "not delivered", status=outcome.status,
                   response_body=outcome.response_body, thread_ref=outcome.thread_ref,
                   first_failed_at=failed_at, last_failed_at=failed_at)

    def failed_again(self, outcome: DeliveryOutcome, failed_at: str) -> "UndeliveredAlert":
        return replace(self, attempts=self.attempts + outcome.attempts, last_error=outcome.error or "not delivered",
                       status=outcome.status, response_body=outcome.response_body,
                       thread_ref=outcome.thread_ref or self.thread_ref, last_failed_at=failed_at)

    def to_json(self) -> bytes:
        return orjson.dumps(asdict(self), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)

    @classmethod
    def from_json(cls, data: bytes) -> "UndeliveredAlert":
        return cls(**orjson.loads(data))


class DeadLetterStore:
    def __init__(self, lake: str, files: FileStore):
        self._root = lake_path(lake, UNDELIVERED_FOLDER)
        self._files = files

    def path_for(self, output_id: str, alert: Mapping[str, Any]) -> str:
        name = f"{alert.get('alert_id')}-{alert.get('kind')}-{alert.get('count')}"
        return f"{self._root}/output={safe_segment(output_id)}/{safe_segment(name)}.json"

    def put(self, record: UndeliveredAlert) -> str:
        path = self.path_for(record.output_id, record.alert)
        self._files.write(path, record.to_json())
        return path

    def paths(self, output_id: str | None = None) -> list[str]:
        folder = f"output={safe_segment(output_id)}" if output_id else "output=*"
        return self._files.glob(f"{self._root}/{folder}/*.json")

    def get(self, path: str) -> UndeliveredAlert:
        return UndeliveredAlert.from_json(self._files.read(path))

    def remove(self, path: str) -> None:
        self._files.delete(path)
