"""Microseconds per event of each backfill stage's pure core, without Beam around it.

Where `backfill_benchmark` says how far the whole pipeline is from the floor, this says
which stage the time goes to. It runs the cores file by file, as the pipeline's fused
stage does (read -> parse -> normalise -> lake table -> Parquet bytes, and the rule
engine on every event), with the worker's garbage-collector settings::

    python -m benchmarks.stage_costs                    # 40,000 generated events
    python -m benchmarks.stage_costs --input DIR        # your own .json.gz files
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import TypeVar

from apache_beam.options.pipeline_options import PipelineOptions

from benchmarks.cloudtrail_gen import write_trail
from pipeline.options import BUNDLED_RULES
from transforms.lake import by_partition, parquet_bytes, to_table
from transforms.normalize import chunked, indicators, normalise_records
from transforms.parse import parse_object
from transforms.read import DEFAULT_MAX_OBJECT_BYTES, read_object
from transforms.rules_engine import RuleEngine, load_rule_bundle
from transforms.worker import tune_worker

T = TypeVar("T")
INDICATORS_ALONE = "  of which indicators()"


def stage_costs(files: list[Path]) -> tuple[int, dict[str, float]]:
    """Events seen and seconds spent per stage over `files`."""
    tune_worker()
    engine = RuleEngine(load_rule_bundle([BUNDLED_RULES]))
    spent: dict[str, float] = defaultdict(float)

    def timed(stage: str, work: Callable[[], T]) -> T:
        started = time.perf_counter()
        result = work()
        spent[stage] += time.perf_counter() - started
        return result

    events = 0
    for path in files:
        url = str(path)
        data = timed("read: open + gunzip", lambda: read_object(url, DEFAULT_MAX_OBJECT_BYTES, PipelineOptions()))
        records = timed("parse: orjson + shape checks", lambda: parse_object(data).records)
        events += len(records)
        normalised = timed("normalise: all p_ fields", lambda: normalise_records(url, records, datetime.now(timezone.utc)))
        timed(INDICATORS_ALONE, lambda: [indicators(record) for record in records])
        tables = timed("lake: to_table", lambda: [
            to_table(part.records, part.texts) for batch in chunked(url, normalised) for part in by_partition(batch).values()])
        timed("lake: parquet_bytes", lambda: [parquet_bytes(table) for table in tables])
        timed("detect: engine.evaluate", lambda: [engine.evaluate(record) for record in normalised.records])
    return events, spent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--input", type=Path, help="folder of .json.gz CloudTrail files (default: generate them)")
    parser.add_argument("--events", type=int, default=40_000, help="events to generate when no --input (default 40000)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="iota-stages-") as scratch:
        if args.input:
            files = sorted(path for path in args.input.rglob("*.json.gz") if "CloudTrail-Digest" not in path.parts)
        else:
            files = sorted(write_trail(Path(scratch), args.events, seed=7).log_files)
        events, spent = stage_costs(files)
    print(f"{events:,} events in {len(files):,} files; microseconds per event:")
    for stage, seconds in spent.items():
        print(f"  {stage:32s} {seconds * 1e6 / events:7.2f}")
    total = sum(seconds for stage, seconds in spent.items() if stage != INDICATORS_ALONE)
    print(f"  {'all stages':32s} {total * 1e6 / events:7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
