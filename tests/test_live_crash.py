"""SIGKILL a live run mid-stream, start it again: nothing lost, repeats only under the same ids."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pyarrow.dataset as ds
import pytest

from pipeline.cli import main as iota
from tests.cloudtrail import describe_instances, root_console_login, stop_logging
from tests.live_support import (RULES, put_log, queue_depth, read_alerts, s3_args, wait_for, minutes_ago, wired)

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture()
def live_runs():
    """The `iota run` processes a test starts; any still running when it ends are killed."""
    started: list[subprocess.Popen] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)


def start_live(runs: list, endpoint: str, queue_url: str, tmp_path: Path, *extra: str) -> subprocess.Popen:
    env = dict(os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
    command = [sys.executable, "-m", "pipeline", "run", "--sqs-queue-url", queue_url, "--lake", str(tmp_path / "lake"),
               "--rules", RULES, "--alerts-file", str(tmp_path / "live.jsonl"), "--visibility-timeout", "10s",
               *extra, *s3_args(endpoint)]
    runs.append(subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                                 stderr=(tmp_path / "live.log").open("ab")))
    return runs[-1]


def test_a_killed_live_run_restarted_loses_no_event_and_no_alert(moto_endpoint, tmp_path, live_runs):
    wiring = wired(moto_endpoint, "live-crash")
    now = datetime.now(timezone.utc)
    at = lambda minutes: minutes_ago(minutes, now)  # noqa: E731
    alerts_file = tmp_path / "live.jsonl"

    first = start_live(live_runs, moto_endpoint, wiring.queue_url, tmp_path)
    put_log(moto_endpoint, wiring.bucket, [stop_logging(at(40), "a1"), describe_instances(at(39), "a2")], "A1")
    put_log(moto_endpoint, wiring.bucket, [stop_logging(at(35), "a3"), root_console_login(at(34), "a4")], "A2")
    wait_for(lambda: len(read_alerts(alerts_file)) >= 2 and queue_depth(moto_endpoint, wiring.queue_url) == 0,
             90, "the first objects to be processed")
    put_log(moto_endpoint, wiring.bucket, [stop_logging(at(30), "b1")], "B1")
    put_log(moto_endpoint, wiring.bucket, [describe_instances(at(29), "b2"), stop_logging(at(28), "b3")], "B2")
    first.send_signal(signal.SIGKILL)  # mid-stream: B1/B2 unread, in flight or done
    assert first.wait(timeout=30) == -signal.SIGKILL

    second = start_live(live_runs, moto_endpoint, wiring.queue_url, tmp_path, "--stop-when-idle", "15s")
    time.sleep(1)
    put_log(moto_endpoint, wiring.bucket, [stop_logging(at(20), "c1")], "C1")
    assert second.wait(timeout=120) == 0
    assert queue_depth(moto_endpoint, wiring.queue_url) == 0
    assert queue_depth(moto_endpoint, wiring.dead_letter_queue_url) == 0

    table = ds.dataset(str(tmp_path / "lake" / "aws_cloudtrail"), format="parquet", partitioning="hive").to_table()
    assert sorted(table.column("eventID").to_pylist()) == ["a1", "a2", "a3", "a4", "b1", "b2", "b3", "c1"]

    batch_file = tmp_path / "batch.jsonl"
    assert iota(["backfill", "--input", f"s3://{wiring.bucket}/AWSLogs/", "--lake", str(tmp_path / "batch-lake"),
                 "--rules", RULES, "--alerts-file", str(batch_file), *s3_args(moto_endpoint)]) == 0
    batch, live = read_alerts(batch_file), read_alerts(alerts_file)
    final_batch = {(a["alert_id"], a["kind"]): a["count"] for a in batch}
    final_live = {}
    for alert in live:
        final_live[(alert["alert_id"], alert["kind"])] = max(final_live.get((alert["alert_id"], alert["kind"]), 0),
                                                             alert["count"])
    assert final_live == final_batch
    assert ("Test.CloudTrail.Stopped", "update", 5) in {(a["rule_id"], a["kind"], a["count"]) for a in live}
    repeats = Counter((a["alert_id"], a["kind"], a["count"]) for a in live)
    assert all(n <= 2 for n in repeats.values()), repeats  # a repeat is the same document, same id
