"""Alerts out: alert and update documents as JSON Lines, to a file or stdout.

Each document is written with a single append-mode write, so several worker processes
can share one file without interleaving lines. Delivery to Slack, webhooks and PagerDuty
is a separate stage (transforms.deliver); this one is the record every run keeps.
"""
from __future__ import annotations

import os
from typing import Iterator

import apache_beam as beam
import orjson
from apache_beam.metrics import Metrics

STDOUT = "-"


def encode_alert(document: dict) -> bytes:
    return orjson.dumps(document, default=repr) + b"\n"


def open_alerts_file(path: str) -> int:
    """A file descriptor that appends; stdout when the path is '-'."""
    if path == STDOUT:
        return 1
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    return os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)


def reset_alerts_file(path: str) -> None:
    """Start a run with an empty file, so it holds exactly that run's alerts."""
    if path != STDOUT:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "wb"):
            pass


class _AppendJsonLinesFn(beam.DoFn):
    def __init__(self, path: str):
        self._path = path
        self._fd = None
        self._written = Metrics.counter("alerts", "written_jsonl")

    def setup(self):
        self._fd = open_alerts_file(self._path)

    def process(self, document: dict) -> Iterator[dict]:
        os.write(self._fd, encode_alert(document))
        self._written.inc()
        yield document

    def teardown(self):
        if self._fd is not None and self._fd != 1:
            os.close(self._fd)


class WriteAlertsJsonLines(beam.PTransform):
    """alert documents -> appended JSON Lines; passes the documents on for delivery."""

    def __init__(self, path: str):
        super().__init__()
        self._path = path

    def expand(self, alerts):
        return alerts | "Append JSON Lines" >> beam.ParDo(_AppendJsonLinesFn(self._path))
