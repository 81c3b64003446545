"""Match spill: a backfill's match documents wait in storage, not in dedup's state.

Batch dedup decides a key's matches only when the input ends, so everything it keeps
stays in memory until then. Threshold rules match a large share of all events, and each
match document (rule outputs plus the whole event) is a couple of KiB, while dedup reads
back only the few that open a window. So detect writes each batch's match documents to one
JSON Lines file under `<lake>/_work/backfill-<time>-<id>/` and sends dedup a `SpilledMatch` (file,
offset, length) in their place; dedup reads back just the window openers. Once every alert
is out, the run's folder is removed. A run that dies leaves it behind, safe to delete.

Live mode decides on arrival and keeps only window openers, so it carries documents inline.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Iterator, NamedTuple, Union

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics
from apache_beam.options.pipeline_options import PipelineOptions

from transforms.objects import batch_file_stem
from transforms.storage import open_object, remove_tree


class SpilledMatch(NamedTuple):
    """Where one match document lies: a byte range of a spill file."""

    url: str
    offset: int
    length: int


Payload = Union[bytes, SpilledMatch]


def new_spill_folder(lake: str) -> str:
    """A folder of its own for one run, so concurrent backfills into one lake never meet."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return FileSystems.join(lake, "_work", f"backfill-{stamp}-{uuid.uuid4().hex[:8]}") + "/"


def spill_file(folder: str, source: str, chunk: int) -> str:
    """One file per batch, named for its source object and chunk: a retried bundle rewrites it."""
    return FileSystems.join(folder, f"{batch_file_stem(source, chunk)}.jsonl")


def spill(refs_by_key: dict[str, list[tuple]], url: str) -> bytes:
    """Swap each ref's document for its place in the file `url`; returns the file's bytes.

    Refs are `match_ref` tuples whose last item is the document's JSON; one line each.
    """
    lines: list[bytes] = []
    offset = 0
    for refs in refs_by_key.values():
        for index, (moment, row_id, unique, document) in enumerate(refs):
            refs[index] = (moment, row_id, unique, SpilledMatch(url, offset, len(document)))
            lines += (document, b"\n")
            offset += len(document) + 1
    return b"".join(lines)


def inline(payload: Payload) -> bytes:
    """The document carried in the ref itself (live mode, tests); a spilled one needs a SpillReader."""
    if not isinstance(payload, bytes):
        raise TypeError(f"match document was spilled to {payload.url}; read it with a SpillReader")
    return payload


class SpillReader:
    """Reads spilled documents back (and passes inline ones through), for dedup's window openers."""

    def __init__(self, options: PipelineOptions):
        self._options = options

    def __call__(self, payload: Payload) -> bytes:
        if isinstance(payload, bytes):
            return payload
        with open_object(payload.url, self._options) as stream:
            stream.seek(payload.offset)
            document = stream.read(payload.length)
        if len(document) != payload.length:
            raise IOError(f"spilled match at {payload.url}:{payload.offset} is cut short; was the run's _work folder removed?")
        return document


class _RemoveFolderFn(beam.DoFn):
    def __init__(self, folder: str, options: PipelineOptions):
        self._folder = folder
        self._options = options
        self._removed = Metrics.counter("matches", "spill_folders_removed")

    def process(self, _alerts_count: int) -> Iterator[str]:
        if remove_tree(self._folder, self._options):
            self._removed.inc()
        yield self._folder


class RemoveSpill(beam.PTransform):
    """alerts -> (once all are out) the run's spill folder removed."""

    def __init__(self, folder: str):
        super().__init__()
        self._folder = folder

    def expand(self, alerts):
        return (
            alerts
            | "Wait for the last alert" >> beam.combiners.Count.Globally()
            | "Remove the folder" >> beam.ParDo(_RemoveFolderFn(self._folder, alerts.pipeline.options))
        )
