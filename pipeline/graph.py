"""The iota graph, assembled in one place.

    object refs -> read -> parse -> normalise -+-> lake (Parquet)
                                               +-> detect -> dedup -> alerts (JSON Lines) -+-> archive (<lake>/alerts/, Avro)
                                                                                           +-> outputs (Slack, webhook,
                                                                                               PagerDuty; only with --outputs)
    every stage's failures ----------------------------------> dead letters (<lake>/_errors/)

`analyse` builds everything downstream of the object refs, so the batch backfill and the
live sources feed one identical graph and give the same rows and alerts.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import NamedTuple, Optional

import apache_beam as beam
from apache_beam.pvalue import PCollection

from transforms.alerts_out import WriteAlertsJsonLines
from transforms.dead_letters import DEAD_LETTER_TAG, WriteDeadLetters
from transforms.dedup import DEFAULT_LATENESS_ALLOWANCE, Dedup
from transforms.deliver import ArchiveAlerts, DeliverAlerts
from transforms.detect import Detect
from transforms.lake import WriteLake
from transforms.match_journal import DedupJournal, JournalMatches, JournalSentAlerts
from transforms.match_spill import RemoveSpill, new_spill_folder
from transforms.normalize import Normalise
from transforms.objects import FindObjects
from transforms.outputs.routing import OutputsConfig
from transforms.parse import ParseObjects
from transforms.read import DEFAULT_MAX_OBJECT_BYTES, ReadObjects
from transforms.rules_engine import RuleBundle
from transforms.timeutil import TimeRange


@dataclass(frozen=True)
class GraphConfig:
    """Everything the graph needs; rule sources travel inside it to every worker."""

    lake: str
    rule_bundle: RuleBundle
    alerts_file: str
    streaming: bool = False
    time_range: TimeRange = TimeRange()
    max_object_bytes: int = DEFAULT_MAX_OBJECT_BYTES
    lateness_allowance: timedelta = DEFAULT_LATENESS_ALLOWANCE
    dedup_journal: Optional[DedupJournal] = None  # live mode on the local runner only
    timers_fire_early: bool = False  # the local runner fires event-time timers after every round
    outputs: Optional[OutputsConfig] = None


class GraphOutputs(NamedTuple):
    lake_files: PCollection
    alerts: PCollection
    dead_letter_files: tuple[PCollection, ...]


def analyse(object_refs: PCollection, config: GraphConfig, spill_folder: Optional[str] = None) -> GraphOutputs:
    """object refs -> lake files, alert documents and dead-letter files.

    A batch run passes a spill folder: match documents wait there until dedup has picked
    the window openers (transforms.match_spill), and the folder goes once alerts are out.
    """
    read = object_refs | "Read" >> ReadObjects(config.max_object_bytes)
    parsed = read.objects | "Parse" >> ParseObjects()
    events = parsed.records | "Normalise" >> Normalise()

    lake_files = events.events | "Lake" >> WriteLake(config.lake)

    detected = events.events | "Detect" >> Detect(config.rule_bundle, config.time_range, spill_folder)
    matches, journal = detected.matches, config.dedup_journal
    if journal is not None:
        matches = matches | "Journal matches" >> JournalMatches(journal)
    alerts = (
        matches
        | "Dedup" >> Dedup(config.streaming, config.lateness_allowance, journal.recovery.windows if journal else None,
                           config.timers_fire_early)
        | "Alerts" >> WriteAlertsJsonLines(config.alerts_file)
    )
    if journal is not None:
        alerts = alerts | "Journal sent alerts" >> JournalSentAlerts(journal.directory)
    _ = alerts | "Archive alerts" >> ArchiveAlerts(config.lake)
    if spill_folder is not None:
        _ = alerts | "Remove spilled matches" >> RemoveSpill(spill_folder)
    if config.outputs is not None:
        _ = alerts | "Deliver alerts" >> DeliverAlerts(config.outputs, config.lake)

    # One writer per stage rather than a Flatten: behind an unbounded source on the local
    # runner a Flatten is a stage boundary that never runs while the source is live.
    dead_letter_files = tuple(
        stage[DEAD_LETTER_TAG] | f"Dead letters ({name})" >> WriteDeadLetters(config.lake)
        for name, stage in (("read", read), ("parse", parsed), ("normalise", events), ("detect", detected))
    )
    return GraphOutputs(lake_files, alerts, dead_letter_files)


def build_backfill(pipeline: beam.Pipeline, input_locations: list[str], config: GraphConfig) -> GraphOutputs:
    """Batch: list the input prefixes or folders, then the shared graph."""
    refs = pipeline | "Find objects" >> FindObjects(input_locations, config.time_range)
    return analyse(refs, config, new_spill_folder(config.lake))
