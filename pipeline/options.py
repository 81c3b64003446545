"""Command-line options shared by the subcommands that build the graph.

iota's own flags are parsed here; everything else on the command line is handed to Beam
unchanged (`--runner`, `--s3_endpoint_url`, `--direct_num_workers`, `--flink_master`, ...).
"""
from __future__ import annotations

import argparse
import os
from pathlib import Path

from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions

from pipeline.graph import GraphConfig
from transforms.outputs.routing import load_outputs_config
from transforms.read import DEFAULT_MAX_OBJECT_BYTES
from transforms.rules_engine import RuleEngine, load_rule_bundle
from transforms.rules_engine.rule import output_ids
from transforms.timeutil import TimeRange

BUNDLED_RULES = str(Path(__file__).resolve().parent.parent / "rules" / "aws_cloudtrail")


def add_graph_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lake", required=True, help="data lake root: a local folder or s3://bucket/prefix")
    parser.add_argument("--rules", action="append", default=None,
                        help=f"folder of rules (*.py + *.yml); repeatable; default: the bundled pack ({BUNDLED_RULES})")
    parser.add_argument("--helpers", action="append", default=[],
                        help="folder of helper modules put on sys.path for rules; repeatable")
    parser.add_argument("--alerts-file", default="-", help="JSON Lines file for alerts, or '-' for stdout (default)")
    parser.add_argument("--outputs", default=None,
                        help="outputs YAML file (Slack, webhook, PagerDuty; secrets by env var or file): deliver "
                        "alerts to them; without it alerts only go to --alerts-file and <lake>/alerts/")
    parser.add_argument("--max-object-bytes", type=int, default=DEFAULT_MAX_OBJECT_BYTES,
                        help="refuse to inflate an object past this many bytes (default %(default)s)")


def local_path(location: str) -> str:
    """Absolute local paths, so workers in other directories or processes find them."""
    return location if "://" in location else os.path.abspath(location)


def graph_config(args: argparse.Namespace, streaming: bool, time_range: TimeRange = TimeRange(), **extra) -> GraphConfig:
    bundle = load_rule_bundle([local_path(d) for d in (args.rules or [BUNDLED_RULES])], [local_path(d) for d in args.helpers])
    RuleEngine(bundle)  # compiled once here too, so a broken rule stops the start instead of a worker
    outputs = load_outputs_config(args.outputs) if args.outputs else None
    if outputs is not None:
        for source in bundle.rules:
            ids = output_ids(source)
            if ids:
                outputs.check_output_ids(ids, f"rule {source.rule_id} ({source.spec_path}) OutputIds")
    return GraphConfig(
        lake=local_path(args.lake),
        rule_bundle=bundle,
        alerts_file=args.alerts_file if args.alerts_file == "-" else local_path(args.alerts_file),
        streaming=streaming,
        time_range=time_range,
        max_object_bytes=args.max_object_bytes,
        outputs=outputs,
        **extra,
    )


def beam_options(beam_args: list[str], streaming: bool) -> PipelineOptions:
    options = PipelineOptions(beam_args)
    options.view_as(StandardOptions).streaming = streaming
    return options
