"""Beam shell for alert delivery and the alert archive.

    alerts --> DeliverAlerts --> delivery receipts
                  '--> undelivered --> <lake>/_undelivered/   (replay: iota alerts replay)
    alerts --> ArchiveAlerts --> <lake>/alerts/year=/month=/day=/hour=/*.avro

All decisions live in `transforms.outputs`; the DoFns here only adapt them: they
build outputs on the worker (secrets are resolved there, never shipped in the job),
remember per alert which outputs already have it, and turn delivery events into
Beam metrics.
"""
from __future__ import annotations

import logging
import threading
import uuid
from datetime import datetime, timezone
from typing import Any, Dict, Iterator, Mapping, Tuple

import apache_beam as beam
from apache_beam.coders import PickleCoder
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics
from apache_beam.transforms.timeutil import TimeDomain
from apache_beam.transforms.userstate import ReadModifyWriteStateSpec, TimerSpec, on_timer
from apache_beam.utils.timestamp import Duration, Timestamp

from transforms.outputs.alert_fields import parse_time
from transforms.outputs.archive import archive_path, encode_alert
from transforms.outputs.dead_letters import DeadLetterStore, UndeliveredAlert
from transforms.outputs.delivery import DeliveryOutcome, DestinationHealth, deliver
from transforms.outputs.rate_limit import RateLimiter
from transforms.outputs.routing import OutputsConfig

METRICS_NAMESPACE = "outputs"
UNDELIVERED = "undelivered"
LOG = logging.getLogger(__name__)
MEMORY_AFTER_WINDOW = Duration(seconds=24 * 3600)


class BeamFiles:
    """FileStore over Beam's FileSystems: local paths, and s3:// with the pipeline's S3 options."""

    def write(self, path: str, data: bytes) -> None:
        with FileSystems.create(path, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
            handle.write(data)

    def read(self, path: str) -> bytes:
        with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
            return handle.read()

    def glob(self, pattern: str) -> list[str]:
        return sorted(metadata.path for result in FileSystems.match([pattern]) for metadata in result.metadata_list)

    def delete(self, path: str) -> None:
        FileSystems.delete([path])


class BeamDeliveryMetrics:
    """DeliveryObserver that counts per output: sent, retried, rate_limited, throttled, dead_lettered, latency_ms."""

    def __init__(self) -> None:
        self._metrics: dict[str, Any] = {}

    def _counter(self, output_id: str, what: str):
        name = f"{output_id}.{what}"
        if name not in self._metrics:
            self._metrics[name] = Metrics.counter(METRICS_NAMESPACE, name)
        return self._metrics[name]

    def sent(self, output_id: str, latency_seconds: float) -> None:
        self._counter(output_id, "sent").inc()
        name = f"{output_id}.latency_ms"
        if name not in self._metrics:
            self._metrics[name] = Metrics.distribution(METRICS_NAMESPACE, name)
        self._metrics[name].update(int(latency_seconds * 1000))

    def retried(self, output_id: str) -> None:
        self._counter(output_id, "retried").inc()

    def rate_limited(self, output_id: str) -> None:
        self._counter(output_id, "rate_limited").inc()

    def throttled(self, output_id: str, waited_seconds: float) -> None:
        self._counter(output_id, "throttled").inc()

    def dead_lettered(self, output_id: str) -> None:
        self._counter(output_id, "dead_lettered").inc()


_DESTINATIONS: dict[tuple[str, str], tuple[RateLimiter, DestinationHealth]] = {}
_DESTINATIONS_LOCK = threading.Lock()


def shared_destinations(pipeline_token: str, config: OutputsConfig) -> dict[str, tuple[RateLimiter, DestinationHealth]]:
    """One limiter and health per output per worker process, shared by every DoFn instance of one pipeline."""
    with _DESTINATIONS_LOCK:
        return {output_id: _DESTINATIONS.setdefault((pipeline_token, output_id), fresh)
                for output_id, fresh in config.destinations().items()}


def now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class SendToOutputsFn(beam.DoFn):
    """Delivers each alert to its routed outputs, once per (alert, output) while state survives.

    Keyed by alert_id. State remembers which (output, kind, count) were delivered and
    each output's thread reference (the Slack bot message `ts`), so a redelivered
    alert document is not posted twice and the update threads under its alert.
    The memory is dropped a day (event time) after the alert's dedup window closed,
    so state does not grow for ever in a live pipeline.
    Undelivered alerts leave on the `undelivered` tag.
    """

    MEMORY = ReadModifyWriteStateSpec("delivered", PickleCoder())
    FORGET = TimerSpec("forget", TimeDomain.WATERMARK)

    def __init__(self, config: OutputsConfig, pipeline_token: str):
        self._config = config
        self._pipeline_token = pipeline_token

    def setup(self) -> None:
        self._outputs = self._config.build_outputs()
        self._destinations = shared_destinations(self._pipeline_token, self._config)
        self._observer = BeamDeliveryMetrics()
        self._duplicates = Metrics.counter(METRICS_NAMESPACE, "duplicates_skipped")

    def teardown(self) -> None:
        for output in getattr(self, "_outputs", {}).values():
            output.close()

    def process(self, keyed_alert: tuple[str, Mapping[str, Any]], memory_state=beam.DoFn.StateParam(MEMORY),
                forget=beam.DoFn.TimerParam(FORGET)) -> Iterator[Any]:
        _, alert = keyed_alert
        forget.set(Timestamp.from_utc_datetime(parse_time(alert["window_end"])) + MEMORY_AFTER_WINDOW)
        memory = memory_state.read() or {"delivered": set(), "threads": {}}
        for output_id in self._config.route(alert):
            delivery_key = (output_id, alert.get("kind"), alert.get("count"))
            if delivery_key in memory["delivered"]:
                self._duplicates.inc()
                continue
            outcome = self._deliver(output_id, alert, memory["threads"].get(output_id))
            if outcome.thread_ref:
                memory["threads"][output_id] = outcome.thread_ref
            if outcome.delivered:
                memory["delivered"].add(delivery_key)
            else:
                LOG.warning("alert %s not delivered to %s after %d attempts: %s",
                            alert.get("alert_id"), output_id, outcome.attempts, outcome.error)
                yield beam.pvalue.TaggedOutput(UNDELIVERED, UndeliveredAlert.from_outcome(outcome, alert, now_iso()))
            yield {"alert_id": alert.get("alert_id"), "kind": alert.get("kind"), "output_id": output_id,
                   "delivered": outcome.delivered, "attempts": outcome.attempts}
        memory_state.write(memory)

    @on_timer(FORGET)
    def forget_alert(self, memory_state=beam.DoFn.StateParam(MEMORY)) -> None:
        memory_state.clear()

    def _deliver(self, output_id: str, alert: Mapping[str, Any], thread_ref: str | None) -> DeliveryOutcome:
        output = self._outputs.get(output_id)
        if output is None:
            self._observer.dead_lettered(output_id)
            return DeliveryOutcome(output_id, False, 0, error=(
                f"unknown output id {output_id!r} (configured: {', '.join(sorted(self._outputs)) or 'none'})"))
        limiter, health = self._destinations[output_id]
        return deliver(output, alert, policy=self._config.retry, limiter=limiter, health=health,
                       thread_ref=thread_ref, observer=self._observer)


class StoreUndeliveredFn(beam.DoFn):
    def __init__(self, lake: str):
        self._lake = lake

    def setup(self) -> None:
        self._store = DeadLetterStore(self._lake, BeamFiles())

    def process(self, record: UndeliveredAlert) -> Iterator[str]:
        yield self._store.put(record)


class DeliverAlerts(beam.PTransform):
    """alerts -> Slack / webhook / PagerDuty, undeliverable ones kept under `<lake>/_undelivered/`.

    Returns the delivery receipts (one dict per alert and output). Rate limits hold
    per worker process: on a cluster with several SDK workers delivering, give each
    output `rate_limit_per_second` divided by their number (alerts are few, so one
    delivering worker is usually plenty); 429s are still honoured either way.
    """

    def __init__(self, config: OutputsConfig, lake: str):
        super().__init__()
        self._config = config
        self._lake = lake
        self._pipeline_token = uuid.uuid4().hex

    def expand(self, alerts):
        results = (
            alerts
            | "Key by alert id" >> beam.Map(lambda alert: (alert["alert_id"], alert))
            .with_output_types(Tuple[str, Dict[str, Any]])
            | "Send to routed outputs" >> beam.ParDo(SendToOutputsFn(self._config, self._pipeline_token))
            .with_outputs(UNDELIVERED, main="receipts"))
        _ = results[UNDELIVERED] | "Keep undelivered for replay" >> beam.ParDo(StoreUndeliveredFn(self._lake))
        return results.receipts


class WriteToArchiveFn(beam.DoFn):
    def __init__(self, lake: str):
        self._lake = lake

    def setup(self) -> None:
        self._files = BeamFiles()
        self._archived = Metrics.counter("alerts", "archived")

    def process(self, alert: Mapping[str, Any]) -> Iterator[str]:
        path = archive_path(self._lake, alert)
        self._files.write(path, encode_alert(alert))
        self._archived.inc()
        yield path


class ArchiveAlerts(beam.PTransform):
    """alerts -> `<lake>/alerts/year=/month=/day=/hour=/<alert>.avro`; returns the paths written."""

    def __init__(self, lake: str):
        super().__init__()
        self._lake = lake

    def expand(self, alerts):
        return alerts | "Write each alert to its hour" >> beam.ParDo(WriteToArchiveFn(self._lake))
