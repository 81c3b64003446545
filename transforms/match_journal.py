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
by (dedup key, row id) when their object is redelivered. What a restart can repeat,
always under the same ``alert_id`` and count: an alert or update whose line was
written just before the kill but whose "sent" entry was not.

A match inside a window already journaled is written slim (time, row id, unique
value); files whose windows all ended more than ``retention`` (default 2 hours)
ago are deleted as the run goes, and the journal is compacted on every start.
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

from transforms.dedup import AlertWindows, alert_id_of
from transforms.timeutil import parse_event_time

DEFAULT_RETENTION = timedelta(hours=2)
_PRUNE_EVERY_SECONDS = 600
_MICROS = 1_000_000
_ALWAYS = 2**62  # expiry of the compacted file: pruned only by the next compaction


class Recovery(NamedTuple):
    """What a restart resumes from."""

    windows: dict  # dedup key -> AlertWindows state
    counted: frozenset  # (dedup key, p_row_id) of the matches inside those windows
    entries: list  # the journal entries still needed, in arrival order


def match_entry(key: str, ref: tuple, whole: bool) -> dict:
    """One match (a dedup `match_ref`); `whole` keeps its document, which only a match
    that may open a window needs (the window's alert shows it)."""
    moment, row_id, unique, payload = ref
    entry = {"entry": "match", "key": key, "t": moment, "r": row_id, "u": unique}
    if whole:
        entry["p"] = payload.decode()
    return entry


def sent_entry(document: dict) -> dict:
    return {"entry": "sent", "alert_id": document["alert_id"], "count": document["count"]}


def _refs(entries: Iterable[dict]) -> Iterator[tuple[str, tuple, dict]]:
    """(key, match ref, entry) per match entry; a slim entry borrows its key's last document."""
    last_document: dict[str, bytes] = {}
    for entry in entries:
        if entry["entry"] != "match":
            continue
        if "p" in entry:
            last_document[entry["key"]] = entry["p"].encode()
        if entry["key"] in last_document:
            yield entry["key"], (entry["t"], entry["r"], entry["u"], last_document[entry["key"]]), entry


def recover(entries: Iterable[dict], now_micros: int, retention: timedelta = DEFAULT_RETENTION) -> Recovery:
    """Dedup windows rebuilt from journal entries given in arrival order.

    Windows that ended more than `retention` ago are forgotten: a match arriving later
    than that opens a new window instead of reopening the old one.
    """
    entries = list(entries)
    sent: dict[str, int] = {}
    for entry in entries:
        if entry["entry"] == "sent":
            sent[entry["alert_id"]] = max(sent.get(entry["alert_id"], 0), entry["count"])
    by_key: dict[str, list[tuple[tuple, dict]]] = defaultdict(list)
    seen: set[tuple[str, str]] = set()
    for key, ref, entry in _refs(entries):
        if (key, ref[1]) not in seen:
            seen.add((key, ref[1]))
            by_key[key].append((ref, entry))

    oldest_kept_end = now_micros - int(retention.total_seconds() * _MICROS)
    windows: dict[str, dict] = {}
    counted: set[tuple[str, str]] = set()
    kept: list[dict] = []
    for key, matches in by_key.items():
        decision = AlertWindows()
        for ref, _ in matches:
            decision.observe(ref)
        live = [w for w in (decision.closed, decision.current) if w is not None]
        if max(w["end"] for w in live) < oldest_kept_end:
            continue
        for window in live:
            window["alerted_count"] = sent.get(alert_id_of(window), 0)
        windows[key] = decision.state()
        start = min(w["start"] for w in live)
        needed = [(ref, entry) for ref, entry in matches if ref[0] >= start]
        counted.update((key, ref[1]) for ref, _ in needed)
        kept += [entry for _, entry in needed]
        kept += [{"entry": "sent", "alert_id": alert_id_of(w), "count": sent[alert_id_of(w)]}
                 for w in live if alert_id_of(w) in sent]
    return Recovery(windows, frozenset(counted), kept)


@dataclass(frozen=True)
class DedupJournal:
    """Where the journal lives, how long it remembers a window, and what the last run left."""

    directory: str
    retention: timedelta = DEFAULT_RETENTION
    recovery: Recovery = field(default_factory=lambda: Recovery({}, frozenset(), []))

    @classmethod
    def open(cls, directory: str, retention: timedelta = DEFAULT_RETENTION) -> "DedupJournal":
        """Read and compact the journal: one file of what is still needed replaces the rest."""
        paths = _journal_files(directory)
        entries = [orjson.loads(line) for path in paths for line in _read(path).splitlines() if line]
        recovery = recover(entries, int(time.time() * _MICROS), retention)
        if paths:
            _write(directory, "recovered", recovery.entries, _ALWAYS)
            FileSystems.delete(paths)
        return cls(directory, retention, recovery)


def _journal_files(directory: str) -> list[str]:
    return sorted(m.path for m in FileSystems.match([FileSystems.join(directory, "*.jsonl")])[0].metadata_list)


def _read(path: str) -> bytes:
    with FileSystems.open(path, compression_type="uncompressed") as handle:
        return handle.read()


def _write(directory: str, kind: str, entries: list[dict], expires_micros: int) -> None:
    """One file per call, written whole or not at all, named `<written ns>-<kind>-<expiry>-<id>.jsonl`
    so that sorting by name is arrival order and stale files are known without reading them."""
    if not entries:
        return
    name = f"{time.time_ns():020d}-{kind}-{expires_micros:019d}-{uuid.uuid4().hex[:8]}.jsonl"
    path = FileSystems.join(directory, name)
    with FileSystems.create(path + ".partial", compression_type="uncompressed") as handle:
        handle.write(b"".join(orjson.dumps(entry, default=repr) + b"\n" for entry in entries))
    FileSystems.rename([path + ".partial"], [path])  # a kill mid-write leaves no half file behind


def prune(directory: str, now_micros: int, retention: timedelta) -> int:
    """Delete journal files all of whose windows ended more than `retention` ago."""
    cutoff = now_micros - int(retention.total_seconds() * _MICROS)
    stale = [path for path in _journal_files(directory) if int(path.rsplit("/", 1)[-1].split("-")[2]) < cutoff]
    if stale:
        FileSystems.delete(stale)
    return len(stale)


class _JournalMatchesFn(beam.DoFn):
    """Journals each new match, drops matches already counted, wakes recovered keys once.

    A match inside the window this key's last whole match opened is journaled slim
    (time, row id, unique value); any other may open a window and is kept whole.
    """

    def __init__(self, journal: DedupJournal):
        self._journal = journal
        self._repeated = Metrics.counter("dedup", "matches_already_counted")
        self._pruned = Metrics.counter("dedup", "journal_files_pruned")

    def setup(self):
        recovery = self._journal.recovery
        # Matches counted lately, in two generations of one retention each: enough to know a
        # redelivery (minutes later), bounded however long the run.
        self._counted, self._counted_before = set(recovery.counted), set()
        self._next_generation = time.monotonic() + self._journal.retention.total_seconds()
        self._to_wake = list(recovery.windows.items())
        self._open_windows = {key: (state["current"]["start"], state["current"]["end"])
                              for key, state in recovery.windows.items() if state["current"] is not None}
        self._next_prune = time.monotonic() + _PRUNE_EVERY_SECONDS

    def start_bundle(self):
        self._pending: list[dict] = []
        self._expires = 0

    def process(self, element) -> Iterator:
        key, refs = element
        if time.monotonic() >= self._next_generation:
            self._counted, self._counted_before = set(), self._counted
            self._next_generation = time.monotonic() + self._journal.retention.total_seconds()
            ended = int(time.time() * _MICROS) - int(self._journal.retention.total_seconds() * _MICROS)
            self._open_windows = {k: w for k, w in self._open_windows.items() if w[1] >= ended}
        fresh = []
        for ref in sorted(refs):
            if (key, ref[1]) in self._counted or (key, ref[1]) in self._counted_before:
                self._repeated.inc()
                continue
            self._counted.add((key, ref[1]))
            fresh.append(ref)
            window = self._open_windows.get(key)
            whole = window is None or not window[0] <= ref[0] < window[1]
            if whole:
                period = int(orjson.loads(ref[3])["dedup_period_minutes"]) * 60 * _MICROS
                self._open_windows[key] = window = (ref[0], ref[0] + period)
            self._pending.append(match_entry(key, ref, whole))
            self._expires = max(self._expires, window[1])
        if fresh:
            yield key, fresh

    def finish_bundle(self) -> Iterator[WindowedValue]:
        _write(self._journal.directory, "matches", self._pending, self._expires)
        if time.monotonic() >= self._next_prune:
            self._next_prune = time.monotonic() + _PRUNE_EVERY_SECONDS
            self._pruned.inc(prune(self._journal.directory, int(time.time() * _MICROS), self._journal.retention))
        for key, state in self._to_wake:
            start = min(w["start"] for w in (state["current"], state["closed"]) if w is not None)
            yield WindowedValue((key, None), Timestamp(micros=start), [GlobalWindow()])
        self._to_wake = []


class _JournalSentFn(beam.DoFn):
    def __init__(self, directory: str):
        self._directory = directory

    def start_bundle(self):
        self._pending: list[dict] = []
        self._expires = 0

    def process(self, document: dict) -> Iterator[dict]:
        self._pending.append(sent_entry(document))
        window_end = parse_event_time(document["window_end"])
        self._expires = max(self._expires, int(window_end.timestamp() * _MICROS))
        yield document

    def finish_bundle(self):
        _write(self._directory, "sent", self._pending, self._expires)


class JournalMatches(beam.PTransform):
    """(key, match refs) -> the same, journaled and without repeats; plus a (key, None) wake-up per recovered key."""

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

