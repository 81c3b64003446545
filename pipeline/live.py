"""`iota run`: the live pipeline, streaming from SQS notifications or by polling S3.

    SQS (S3 -> SNS -> SQS, S3 -> SQS, EventBridge -> SQS) | S3 poll
        -> object refs -> the same graph as a backfill (pipeline.graph.analyse)

It runs until asked to stop: SIGTERM or SIGINT make the sources finish their
current poll (an SQS long poll waits at most 20 s), the pipeline drains (open dedup windows close and send their
updates) and the command returns 0. `--stop-when-idle` stops it once the source
has had nothing new for that long, to drain a backlog and exit.

On the local runners the whole live graph must run fused with the source (see
transforms.sqs_source): a shuffle or Flatten behind an unbounded source never
runs there, and a bundle finalizer would delete messages before their output
was written. `check_fused` refuses such a graph before it starts. There, too,
dedup state lives only in memory, so it is journaled under <lake>/_live/ and
recovered on start (transforms.match_journal); Flink checkpoints it instead.
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import re
import signal
import sys
import time
from datetime import timedelta
from typing import Iterator

import apache_beam as beam
from apache_beam.options.pipeline_options import (DirectOptions, PipelineOptions, PortableOptions,
                                                  StandardOptions)
from apache_beam.pipeline import PipelineVisitor

from pipeline.graph import GraphConfig, analyse
from pipeline.local_runner import fold_metrics_eagerly
from pipeline.options import add_graph_arguments, beam_options, graph_config
from pipeline.summary import counters, render
from transforms import live_stop
from transforms.dead_letters import WriteDeadLetters
from transforms.match_journal import DedupJournal, journal_directory
from transforms.outputs.settings import OutputsConfigError
from transforms.rules_engine import RuleLoadError
from transforms.s3_poll_source import PollS3Prefix, S3PollConfig
from transforms.sqs_source import ReadFromSqs, SqsSourceConfig

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)([smhd]?)$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
_LOCAL_RUNNERS = {"directrunner", "direct", "fnapirunner", "swallowingdirectrunner"}


def duration(text: str) -> timedelta:
    """`90`, `90s`, `5m`, `1h`, `1d` -> a timedelta."""
    found = _DURATION.match(text.strip())
    if not found:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (try 30s, 5m, 1h)")
    return timedelta(seconds=float(found[1]) * _UNIT_SECONDS[found[2]])


def add_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--sqs-queue-url", help="queue receiving the trail bucket's S3 notifications")
    source.add_argument("--s3-poll", metavar="S3_URL", help="s3://bucket/prefix to list for new objects instead")
    parser.add_argument("--poll-interval", type=duration, default=duration("5m"),
                        help="with --s3-poll: time between listings (default 5m)")
    parser.add_argument("--lookback-days", type=int, default=1,
                        help="with --s3-poll: list today's and this many earlier days' folders (default 1); "
                        "what was read is remembered in <lake>/_live/")
    parser.add_argument("--watermark-allowance", type=duration, default=duration("15m"),
                        help="how late CloudTrail may deliver an event; the watermark trails the clock by it (default 15m)")
    parser.add_argument("--visibility-timeout", type=duration, default=duration("2m"),
                        help="with --sqs-queue-url: how long a received message stays hidden, extended while "
                        "its object is processed; also how soon a crash's messages come back (default 2m)")
    parser.add_argument("--stop-when-idle", type=duration,
                        help="stop once nothing new has arrived for this long (drain a backlog, then exit)")
    add_graph_arguments(parser)


def object_source(args: argparse.Namespace, config: GraphConfig) -> beam.PTransform:
    idle = args.stop_when_idle.total_seconds() if args.stop_when_idle else None
    if args.sqs_queue_url:
        return ReadFromSqs(SqsSourceConfig(
            queue_url=args.sqs_queue_url,
            visibility_seconds=max(10, int(args.visibility_timeout.total_seconds())),
            watermark_allowance=args.watermark_allowance,
            stop_when_idle_seconds=idle,
        ))
    return PollS3Prefix(S3PollConfig(
        root_url=args.s3_poll,
        poll_interval_seconds=args.poll_interval.total_seconds(),
        lookback_days=args.lookback_days,
        checkpoint_dir=f"{config.lake.rstrip('/')}/_live",
        watermark_allowance=args.watermark_allowance,
        stop_when_idle_seconds=idle,
    ))


def build_live(pipeline: beam.Pipeline, source: beam.PTransform, config: GraphConfig) -> None:
    """live source -> object refs -> the shared graph; undecodable messages -> dead letters."""
    found = pipeline | "Watch for objects" >> source
    if isinstance(found, beam.pvalue.PCollection):
        analyse(found, config)
        return
    found.dead_letters | "Dead letters (sqs)" >> WriteDeadLetters(config.lake)
    analyse(found.objects, config)


def runs_locally(options: PipelineOptions) -> bool:
    """DirectRunner, or the portable runner with its embedded (FnApiRunner) job server."""
    runner = (options.view_as(StandardOptions).runner or "DirectRunner").lower()
    if runner in _LOCAL_RUNNERS:
        return True
    return runner in {"portablerunner", "portable"} and options.view_as(PortableOptions).job_endpoint == "embed"


class _BoundaryFinder(PipelineVisitor):
    def __init__(self) -> None:
        self.found: list[str] = []

    def visit_transform(self, node) -> None:
        if isinstance(node.transform, (beam.GroupByKey, beam.Flatten)):
            self.found.append(node.full_label)


def stage_boundaries(pipeline: beam.Pipeline) -> list[str]:
    """Labels of the shuffles and Flattens in a pipeline (where fusion stops)."""
    finder = _BoundaryFinder()
    pipeline.visit(finder)
    return sorted(finder.found)


def check_fused(pipeline: beam.Pipeline, options: PipelineOptions) -> None:
    """Refuse what the local runner cannot run live: a split graph, or workers in other processes
    (which a stop request and the dedup journal's wake-ups would not reach)."""
    if not runs_locally(options):
        return
    boundaries = stage_boundaries(pipeline)
    if boundaries:
        raise RuntimeError("live mode on the local runner needs a graph fused with its source; "
                           f"these steps split it: {', '.join(boundaries)}")
    if options.view_as(DirectOptions).direct_running_mode == "multi_processing":
        raise RuntimeError("live mode on the DirectRunner runs in one process; "
                           "drop --direct_running_mode=multi_processing")


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """SIGTERM/SIGINT ask the live sources to finish; a second SIGINT interrupts at once."""
    def ask_to_stop(signum, _frame):
        if live_stop.stop_requested() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        print(f"iota run: {signal.Signals(signum).name}, stopping after the current poll", file=sys.stderr)
        live_stop.request_stop()

    previous = {sig: signal.signal(sig, ask_to_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    live_stop.clear_stop_request()
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def main(args: argparse.Namespace) -> int:
    options = beam_options(args.beam_args, streaming=True)
    pipeline = beam.Pipeline(options=options)
    try:
        config = graph_config(args, streaming=True, lateness_allowance=args.watermark_allowance)
    except (OutputsConfigError, RuleLoadError) as exc:
        print(f"iota run: {exc}", file=sys.stderr)
        return 2
    if runs_locally(options):
        fold_metrics_eagerly()
        config = dataclasses.replace(config, dedup_journal=DedupJournal.open(journal_directory(config.lake)),
                                     timers_fire_early=True)
    build_live(pipeline, object_source(args, config), config)
    try:
        check_fused(pipeline, options)
    except RuntimeError as exc:
        print(f"iota run: {exc}", file=sys.stderr)
        return 2
    started = time.monotonic()
    with stop_on_signals():
        result = pipeline.run()
        result.wait_until_finish()
    figures = counters(result)
    print(render(figures, time.monotonic() - started, config.lake, config.alerts_file), file=sys.stderr)
    print(render_source(figures), file=sys.stderr)
    return 0


def render_source(figures: dict[str, int]) -> str:
    """The live source's own counters, under the run summary."""
    get = lambda name: figures.get(name, 0)  # noqa: E731 - a local shorthand keeps the line readable
    if any(name.startswith("iota.sqs.") for name in figures):
        return (f"  sqs          {get('iota.sqs.messages_received')} messages received, "
                f"{get('iota.sqs.messages_deleted')} deleted, {get('iota.sqs.messages_dead_lettered')} dead-lettered, "
                f"{get('iota.sqs.messages_ignored')} ignored; {get('iota.sqs.objects')} objects, "
                f"{get('iota.sqs.objects_skipped')} skipped; {get('iota.sqs.visibility_extensions')} visibility extensions")
    return (f"  s3 poll      {get('iota.s3poll.polls')} polls, {get('iota.s3poll.objects_listed')} objects listed, "
            f"{get('iota.s3poll.objects')} new")
