"""Dead letters: what could not be read, parsed or evaluated, kept whole and counted.

Every stage that can fail emits dead-letter records on a tagged side output instead of
raising; this module gives them one shape and writes them under `<lake>/_errors/<stage>/`
with a name derived from stage and source, so a re-run replaces its own files rather
than adding copies.
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from typing import Any, Iterator, Optional

import apache_beam as beam
import orjson
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics
from apache_beam.options.pipeline_options import PipelineOptions

from transforms.storage import write_object
from transforms.timeutil import iso_utc

DEAD_LETTER_TAG = "dead_letters"


def dead_letter(stage: str, source: str, error: str, size: Optional[int] = None, detail: Any = None, part: int = 0) -> dict:
    """One inspectable failure: which stage, which input (and part of it), what went wrong, the evidence."""
    return {
        "stage": stage,
        "source": source,
        "part": part,
        "error": error,
        "size": size,
        "detail": detail,
        "recorded_at": iso_utc(datetime.now(timezone.utc)),
    }


def dead_letter_path(lake: str, letter: dict) -> str:
    """Where a dead letter is written: stable for the same stage and source."""
    digest = hashlib.sha1(f"{letter['stage']}\n{letter['source']}\n{letter['part']}".encode()).hexdigest()[:24]
    return FileSystems.join(lake, "_errors", letter["stage"], f"{digest}.json")


def encode_dead_letter(letter: dict) -> bytes:
    """JSON, with anything that is not JSON-native (bytes, sets) rendered as text."""
    return orjson.dumps(letter, default=repr, option=orjson.OPT_INDENT_2)


class _WriteDeadLetterFn(beam.DoFn):
    def __init__(self, lake: str, options: PipelineOptions):
        self._lake = lake
        self._options = options
        self._written = Metrics.counter("dead_letters", "written")

    def process(self, letter: dict) -> Iterator[str]:
        path = dead_letter_path(self._lake, letter)
        write_object(path, encode_dead_letter(letter), self._options)
        self._written.inc()
        Metrics.counter("dead_letters", letter["stage"]).inc()
        yield path


class WriteDeadLetters(beam.PTransform):
    """dead-letter records -> one JSON file each under <lake>/_errors/<stage>/."""

    def __init__(self, lake: str):
        super().__init__()
        self._lake = lake

    def expand(self, letters):
        return letters | "Write" >> beam.ParDo(_WriteDeadLetterFn(self._lake, letters.pipeline.options))
