"""`iota backfill`: read CloudTrail from an S3 prefix or a folder into the lake and alerts."""
from __future__ import annotations

import argparse
import sys
import time

import apache_beam as beam

from pipeline.graph import build_backfill
from pipeline.options import add_graph_arguments, beam_options, graph_config, local_path
from pipeline.summary import counters, render
from transforms.alerts_out import reset_alerts_file
from transforms.outputs.settings import OutputsConfigError
from transforms.rules_engine import RuleLoadError
from transforms.timeutil import TimeRange


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--input", action="append", required=True,
                        help="s3://bucket/prefix or a local folder holding CloudTrail objects; repeatable")
    parser.add_argument("--start", help="first event time to include (date or ISO-8601, UTC)")
    parser.add_argument("--end", help="event time to stop before (date or ISO-8601, UTC)")
    add_graph_arguments(parser)


def main(args: argparse.Namespace) -> int:
    try:
        time_range = TimeRange.from_text(args.start, args.end)
    except ValueError as exc:
        print(f"iota backfill: {exc}", file=sys.stderr)
        return 2
    try:
        config = graph_config(args, streaming=False, time_range=time_range)
    except (OutputsConfigError, RuleLoadError) as exc:
        print(f"iota backfill: {exc}", file=sys.stderr)
        return 2
    reset_alerts_file(config.alerts_file)
    started = time.monotonic()
    pipeline = beam.Pipeline(options=beam_options(args.beam_args, streaming=False))
    build_backfill(pipeline, [local_path(location) for location in args.input], config)
    result = pipeline.run()
    result.wait_until_finish()
    print(render(counters(result), time.monotonic() - started, config.lake, config.alerts_file), file=sys.stderr)
    return 0
