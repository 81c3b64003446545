"""The backfill graph on the portable runner (embedded job server, LOOPBACK workers).

This is the Fn API path Flink runs, so coders, state, timers and pickling that Flink
would refuse fail here first.
"""
import json
from pathlib import Path

import pyarrow.dataset as ds
import pytest

from pipeline.cli import main as iota
from tests.cloudtrail import SMALL_TRAIL, write_trail_folder

RULES = str(Path(__file__).parent / "fixtures" / "rules")
PORTABLE = ["--runner=PortableRunner", "--job_endpoint=embed", "--environment_type=LOOPBACK"]


@pytest.mark.portable
def test_backfill_runs_on_the_portable_runner(tmp_path):
    trail = tmp_path / "trail"
    write_trail_folder(trail, SMALL_TRAIL)
    (trail / "AWSLogs" / "broken.json.gz").write_bytes(b"\x1f\x8b\x08\x00garbage")
    alerts_file = tmp_path / "alerts.jsonl"

    assert iota(["backfill", "--input", str(trail), "--lake", str(tmp_path / "lake"), "--rules", RULES,
                 "--alerts-file", str(alerts_file), *PORTABLE]) == 0

    table = ds.dataset(str(tmp_path / "lake" / "aws_cloudtrail"), format="parquet", partitioning="hive").to_table()
    assert sorted(table.column("eventID").to_pylist()) == ["e1", "e2", "e3", "e4"]
    alerts = [json.loads(line) for line in alerts_file.read_text().splitlines()]
    assert sorted((a["rule_id"], a["kind"], a["count"]) for a in alerts) == [
        ("Test.CloudTrail.Stopped", "alert", 1), ("Test.CloudTrail.Stopped", "update", 2), ("Test.Root.ConsoleLogin", "alert", 1)]
    assert len(list((tmp_path / "lake" / "_errors" / "read").glob("*.json"))) == 1
