"""Poll an S3 prefix for new CloudTrail objects, for accounts without notifications.

Every ``poll_interval`` the source lists only the date folders of the last
``lookback_days`` days (CloudTrail writes ``.../CloudTrail/<region>/YYYY/MM/DD/``),
never the whole bucket, and emits each object whose (key, ETag) it has not seen:
a new object, or a replaced one. Memory and the checkpoint hold only those recent
days' keys, so a bucket with millions of old keys costs nothing.

What survives a restart: the (key, ETag) pairs whose objects are committed are
saved to a small JSON checkpoint (``<checkpoint_dir>/s3-poll-<hash>.json``, local
or ``s3://``) by the bundle finalizer, i.e. after everything fused downstream on
the local runner, after the checkpoint on Flink. A crash before that re-emits
those objects on restart; they produce the same row ids and alert ids. The
DirectRunner itself keeps nothing between runs; the file is the whole state.

Like the SQS source this is an unbounded splittable DoFn that sets its own
watermark (``transforms.live_polling``) and checkpoints after every call.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import threading
import time
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta, timezone

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.io.watermark_estimators import ManualWatermarkEstimator
from apache_beam.metrics import Metrics
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.utils.timestamp import Duration, Timestamp

from transforms.live_polling import ENDLESS, PollRounds, Seed, held_watermark, seconds_of, should_stop
from transforms.objects import ObjectRef, find_objects, key_date, skip_reason
from transforms.storage import ListedObject, list_pages
from transforms.timeutil import TimeRange

_LOG = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class S3PollConfig:
    root_url: str  # s3://bucket/prefix
    poll_interval_seconds: float = 300.0
    lookback_days: int = 1
    checkpoint_dir: str | None = None
    watermark_allowance: timedelta = timedelta(minutes=15)
    stop_when_idle_seconds: float | None = None


def recent_range(today: date, lookback_days: int) -> TimeRange:
    """The delivery days a poll lists: today and the `lookback_days` before it."""
    return TimeRange(start=datetime.combine(today - timedelta(days=lookback_days), datetime.min.time(), timezone.utc))


class SeenObjects:
    """(key -> ETag) of recent objects already emitted; forgets days past the lookback."""

    def __init__(self, etags: dict[str, str] | None = None) -> None:
        self._etags = dict(etags or {})

    def unseen(self, listing: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        """The (key, etag) pairs that are new or whose object was replaced."""
        return [(key, etag) for key, etag in listing if self._etags.get(key) != etag]

    def remember(self, pairs: Iterable[tuple[str, str]]) -> None:
        self._etags.update(pairs)

    def forget_before(self, oldest_day: date) -> None:
        self._etags = {k: e for k, e in self._etags.items() if (key_date(k) or oldest_day) >= oldest_day}

    def to_json(self) -> str:
        return json.dumps(self._etags, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "SeenObjects":
        return cls(json.loads(text))

    def __len__(self) -> int:
        return len(self._etags)


def checkpoint_path(checkpoint_dir: str, root_url: str) -> str:
    digest = hashlib.sha256(root_url.encode()).hexdigest()[:16]
    return FileSystems.join(checkpoint_dir, f"s3-poll-{digest}.json")


def load_checkpoint(path: str) -> SeenObjects:
    if not FileSystems.exists(path):
        return SeenObjects()
    with FileSystems.open(path, compression_type="uncompressed") as handle:
        return SeenObjects.from_json(handle.read().decode())


def save_checkpoint(path: str, seen: SeenObjects) -> None:
    """Write then rename, so a crash mid-write leaves the previous checkpoint whole."""
    partial = path + ".partial"
    with FileSystems.create(partial, compression_type="uncompressed") as handle:
        handle.write(seen.to_json().encode())
    FileSystems.rename([partial], [path])


class _PollS3(beam.DoFn):
    """One listing of the recent date folders per poll interval."""

    def __init__(self, config: S3PollConfig, options: PipelineOptions) -> None:
        self._config = config
        self._options = options

    def setup(self) -> None:
        self._lock = threading.Lock()
        self._checkpoint = (
            checkpoint_path(self._config.checkpoint_dir, self._config.root_url) if self._config.checkpoint_dir else None
        )
        self._committed = load_checkpoint(self._checkpoint) if self._checkpoint else SeenObjects()
        self._emitted = SeenObjects(json.loads(self._committed.to_json()))
        self._next_poll_at = 0.0
        self._last_new_object_at = time.time()
        self._listed = Metrics.counter("iota.s3poll", "objects_listed")
        self._new = Metrics.counter("iota.s3poll", "objects")
        self._polls = Metrics.counter("iota.s3poll", "polls")
        self._tracked = Metrics.gauge("iota.s3poll", "keys_tracked")

    @beam.DoFn.unbounded_per_element()
    def process(
        self,
        root_url: str,
        finalizer=beam.DoFn.BundleFinalizerParam,
        tracker=beam.DoFn.RestrictionParam(PollRounds()),
        watermark=beam.DoFn.WatermarkEstimatorParam(ManualWatermarkEstimator.default_provider()),
    ) -> Iterator:
        poll = tracker.current_restriction().start
        if self._should_stop():
            tracker.try_claim(ENDLESS - 1)
            return
        wait = self._next_poll_at - time.time()
        if wait > 0:
            # The local runner ignores defer_remainder's delay; a short nap keeps it from spinning.
            time.sleep(min(wait, 1.0))
            tracker.defer_remainder(Duration(seconds=max(0.0, self._next_poll_at - time.time())))
            return
        if not tracker.try_claim(poll):
            return
        self._next_poll_at = time.time() + self._config.poll_interval_seconds
        fresh = self._poll_once()
        now = time.time()
        floor = seconds_of(watermark.current_watermark())
        for listed in fresh:
            self._new.inc()
            yield beam.window.TimestampedValue(ObjectRef(listed.url, listed.size, listed.etag), max(listed.modified, floor))
        if fresh:
            self._last_new_object_at = now
            pairs = [(self._key(listed.url), listed.etag) for listed in fresh]
            finalizer.register(lambda pairs=pairs: self._commit(pairs))
        mark = held_watermark(now, None, self._config.watermark_allowance)
        if mark > seconds_of(watermark.current_watermark()):
            watermark.set_watermark(Timestamp.of(mark))
        tracker.defer_remainder(Duration(seconds=self._config.poll_interval_seconds))

    def _key(self, url: str) -> str:
        """The object's key in the bucket: what the checkpoint remembers."""
        return url.split("/", 3)[3]

    def _poll_once(self) -> list[ListedObject]:
        """The objects of the recent days not emitted before, in key order."""
        self._polls.inc()
        today = datetime.now(timezone.utc).date()
        listing = {}
        for listed in find_objects(self._config.root_url, recent_range(today, self._config.lookback_days), today,
                                   lambda folder, recursive: list_pages(folder, self._options, recursive)):
            if not skip_reason(listed.url, listed.size, TimeRange()):
                listing[self._key(listed.url)] = listed
        self._listed.inc(len(listing))
        with self._lock:
            unseen = self._emitted.unseen((key, listed.etag) for key, listed in listing.items())
            self._emitted.remember(unseen)
            self._emitted.forget_before(today - timedelta(days=self._config.lookback_days))
            self._tracked.set(len(self._emitted))
        return [listing[key] for key, _ in sorted(unseen)]

    def _commit(self, pairs: list[tuple[str, str]]) -> None:
        with self._lock:
            self._committed.remember(pairs)
            today = datetime.now(timezone.utc).date()
            self._committed.forget_before(today - timedelta(days=self._config.lookback_days))
            if not self._checkpoint:
                return
            try:
                save_checkpoint(self._checkpoint, self._committed)
            except Exception:  # the next commit saves again; a restart before it only re-reads objects
                _LOG.exception("S3 poll checkpoint %s not saved", self._checkpoint)

    def _should_stop(self) -> bool:
        return should_stop(time.time() - self._last_new_object_at, self._config.stop_when_idle_seconds)


class PollS3Prefix(beam.PTransform):
    """S3 prefix, listed every poll interval -> ObjectRefs of new or replaced objects."""

    def __init__(self, config: S3PollConfig) -> None:
        super().__init__()
        self._config = config

    def expand(self, pbegin):
        poll = _PollS3(self._config, pbegin.pipeline.options)
        return pbegin | "Prefix" >> Seed(self._config.root_url) | "Poll" >> beam.ParDo(poll)
