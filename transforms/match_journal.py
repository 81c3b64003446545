"""A journal that lets dedup state survive a SIGKILL of a live run on the local runner.

On Flink, dedup state is part of the checkpoint that precedes every SQS delete. The
local runner keeps state in memory only, so a killed process forgets every open
window: its pending update would never be sent, and the next match would open a
second window (and a second alert id). So live mode on the local runner journals,
before the bundle finalizer deletes any message:

* every match entering dedup (``matches-*.jsonl``), and
* every alert or update document written (``sent-*.jsonl``),

under ``<lake>/_live/dedup-journal/``, one small file per bundle that had any.
On start, ``recover`` replays the matches, in arrival order, through the same
``AlertWindows`` decision dedup uses, then takes from the sent documents what was
really sent. Dedup adopts those windows (``Dedup(recovered=...)``), a wake-up
element per key sets their timers again, and matches already counted are dropped
by (rule id, row id) when their object is redelivered. What a restart can repeat,
always under the same ``alert_id``: an alert whose line was written just before the
kill but whose "sent" entry was not.

Windows that ended more than ``retention`` ago are forgotten and the journal is
compacted into one file on every start.
"""
from __future__ import annotations

import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Iterable, Iterator, NamedTuple

import apache_beam as beam
import orjson
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics
from apache_beam.transforms.window import GlobalWindow
from apache_beam.utils.timestamp import Timestamp
from apache_beam.utils.windowed_value import WindowedValue

from transforms.dedup import AlertWindows, alert_id_of, event_time_micros

DEFAULT_RETENTION = timedelta(days=1)


class Recovery(NamedTuple):
    """What a restart resumes from."""

    windows: dict  # dedup key -> AlertWindows state
    counted: frozenset  # (rule_id, p_row_id) of the matches inside those windows
    entries: list  # the journal entries still needed, in arrival order


def match_entry(key: str, match: dict) -> dict:
    return {"entry": "match", "key": key, "match": match}


def sent_entry(document: dict) -> dict:
    return {"entry": "sent", "alert_id": document["alert_id"], "count": document["count"]}


def counted_id(match: dict) -> tuple[str, str]:
    return match["rule_id"], match["event"]["p_row_id"]


def recover(entries: Iterable[dict], now_micros: int, retention: timedelta = DEFAULT_RETENTION) -> Recovery:
    """Dedup windows rebuilt from journal entries given in arrival order."""
    matches_by_key: dict[str, list[dict]] = defaultdict(list)
    sent: dict[str, int] = {}
    seen: set[tuple[str, str]] = set()
    for entry in entries:
        if entry["entry"] == "sent":
            sent[entry["alert_id"]] = max(sent.get(entry["alert_id"], 0), entry["count"])
        elif counted_id(entry["match"]) not in seen:
            seen.add(counted_id(entry["match"]))
            matches_by_key[entry["key"]].append(entry["match"])

    oldest_kept_end = now_micros - int(retention.total_seconds() * 1_000_000)
    windows: dict[str, dict] = {}
    counted: set[tuple[str, str]] = set()
    kept: list[dict] = []
    for key, matches in matches_by_key.items():
        decision = AlertWindows()
        for match in matches:
            decision.observe(match)
        live = [w for w in (decision.closed, decision.current) if w is not None]
        if max(w["end"] for w in live) < oldest_kept_end:
            continue
        for window in live:
            window["alerted_count"] = sent.get(alert_id_of(window), 0)
        windows[key] = decision.state()
        start = min(w["start"] for w in live)
        needed = [m for m in matches if event_time_micros(m) >= start]
        counted.update(counted_id(m) for m in needed)
        kept += [match_entry(key, m) for m in needed]
        kept += [{"entry": "sent", "alert_id": alert_id_of(w), "count": sent[alert_id_of(w)]}
                 for w in live if alert_id_of(w) in sent]
    return Recovery(windows, frozenset(counted), kept)


@dataclass(frozen=True)
class DedupJournal:
    """Where the journal lives and what the last run left in it."""

    directory: str
    recovery: Recovery = field(default_factory=lambda: Recovery({}, frozenset(), []))

    @classmethod
    def open(cls, directory: str, retention: timedelta = DEFAULT_RETENTION) -> "DedupJournal":
        """Read and compact the journal: one file of what is still needed replaces the rest."""
        paths = sorted(m.path for m in FileSystems.match([FileSystems.join(directory, "*.jsonl")])[0].metadata_list)
        entries = [orjson.loads(line) for path in paths for line in _read(path).splitlines() if line]
        recovery = recover(entries, int(time.time() * 1_000_000), retention)
        if paths:
            _write(directory, "recovered", recovery.entries)
            FileSystems.delete(paths)
        return cls(directory, recovery)


def _read(path: str) -> bytes:
    with FileSystems.open(path, compression_type="uncompressed") as handle:
        return handle.read()


def _write(directory: str, kind: str, entries: list[dict]) -> None:
    """One file per call, named so that sorting by name is arrival order, written whole or not at all."""
    if not entries:
        return
    path = FileSystems.join(directory, f"{time.time_ns():020d}-{kind}-{uuid.uuid4().hex[:8]}.jsonl")
    with FileSystems.create(path + ".partial", compression_type="uncompressed") as handle:
        handle.write(b"".join(orjson.dumps(entry, default=repr) + b"\n" for entry in entries))
    FileSystems.rename([path + ".partial"], [path])  # a kill mid-write leaves no half file behind


class _JournalMatchesFn(beam.DoFn):
    """Journals each new match, drops matches already counted, wakes recovered keys once."""

    def __init__(self, journal: DedupJournal):
        self._journal = journal
        self._repeated = Metrics.counter("dedup", "matches_already_counted")

    def setup(self):
        self._counted = set(self._journal.recovery.counted)
        self._to_wake = list(self._journal.recovery.windows.items())

    def start_bundle(self):
        self._pending: list[dict] = []

    def process(self, element) -> Iterator:
        key, match = element
        if counted_id(match) in self._counted:
            self._repeated.inc()
            return
        self._counted.add(counted_id(match))
        self._pending.append(match_entry(key, match))
        yield element

    def finish_bundle(self) -> Iterator[WindowedValue]:
        _write(self._journal.directory, "matches", self._pending)
        for key, state in self._to_wake:
            start = min(w["start"] for w in (state["current"], state["closed"]) if w is not None)
            yield WindowedValue((key, None), Timestamp(micros=start), [GlobalWindow()])
        self._to_wake = []


class _JournalSentFn(beam.DoFn):
    def __init__(self, directory: str):
        self._directory = directory

    def start_bundle(self):
        self._pending: list[dict] = []

    def process(self, document: dict) -> Iterator[dict]:
        self._pending.append(sent_entry(document))
        yield document

    def finish_bundle(self):
        _write(self._directory, "sent", self._pending)


class JournalMatches(beam.PTransform):
    """(key, match) -> the same, journaled and without repeats; plus one (key, None) wake-up per recovered key."""

    def __init__(self, journal: DedupJournal):
        super().__init__()
        self._journal = journal

    def expand(self, keyed_matches):
        return keyed_matches | "Journal and drop repeats" >> beam.ParDo(_JournalMatchesFn(self._journal))


class JournalSentAlerts(beam.PTransform):
    """alert documents -> the same, with what was sent journaled."""

    def __init__(self, directory: str):
        super().__init__()
        self._directory = directory

    def expand(self, alerts):
        return alerts | "Journal sent" >> beam.ParDo(_JournalSentFn(self._directory))


def journal_directory(lake: str) -> str:
    return FileSystems.join(lake, "_live", "dedup-journal")

