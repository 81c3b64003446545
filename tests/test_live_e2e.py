"""Live mode end to end over HTTP: moto S3 -> SNS -> SQS (+DLQ), the streaming pipeline, the lake and alerts."""
from __future__ import annotations

import gzip
import os
import signal
import time
from datetime import datetime, timezone

import boto3
import pyarrow.dataset as ds
import pytest

from pipeline.cli import main as iota
from tests.cloudtrail import describe_instances, log_file, root_console_login, stop_logging
from tests.live_support import (RULES, alert_keys, in_background, iota_run_sqs, join_checked, minutes_ago, put_log,
                                queue_depth, read_alerts, s3_args, wait_for, wired)

pytestmark = pytest.mark.e2e


def lake_event_ids(lake) -> list[str]:
    table = ds.dataset(str(lake / "aws_cloudtrail"), format="parquet", partitioning="hive").to_table()
    return sorted(table.column("eventID").to_pylist())


def error_files(lake, stage: str) -> list:
    return sorted((lake / "_errors" / stage).glob("*.json"))


def test_streams_notifications_into_the_lake_and_alerts_like_a_backfill_then_stops_on_sigterm(moto_endpoint, tmp_path,
                                                                                             capsys):
    wiring = wired(moto_endpoint, "live-e2e")
    now = datetime.now(timezone.utc)
    good = [
        [describe_instances(minutes_ago(30, now), "e1"), stop_logging(minutes_ago(29, now), "e2")],
        [stop_logging(minutes_ago(20, now), "e3"), root_console_login(minutes_ago(19, now), "e4")],
        [stop_logging(minutes_ago(10, now), "e5")],
    ]
    s3 = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1")
    sqs = boto3.client("sqs", endpoint_url=moto_endpoint, region_name="us-east-1")

    def drop_objects_then_stop():
        for n, records in enumerate(good):
            put_log(moto_endpoint, wiring.bucket, records, f"GOOD{n}")
            time.sleep(0.5)
        # a key S3 notifications URL-encode: a space and a plus
        spaced = put_log(moto_endpoint, wiring.bucket, [describe_instances(minutes_ago(5, now), "e6")], "x")
        s3.copy_object(Bucket=wiring.bucket, Key=spaced.replace("_x.json.gz", "_copy 1+2.json.gz"),
                       CopySource={"Bucket": wiring.bucket, "Key": spaced})
        prefix = spaced.rsplit("/", 1)[0]
        s3.put_object(Bucket=wiring.bucket, Key=f"{prefix}/truncated.json.gz", Body=log_file(good[0])[:40])
        s3.put_object(Bucket=wiring.bucket, Key=f"{prefix}/not-json.json.gz", Body=gzip.compress(b"<Error>AccessDenied</Error>"))
        s3.put_object(Bucket=wiring.bucket, Key=prefix.replace("/CloudTrail/", "/CloudTrail-Digest/") + "/digest.json.gz",
                      Body=gzip.compress(b'{"awsAccountId": "123456789012", "logFiles": []}'))
        sqs.send_message(QueueUrl=wiring.queue_url, MessageBody="a message no AWS service sends")
        wait_for(lambda: queue_depth(moto_endpoint, wiring.queue_url) == 0, 60, "the queue to drain")
        os.kill(os.getpid(), signal.SIGTERM)

    live_alerts = tmp_path / "live.jsonl"
    putter = in_background(drop_objects_then_stop)
    code = iota_run_sqs(moto_endpoint, wiring.queue_url, tmp_path / "lake", live_alerts, "--stop-when-idle", "60s")
    join_checked(putter)
    assert code == 0
    summary = capsys.readouterr().err
    assert "SIGTERM, stopping after the current poll" in summary
    # 8 objects + the test event + the stray message; the digest is skipped, not read
    assert "10 messages received, 10 deleted, 1 dead-lettered, 1 ignored; 7 objects, 1 skipped" in summary

    assert lake_event_ids(tmp_path / "lake") == ["e1", "e2", "e3", "e4", "e5", "e6", "e6"]
    assert len(error_files(tmp_path / "lake", "read")) + len(error_files(tmp_path / "lake", "parse")) == 2
    [sqs_letter] = error_files(tmp_path / "lake", "sqs")
    assert "a message no AWS service sends" in sqs_letter.read_text()
    assert queue_depth(moto_endpoint, wiring.queue_url) == 0
    assert queue_depth(moto_endpoint, wiring.dead_letter_queue_url) == 0

    batch_alerts = tmp_path / "batch.jsonl"
    assert iota(["backfill", "--input", f"s3://{wiring.bucket}/AWSLogs/", "--lake", str(tmp_path / "batch-lake"),
                 "--rules", RULES, "--alerts-file", str(batch_alerts), *s3_args(moto_endpoint)]) == 0
    live = read_alerts(live_alerts)
    assert alert_keys(live) == alert_keys(read_alerts(batch_alerts))
    stopped = [(a["kind"], a["count"]) for a in live if a["rule_id"] == "Test.CloudTrail.Stopped"]
    assert stopped == [("alert", 1), ("update", 3)]


def test_five_matches_over_thirty_minutes_in_separate_polls_give_one_alert_and_one_update(moto_endpoint, tmp_path):
    """Dedup on the local runner, which fires timers after every poll: the window holds."""
    wiring = wired(moto_endpoint, "live-dedup")
    now = datetime.now(timezone.utc)
    first = 62  # minutes ago; the 60-minute window ends 2 minutes ago, its close is due in 13
    spread = [first, first - 7, first - 15, first - 22, first - 30]

    def one_object_per_poll():
        for n, minutes in enumerate(spread):
            put_log(moto_endpoint, wiring.bucket, [stop_logging(minutes_ago(minutes, now), f"s{n}")], f"S{n}")
            wait_for(lambda: queue_depth(moto_endpoint, wiring.queue_url) == 0, 60, f"object {n} to be processed")
        put_log(moto_endpoint, wiring.bucket, [stop_logging(minutes_ago(first - 61, now), "s5")], "S5")

    alerts_file = tmp_path / "alerts.jsonl"
    putter = in_background(one_object_per_poll)
    code = iota_run_sqs(moto_endpoint, wiring.queue_url, tmp_path / "lake", alerts_file, "--stop-when-idle", "3s")
    join_checked(putter)
    assert code == 0

    stopped = [a for a in read_alerts(alerts_file) if a["rule_id"] == "Test.CloudTrail.Stopped"]
    assert [(a["kind"], a["count"], a["event"]["eventID"]) for a in stopped] == [
        ("alert", 1, "s0"), ("update", 5, "s0"), ("alert", 1, "s5")]
    assert stopped[0]["alert_id"] == stopped[1]["alert_id"] != stopped[2]["alert_id"]
    assert stopped[1]["last_event_time"].startswith(minutes_ago(first - 30, now)[:16])
    assert queue_depth(moto_endpoint, wiring.queue_url) == 0


def test_s3_polling_reads_each_new_or_replaced_object_once_across_restarts(moto_endpoint, tmp_path):
    s3 = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1")
    bucket = "live-poll-trail"
    s3.create_bucket(Bucket=bucket)
    now = datetime.now(timezone.utc)
    first = put_log(moto_endpoint, bucket, [stop_logging(minutes_ago(20, now), "p1")], "P1")
    lake, alerts_file = tmp_path / "lake", tmp_path / "alerts.jsonl"

    def run_until_idle():
        return iota(["run", "--s3-poll", f"s3://{bucket}/AWSLogs/", "--poll-interval", "1s", "--lake", str(lake),
                     "--rules", RULES, "--alerts-file", str(alerts_file), "--stop-when-idle", "3s",
                     *s3_args(moto_endpoint)])

    putter = in_background(lambda: (time.sleep(1.5), put_log(
        moto_endpoint, bucket, [root_console_login(minutes_ago(10, now), "p2")], "P2")))
    assert run_until_idle() == 0
    join_checked(putter)
    assert lake_event_ids(lake) == ["p1", "p2"]
    assert sorted(a["rule_id"] for a in read_alerts(alerts_file)) == ["Test.CloudTrail.Stopped", "Test.Root.ConsoleLogin"]
    assert list((lake / "_live").glob("s3-poll-*.json"))

    assert run_until_idle() == 0  # restarted: the checkpoint says both objects are done
    assert len(read_alerts(alerts_file)) == 2

    s3.put_object(Bucket=bucket, Key=first, Body=log_file([stop_logging(minutes_ago(20, now), "p1"),
                                                             describe_instances(minutes_ago(19, now), "p3")]))
    assert run_until_idle() == 0  # replaced (new ETag): read again, same file names rewritten
    assert lake_event_ids(lake) == ["p1", "p2", "p3"]


@pytest.mark.portable
def test_the_streaming_graph_runs_on_the_portable_runner(moto_endpoint, tmp_path):
    wiring = wired(moto_endpoint, "live-portable")
    now = datetime.now(timezone.utc)
    put_log(moto_endpoint, wiring.bucket, [stop_logging(minutes_ago(9, now), "q1"),
                                           root_console_login(minutes_ago(8, now), "q2")], "Q1")
    put_log(moto_endpoint, wiring.bucket, [stop_logging(minutes_ago(5, now), "q3")], "Q2")
    alerts_file = tmp_path / "alerts.jsonl"
    code = iota_run_sqs(moto_endpoint, wiring.queue_url, tmp_path / "lake", alerts_file, "--stop-when-idle", "3s",
                        "--runner=PortableRunner", "--job_endpoint=embed", "--environment_type=LOOPBACK")
    assert code == 0
    assert lake_event_ids(tmp_path / "lake") == ["q1", "q2", "q3"]
    assert sorted((a["rule_id"], a["kind"], a["count"]) for a in read_alerts(alerts_file)) == [
        ("Test.CloudTrail.Stopped", "alert", 1), ("Test.CloudTrail.Stopped", "update", 2),
        ("Test.Root.ConsoleLogin", "alert", 1)]
    assert queue_depth(moto_endpoint, wiring.queue_url) == 0
