"""Read S3 object notifications from SQS as an unbounded stream of ObjectRefs.

Why a splittable DoFn and not a PeriodicImpulse-driven poller
------------------------------------------------------------
A poller hung off ``PeriodicImpulse`` gets its watermark from the impulse's
clock: it cannot hold the watermark behind processing time by CloudTrail's
delivery delay, nor hold it for messages still in flight, and it wakes on a
fixed period whether or not the queue has work. An unbounded splittable DoFn
owns all three: every call is one poll (a 20 s long poll, 10 messages per
receive, up to ``max_messages_per_poll``), it checkpoints itself after each
poll (``defer_remainder``), it sets its own watermark through a
``ManualWatermarkEstimator``, and it registers a bundle finalizer that deletes
exactly the messages of that poll. That is the shape of the Java
``SqsUnboundedReader``, the model DESIGN.md points to.

At-least-once
-------------
A message is deleted in the bundle finalizer of the bundle that received it,
never earlier. On Flink the finalizer runs after the checkpoint that covers
everything downstream. On the local runners (FnApiRunner, also behind the
portable runner's embedded job server) the finalizer runs when the source's
bundle ends; that bundle contains every stage fused with the source, and
stages behind a shuffle never run while an unbounded source is live at all
(measured on Beam 2.77). So live mode builds a graph without shuffles
(``pipeline.live`` checks it) and the finalizer then runs after the object
has been read, its lake files written, its matches passed through dedup and
its alerts written. A SIGKILL before the finalizer means SQS redelivers the
message after the visibility timeout; the redelivered object produces the same
row ids, lake file names and alert ids. Dedup state lost with the process is
rebuilt from the match journal (``transforms.match_journal``).

While a message is in flight (a large object still being processed, or a
Flink checkpoint not yet complete) a background thread extends its visibility.
SQS's own redrive policy moves a message that keeps failing to the dead-letter
queue; a message whose body is not understood is instead emitted as a dead
letter record (id and body) and deleted, so it does not loop.

Watermark
---------
CloudTrail delivers events up to about 15 minutes after they happen, so the
watermark is ``min(now, oldest in-flight message's sent time) - allowance``
(default 15 minutes): held behind processing time, held further by a backlog,
and advancing with the clock when the queue is idle.
"""
from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Iterable, Iterator
from datetime import timedelta
from urllib.parse import urlsplit

import apache_beam as beam
from apache_beam.io.watermark_estimators import ManualWatermarkEstimator
from apache_beam.metrics import Metrics
from apache_beam.utils.timestamp import Duration, Timestamp

from transforms import live_stop
from transforms.dead_letters import DEAD_LETTER_TAG, dead_letter
from transforms.live_polling import ENDLESS, PollRounds, Seed, held_watermark, seconds_of, should_stop
from transforms.objects import ObjectRef, skip_reason
from transforms.sqs_messages import parse_message
from transforms.timeutil import TimeRange

_LOG = logging.getLogger(__name__)
_RECEIVE_BATCH = 10  # the most SQS returns per ReceiveMessage call


@dataclasses.dataclass(frozen=True)
class SqsSourceConfig:
    queue_url: str
    wait_seconds: int = 20
    max_messages_per_poll: int = 100
    visibility_seconds: int = 120
    watermark_allowance: timedelta = timedelta(minutes=15)
    stop_when_idle_seconds: float | None = None


@dataclasses.dataclass
class _Pending:
    receipt_handle: str
    sent_at: float
    visible_again_at: float


class InFlightMessages:
    """Messages received and not yet deleted, shared with the extender thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_id: dict[str, _Pending] = {}

    def add(self, message_id: str, receipt_handle: str, sent_at: float, visible_again_at: float) -> None:
        with self._lock:
            self._by_id[message_id] = _Pending(receipt_handle, sent_at, visible_again_at)

    def remove(self, message_ids: Iterable[str]) -> None:
        with self._lock:
            for message_id in message_ids:
                self._by_id.pop(message_id, None)

    def due_for_extension(self, now: float, margin: float) -> dict[str, str]:
        """Message id -> receipt handle of messages that turn visible within ``margin``."""
        with self._lock:
            return {
                message_id: pending.receipt_handle
                for message_id, pending in self._by_id.items()
                if pending.visible_again_at - now <= margin
            }

    def extended(self, message_ids: Iterable[str], visible_again_at: float) -> None:
        with self._lock:
            for message_id in message_ids:
                if message_id in self._by_id:
                    self._by_id[message_id].visible_again_at = visible_again_at

    def oldest_sent_at(self) -> float | None:
        with self._lock:
            return min((p.sent_at for p in self._by_id.values()), default=None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._by_id)


def sqs_client(queue_url: str):
    """A boto3 SQS client for the queue; a non-AWS URL (moto, LocalStack) is its own endpoint."""
    import boto3

    parts = urlsplit(queue_url)
    host = parts.hostname or ""
    if host.endswith(".amazonaws.com") or host.endswith(".amazonaws.com.cn"):
        region = host.split(".")[1]
        return boto3.client("sqs", region_name=region)
    return boto3.client("sqs", endpoint_url=f"{parts.scheme}://{parts.netloc}")


class _Counters:
    """Beam metrics of the SQS source (namespace ``iota.sqs``)."""

    def __init__(self) -> None:
        ns = "iota.sqs"
        self.received = Metrics.counter(ns, "messages_received")
        self.deleted = Metrics.counter(ns, "messages_deleted")
        self.delete_failures = Metrics.counter(ns, "delete_failures")
        self.dead_lettered = Metrics.counter(ns, "messages_dead_lettered")
        self.ignored = Metrics.counter(ns, "messages_ignored")
        self.objects = Metrics.counter(ns, "objects")
        self.skipped = Metrics.counter(ns, "objects_skipped")
        self.extensions = Metrics.counter(ns, "visibility_extensions")
        self.oldest_age = Metrics.gauge(ns, "oldest_message_age_seconds")


class _OutOfBundleTally:
    """Counts made by the finalizer and the extender thread, where Beam metrics
    cannot be recorded; the next poll adds them to the counters."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.deleted = self.delete_failures = self.extensions = 0

    def add(self, deleted: int = 0, delete_failures: int = 0, extensions: int = 0) -> None:
        with self._lock:
            self.deleted += deleted
            self.delete_failures += delete_failures
            self.extensions += extensions

    def drain_into(self, counters: _Counters) -> None:
        with self._lock:
            counters.deleted.inc(self.deleted)
            counters.delete_failures.inc(self.delete_failures)
            counters.extensions.inc(self.extensions)
            self.deleted = self.delete_failures = self.extensions = 0


class _PollSqs(beam.DoFn):
    """One SQS poll per call; deletes that poll's messages when its bundle is finalized."""

    def __init__(self, config: SqsSourceConfig) -> None:
        self._config = config

    def setup(self) -> None:
        self._client = sqs_client(self._config.queue_url)
        self._in_flight = InFlightMessages()
        self._tally = _OutOfBundleTally()
        self._counters = _Counters()
        self._last_message_at = time.time()
        self._closing = threading.Event()
        self._extender = threading.Thread(target=self._extend_visibility, name="sqs-visibility", daemon=True)
        self._extender.start()

    def teardown(self) -> None:
        self._closing.set()

    @beam.DoFn.unbounded_per_element()
    def process(
        self,
        queue_url: str,
        finalizer=beam.DoFn.BundleFinalizerParam,
        tracker=beam.DoFn.RestrictionParam(PollRounds()),
        watermark=beam.DoFn.WatermarkEstimatorParam(ManualWatermarkEstimator.default_provider()),
    ) -> Iterator:
        self._tally.drain_into(self._counters)
        poll = tracker.current_restriction().start
        if self._should_stop():
            tracker.try_claim(ENDLESS - 1)
            return
        if not tracker.try_claim(poll):
            return
        messages = self._receive()
        now = time.time()
        if messages:
            self._last_message_at = now
        floor = seconds_of(watermark.current_watermark())
        for message in messages:
            yield from self._explain(message, max(_sent_at(message), floor))
        if messages:
            ids = {m["MessageId"]: m["ReceiptHandle"] for m in messages}
            finalizer.register(lambda ids=ids: self._delete(ids))
        oldest = self._in_flight.oldest_sent_at()
        self._counters.oldest_age.set(int(now - oldest) if oldest is not None else 0)
        mark = held_watermark(now, oldest, self._config.watermark_allowance)
        if mark > seconds_of(watermark.current_watermark()):
            watermark.set_watermark(Timestamp.of(mark))
        tracker.defer_remainder(Duration(seconds=0 if messages else 1))

    def _explain(self, message: dict, timestamp: float) -> Iterator:
        contents = parse_message(message["MessageId"], message["Body"])
        if contents.dead_letter is not None:
            self._counters.dead_lettered.inc()
            letter = contents.dead_letter
            source = f"{self._config.queue_url}#{letter.message_id}"
            record = dead_letter("sqs", source, letter.error, len(letter.body), {"message_id": letter.message_id, "body": letter.body})
            yield beam.pvalue.TaggedOutput(DEAD_LETTER_TAG, record)
            return
        if contents.ignored is not None:
            self._counters.ignored.inc()
            _LOG.info("SQS message %s ignored: %s", message["MessageId"], contents.ignored)
            return
        for notified in contents.objects:
            if skip_reason(notified.url, notified.size, TimeRange()):  # digests, folders, empty objects
                self._counters.skipped.inc()
                continue
            self._counters.objects.inc()
            ref = ObjectRef(url=notified.url, size=notified.size, etag=notified.etag)
            yield beam.window.TimestampedValue(ref, timestamp)

    def _receive(self) -> list[dict]:
        config = self._config
        received: list[dict] = []
        wait = config.wait_seconds
        if config.stop_when_idle_seconds is not None:
            wait = max(1, min(wait, int(config.stop_when_idle_seconds)))
        while len(received) < config.max_messages_per_poll:
            response = self._client.receive_message(
                QueueUrl=config.queue_url,
                MaxNumberOfMessages=min(_RECEIVE_BATCH, config.max_messages_per_poll - len(received)),
                WaitTimeSeconds=wait,
                VisibilityTimeout=config.visibility_seconds,
                MessageSystemAttributeNames=["SentTimestamp"],
            )
            batch = response.get("Messages", [])
            visible_again_at = time.time() + config.visibility_seconds
            for message in batch:
                self._in_flight.add(message["MessageId"], message["ReceiptHandle"], _sent_at(message), visible_again_at)
            received.extend(batch)
            if len(batch) < _RECEIVE_BATCH or live_stop.stop_requested():
                break
            wait = 0
        self._counters.received.inc(len(received))
        return received

    def _delete(self, receipts: dict[str, str]) -> None:
        items = list(receipts.items())
        for start in range(0, len(items), _RECEIVE_BATCH):
            chunk = items[start : start + _RECEIVE_BATCH]
            try:
                response = self._client.delete_message_batch(
                    QueueUrl=self._config.queue_url,
                    Entries=[{"Id": str(i), "ReceiptHandle": handle} for i, (_, handle) in enumerate(chunk)],
                )
            except Exception:  # undeleted messages come back: a duplicate, never a loss
                _LOG.exception("SQS delete failed; %d messages will be redelivered", len(chunk))
                self._tally.add(delete_failures=len(chunk))
                continue
            failed = response.get("Failed", [])
            for failure in failed:
                _LOG.warning("SQS delete failed (the message will be redelivered): %s", failure)
            self._tally.add(deleted=len(chunk) - len(failed), delete_failures=len(failed))
        self._in_flight.remove(receipts)

    def _extend_visibility(self) -> None:
        """Keep in-flight messages invisible until their bundle is finalized."""
        seconds = self._config.visibility_seconds
        while not self._closing.wait(max(1.0, seconds / 6)):
            due = self._in_flight.due_for_extension(time.time(), margin=seconds / 2)
            items = list(due.items())
            for start in range(0, len(items), _RECEIVE_BATCH):
                chunk = items[start : start + _RECEIVE_BATCH]
                try:
                    response = self._client.change_message_visibility_batch(
                        QueueUrl=self._config.queue_url,
                        Entries=[
                            {"Id": str(i), "ReceiptHandle": handle, "VisibilityTimeout": seconds}
                            for i, (_, handle) in enumerate(chunk)
                        ],
                    )
                except Exception:  # the next round retries; a lapse only means a redelivery
                    _LOG.exception("SQS visibility extension failed")
                    continue
                failed_ids = {int(f["Id"]) for f in response.get("Failed", [])}
                done = [message_id for i, (message_id, _) in enumerate(chunk) if i not in failed_ids]
                self._in_flight.extended(done, time.time() + seconds)
                self._tally.add(extensions=len(done))

    def _should_stop(self) -> bool:
        idle = 0.0 if len(self._in_flight) else time.time() - self._last_message_at
        return should_stop(idle, self._config.stop_when_idle_seconds)


def _sent_at(message: dict) -> float:
    sent_ms = message.get("Attributes", {}).get("SentTimestamp")
    return int(sent_ms) / 1000.0 if sent_ms else time.time()


class ReadFromSqs(beam.PTransform):
    """SQS queue of S3 notifications -> ObjectRefs (main) and dead-letter records (``dead_letters``)."""

    def __init__(self, config: SqsSourceConfig) -> None:
        super().__init__()
        self._config = config

    def expand(self, pbegin):
        return (
            pbegin
            | "Queue" >> Seed(self._config.queue_url)
            | "Poll" >> beam.ParDo(_PollSqs(self._config)).with_outputs(DEAD_LETTER_TAG, main="objects")
        )

