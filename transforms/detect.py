"""Detect: run the Python rules over each batch of normalised events.

The rule engine (transforms.rules_engine) is the pure core; this stage only builds it once
per worker from the rule sources shipped inside the job, and turns its results into keyed,
event-timestamped matches for dedup and into dead letters for rule errors.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Iterator, Optional

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.typehints import Any, Tuple
from apache_beam.transforms.window import TimestampedValue
from apache_beam.utils.timestamp import Timestamp

from transforms.dead_letters import DEAD_LETTER_TAG, dead_letter
from transforms.dedup import dedup_key, match_ref
from transforms.match_spill import spill, spill_file
from transforms.normalize import EventBatch
from transforms.rules_engine import RuleBundle, RuleEngine, RuleError, RuleMatch
from transforms.storage import write_object
from transforms.timeutil import TimeRange, parse_event_time

_MATCH_FIELDS = (
    "rule_id", "title", "dedup", "severity", "dedup_period_minutes", "threshold", "unique",
    "alert_context", "description", "runbook", "reference", "destinations", "log_type",
)


def match_document(match: RuleMatch, record: dict) -> dict:
    """What dedup keeps of a match: the rule's outputs and the event that matched."""
    document = {field: getattr(match, field) for field in _MATCH_FIELDS}
    document["event"] = record
    return document


def rule_error_document(error: RuleError, record: dict) -> dict:
    return {
        "rule_id": error.rule_id,
        "function": error.function,
        "error_type": error.error_type,
        "message": error.message,
        "traceback": error.traceback,
        "p_row_id": record.get("p_row_id"),
        "eventName": record.get("eventName"),
        "eventTime": record.get("eventTime"),
    }


class _DetectFn(beam.DoFn):
    def __init__(self, bundle: RuleBundle, time_range: TimeRange, spill_folder: Optional[str], options: PipelineOptions):
        self._bundle = bundle
        self._time_range = time_range
        self._spill_folder = spill_folder
        self._options = options
        self._engine = None
        self._matches = Metrics.counter("rules", "matches")
        self._errors = Metrics.counter("rules", "errors")
        self._events = Metrics.counter("rules", "events_evaluated")
        self._out_of_range = Metrics.counter("events", "outside_time_range")

    def setup(self):
        self._engine = RuleEngine(self._bundle)

    def process(self, batch: EventBatch) -> Iterator:
        errors = []
        refs_by_key: dict[str, list[tuple]] = defaultdict(list)
        records = batch.records if self._time_range.unbounded else [
            record for record in batch.records if self._time_range.contains(parse_event_time(record["p_event_time"]))]
        self._out_of_range.inc(len(batch.records) - len(records))
        for record in records:
            result = self._engine.evaluate(record)
            for match in result.matches:
                document = match_document(match, record)
                refs_by_key[dedup_key(document)].append(match_ref(document))
            errors += [rule_error_document(error, record) for error in result.errors]
        self._events.inc(len(records))
        if refs_by_key and self._spill_folder is not None:
            url = spill_file(self._spill_folder, batch.source, batch.chunk)
            write_object(url, spill(refs_by_key, url), self._options)
        for key, refs in refs_by_key.items():
            self._matches.inc(len(refs))
            refs.sort()
            yield TimestampedValue((key, refs), Timestamp(micros=refs[0][0]))
        if errors:
            self._errors.inc(len(errors))
            summary = f"{len(errors)} rule error(s): " + ", ".join(sorted({e['rule_id'] for e in errors}))
            yield beam.pvalue.TaggedOutput(
                DEAD_LETTER_TAG, dead_letter("detect", batch.source, summary, len(batch.records), errors, part=batch.chunk)
            )


class Detect(beam.PTransform):
    """EventBatch -> (dedup key, its match refs in the batch) at the earliest match's event time.

    Threshold rules can match a large share of all events; one element per key and batch
    instead of one per match keeps the shuffle into dedup (and its state) small.
    With a spill folder (backfills), the match documents wait there and dedup receives
    their places instead (transforms.match_spill).
    Only events inside the run's time range are evaluated (the lake keeps every event of
    every object read, so re-runs over different ranges never rewrite an object's lake
    file with fewer rows). Rule errors -> dead letters.
    """

    def __init__(self, bundle: RuleBundle, time_range: TimeRange = TimeRange(), spill_folder: Optional[str] = None):
        super().__init__()
        self._bundle = bundle
        self._time_range = time_range
        self._spill_folder = spill_folder

    def expand(self, batches):
        # Matches are keyed by a str, so dedup's state gets a deterministic key coder.
        detect_fn = _DetectFn(self._bundle, self._time_range, self._spill_folder, batches.pipeline.options)
        detect = beam.ParDo(detect_fn).with_output_types(Tuple[str, Any])
        return batches | "Run rules" >> detect.with_outputs(DEAD_LETTER_TAG, main="matches")
