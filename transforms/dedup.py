"""Dedup: one alert per (rule, dedup string) per window, by event time.

The decision (pure, `AlertWindows`) for the matches of one key:
- a match when no window is open opens one: [its event time, + DedupPeriodMinutes);
- a match inside the open window counts toward it; a match at or after its end closes it
  and opens the next;
- the alert goes out as soon as the window has `Threshold` matches (or, when the rule has
  `unique()`, `Threshold` distinct unique values) — at once for the default threshold 1;
- when the window closes, an `update` with the final count and last-seen time goes out if
  the count grew after the alert;
- a late match that falls into the last closed window reopens it; it closes again (and
  sends a further update) at its next timer. Late matches are never dropped; a match that
  comes after its closed window was forgotten (two lateness allowances after its end, in
  live mode) opens a new window and alert.
`alert_id` is derived from rule id, dedup string and window start, so the same events give
the same ids in a backfill, a live run and a redelivery.

Two Beam shells feed matches to the same decision:
- batch (`_BatchDedupFn`): arrival order in a bounded run is arbitrary, so matches are kept
  in state and decided in event-time order when the end-of-input watermark fires the timer;
- streaming (`_StreamingDedupFn`): decides on arrival (alerts leave within seconds, not after
  the watermark hold) and closes windows with an event-time timer. The local runner fires
  timers early (DESIGN.md), so there a window is only closed once the wall clock says the
  watermark could really have passed its end (end + lateness allowance); otherwise the timer
  is set again. When a live run is asked to stop (transforms.live_stop), open windows close
  as the pipeline drains, so their updates are sent rather than lost with the state.
With matches arriving in event-time order both shells emit identical documents.
"""
from __future__ import annotations

import hashlib
import time
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable, Iterator, Optional

import apache_beam as beam
import orjson
from apache_beam.coders import PickleCoder
from apache_beam.metrics import Metrics
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.transforms.timeutil import TimeDomain
from apache_beam.transforms.userstate import BagStateSpec, ReadModifyWriteStateSpec, TimerSpec, on_timer
from apache_beam.utils.timestamp import Timestamp

from transforms import live_stop
from transforms.match_spill import Payload, SpillReader, inline
from transforms.timeutil import iso_utc, parse_event_time

MAX_TRACKED_UNIQUES = 10_000
DEFAULT_LATENESS_ALLOWANCE = timedelta(minutes=15)

_MATCH_FIELDS = (
    "rule_id", "title", "severity", "dedup", "log_type", "dedup_period_minutes", "threshold",
    "description", "runbook", "reference", "destinations", "alert_context",
)


def dedup_key(match: dict) -> str:
    """The key dedup state lives under: rule id and dedup string."""
    return f"{match['rule_id']}\x1f{match['dedup']}"


def match_ref(match: dict) -> tuple:
    """What dedup moves and keeps per match: (event time in µs, row id, unique value, JSON).

    Sort keys come first and the match document (rule outputs and event) travels as opaque
    JSON bytes: Threshold rules can match a large share of all events, and only the match
    that opens a window is ever read back.
    """
    event = match["event"]
    return (_micros(event["p_event_time"]), event["p_row_id"], match.get("unique"), orjson.dumps(match, default=repr))


def alert_id(rule_id: str, dedup: str, window_start: str) -> str:
    return hashlib.sha256(f"{rule_id}\x1f{dedup}\x1f{window_start}".encode()).hexdigest()[:32]


def alert_id_of(window: dict) -> str:
    """The alert id of an `AlertWindows` window."""
    first = orjson.loads(window["first"])
    return alert_id(first["rule_id"], first["dedup"], _iso(window["start"]))


def _micros(iso: str) -> int:
    moment = parse_event_time(iso)
    return int(moment.timestamp()) * 1_000_000 + moment.microsecond


def _iso(micros: int) -> str:
    return iso_utc(datetime.fromtimestamp(micros // 1_000_000, timezone.utc) + timedelta(microseconds=micros % 1_000_000))


class AlertWindows:
    """The dedup decision for one key; its state is a plain picklable dict.

    A match's document is read (`resolve`) only when the match opens a window: in a
    backfill it may still lie in a spill file (transforms.match_spill).
    """

    def __init__(self, state: Optional[dict] = None, resolve: Callable[[Payload], bytes] = inline):
        state = state or {}
        self.current: Optional[dict] = state.get("current")
        self.closed: Optional[dict] = state.get("closed")
        self._resolve = resolve

    def state(self) -> dict:
        return {"current": self.current, "closed": self.closed}

    def observe(self, ref: tuple) -> list[dict]:
        """Count one match (a `match_ref` tuple); returns the documents it causes."""
        moment, _, unique, payload = ref
        out: list[dict] = []
        if self.current is not None and moment >= self.current["end"]:
            out += self.close()
        if self.current is None and self.closed is not None and self.closed["start"] <= moment < self.closed["end"]:
            self.current, self.closed = self.closed, None
        if self.current is None:
            self.current = self._open(self._resolve(payload), moment, unique is not None)
        window = self.current
        window["count"] += 1
        window["first_time"] = min(window["first_time"], moment)
        window["last_time"] = max(window["last_time"], moment)
        if unique is not None and len(window["uniques"]) < MAX_TRACKED_UNIQUES:
            window["uniques"].add(unique)
        if not window["alerted_count"] and self._threshold_reached(window):
            window["alerted_count"] = window["count"]
            out.append(self._document("alert", window))
        return out

    def owed(self) -> list[dict]:
        """The alert the open window has earned but not sent (after recovering its state)."""
        window = self.current
        if window is None or window["alerted_count"] or not self._threshold_reached(window):
            return []
        window["alerted_count"] = window["count"]
        return [self._document("alert", window)]

    def close(self) -> list[dict]:
        """Close the open window; an update goes out if its count grew after the alert."""
        window = self.current
        if window is None:
            return []
        out = []
        if window["alerted_count"] and window["count"] > window["alerted_count"]:
            window["alerted_count"] = window["count"]
            out.append(self._document("update", window))
        self.closed, self.current = window, None
        return out

    @staticmethod
    def _open(payload: bytes, moment: int, uses_unique: bool) -> dict:
        first = orjson.loads(payload)
        period = int(first["dedup_period_minutes"]) * 60 * 1_000_000
        return {
            "start": moment, "end": moment + period, "count": 0, "uniques": set(),
            "uses_unique": uses_unique, "threshold": int(first["threshold"]), "alerted_count": 0,
            "first_time": moment, "last_time": moment, "first": payload,
        }

    @staticmethod
    def _threshold_reached(window: dict) -> bool:
        seen = len(window["uniques"]) if window["uses_unique"] else window["count"]
        return seen >= window["threshold"]

    @staticmethod
    def _document(kind: str, window: dict) -> dict:
        first = orjson.loads(window["first"])
        start = _iso(window["start"])
        document: dict[str, Any] = {"alert_id": alert_id(first["rule_id"], first["dedup"], start), "kind": kind}
        document.update({field: first.get(field) for field in _MATCH_FIELDS})
        document.update({
            "count": window["count"],
            "unique_count": len(window["uniques"]) if window["uses_unique"] else None,
            "first_event_time": _iso(window["first_time"]),
            "last_event_time": _iso(window["last_time"]),
            "window_start": start,
            "window_end": _iso(window["end"]),
            "event": first["event"],
        })
        return document


def decide_in_order(refs: Iterable[tuple], resolve: Callable[[Payload], bytes] = inline) -> list[dict]:
    """All documents for one key's matches (`match_ref` tuples), in event-time order, ties by row id."""
    windows = AlertWindows(resolve=resolve)
    out: list[dict] = []
    for ref in sorted(refs, key=lambda ref: (ref[0], ref[1])):
        out += windows.observe(ref)
    return out + windows.close()


class _BatchDedupFn(beam.DoFn):
    """Bounded input: keep the key's matches, decide them in order when input ends."""

    MATCHES = BagStateSpec("matches", PickleCoder())
    END_OF_INPUT = TimerSpec("end_of_input", TimeDomain.WATERMARK)

    def __init__(self, options: PipelineOptions):
        self._options = options
        self._read_document = None
        self._alerts = Metrics.counter("alerts", "alerts")
        self._updates = Metrics.counter("alerts", "updates")

    def setup(self):
        self._read_document = SpillReader(self._options)

    def process(self, element, timestamp=beam.DoFn.TimestampParam,
                matches=beam.DoFn.StateParam(MATCHES), end_of_input=beam.DoFn.TimerParam(END_OF_INPUT)):
        _, refs = element
        matches.add(refs)
        end_of_input.set(timestamp)

    @on_timer(END_OF_INPUT)
    def decide(self, matches=beam.DoFn.StateParam(MATCHES)) -> Iterator[dict]:
        documents = decide_in_order((ref for refs in matches.read() for ref in refs), self._read_document)
        matches.clear()
        for document in documents:
            (self._alerts if document["kind"] == "alert" else self._updates).inc()
            yield document


class _StreamingDedupFn(beam.DoFn):
    """Unbounded input: decide on arrival, close windows on (checked) event-time timers."""

    WINDOWS = ReadModifyWriteStateSpec("windows", PickleCoder())
    WINDOW_END = TimerSpec("window_end", TimeDomain.WATERMARK)

    def __init__(self, lateness_allowance: timedelta, recovered: Optional[dict] = None, timers_fire_early: bool = False):
        self._allowance_micros = int(lateness_allowance.total_seconds() * 1_000_000)
        self._recovered = recovered or {}
        self._timers_fire_early = timers_fire_early
        self._alerts = Metrics.counter("alerts", "alerts")
        self._updates = Metrics.counter("alerts", "updates")

    def process(self, element, windows_state=beam.DoFn.StateParam(WINDOWS),
                window_end=beam.DoFn.TimerParam(WINDOW_END)) -> Iterator[dict]:
        """Matches, or a wake-up (key, None) for a key whose state a restart recovered.

        A key's first element adopts its recovered state (transforms.match_journal), so a
        restarted live run carries on with the windows the killed one had open.
        """
        key, refs = element
        stored = windows_state.read()
        windows = AlertWindows(stored if stored is not None else self._recovered.get(key))
        if refs is None:
            documents = windows.owed()
        else:
            documents = [document for ref in sorted(refs) for document in windows.observe(ref)]
        windows_state.write(windows.state())
        if windows.current is not None:
            window_end.set(Timestamp(micros=windows.current["end"]))
        yield from self._count(documents)

    @on_timer(WINDOW_END)
    def on_window_end(self, windows_state=beam.DoFn.StateParam(WINDOWS),
                      window_end=beam.DoFn.TimerParam(WINDOW_END)) -> Iterator[dict]:
        """Close the open window, or forget the closed one, when the watermark has passed.

        On a true streaming runner (Flink) the timer fires when the watermark, held a
        lateness allowance behind the clock, passes the window's end. The local runner fires
        timers after every round (DESIGN.md), so there (`timers_fire_early`) the clock
        decides and the same event-time timer is set again until it does: a processing-time
        timer would make DirectRunner fall back to a runner without the live sources.
        """
        windows = AlertWindows(windows_state.read())
        if windows.current is None:
            if windows.closed is not None and not self._waits(self._forget_at(windows), window_end):
                # Forget the closed window's match and counts so a long live run's state stays
                # small; an empty state (not a cleared one) keeps a restart's recovered windows out.
                windows_state.write(AlertWindows().state())
            return
        if self._waits(windows.current["end"] + self._allowance_micros, window_end):
            return
        documents = windows.close()
        windows_state.write(windows.state())
        window_end.set(Timestamp(micros=self._forget_at(windows)))
        yield from self._count(documents)

    def _forget_at(self, windows: AlertWindows) -> int:
        """A closed window stays open to late matches for one more allowance."""
        return windows.closed["end"] + 2 * self._allowance_micros

    def _waits(self, due_micros: int, window_end) -> bool:
        """On the local runner, whether `due` is still ahead of the clock (then wait for it)."""
        if not self._timers_fire_early or live_stop.stop_requested() or time.time() * 1_000_000 >= due_micros:
            return False
        window_end.set(Timestamp(micros=due_micros))
        return True

    def _count(self, documents: list[dict]) -> Iterator[dict]:
        for document in documents:
            (self._alerts if document["kind"] == "alert" else self._updates).inc()
            yield document


class Dedup(beam.PTransform):
    """(dedup key, list of match refs) at event time -> alert and update documents."""

    def __init__(self, streaming: bool, lateness_allowance: timedelta = DEFAULT_LATENESS_ALLOWANCE,
                 recovered: Optional[dict] = None, timers_fire_early: bool = False):
        super().__init__()
        self._streaming = streaming
        self._allowance = lateness_allowance
        self._recovered = recovered
        self._timers_fire_early = timers_fire_early

    def expand(self, keyed_matches):
        decide = (_StreamingDedupFn(self._allowance, self._recovered, self._timers_fire_early)
                  if self._streaming else _BatchDedupFn(keyed_matches.pipeline.options))
        return keyed_matches | "Group repeats into alerts" >> beam.ParDo(decide)
