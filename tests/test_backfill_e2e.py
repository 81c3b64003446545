"""End to end: a backfill over a local S3 server (moto, HTTP on 127.0.0.1) into the lake and alerts."""
import gzip
import json
from pathlib import Path

import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pytest

from pipeline.cli import main as iota
from tests.cloudtrail import describe_instances, log_file, root_console_login, stop_logging, trail_key

RULES = str(Path(__file__).parent / "fixtures" / "rules")
TRAIL_BUCKET = "trail-bucket-e2e"
LAKE_BUCKET = "lake-bucket-e2e"

GOOD = {
    trail_key("2025-01-01T12:05:00Z", "AAAA"): [describe_instances("2025-01-01T12:00:00Z", "e1"),
                                                stop_logging("2025-01-01T12:01:00Z", "e2")],
    trail_key("2025-01-01T12:35:00Z", "BBBB"): [stop_logging("2025-01-01T12:30:00Z", "e3"),
                                                root_console_login("2025-01-01T12:31:00Z", "e4")],
    # organization trail layout, next hour
    trail_key("2025-01-01T13:05:00Z", "CCCC").replace("AWSLogs/", "AWSLogs/o-exampleorg1/"): [
        stop_logging("2025-01-01T13:00:00Z", "e5")],
    # delivered after midnight: one event inside the range, one after it
    trail_key("2025-01-02T00:05:00Z", "EEEE"): [root_console_login("2025-01-01T23:58:00Z", "e7"),
                                                stop_logging("2025-01-02T00:02:00Z", "e8")],
}
OUT_OF_RANGE = {trail_key("2025-02-01T00:05:00Z", "DDDD"): [stop_logging("2025-02-01T00:01:00Z", "e6")]}
BAD = {
    "AWSLogs/123456789012/CloudTrail/us-east-1/2025/01/01/truncated.json.gz": log_file([stop_logging("2025-01-01T12:00:00Z", "x")])[:40],
    "AWSLogs/123456789012/CloudTrail/us-east-1/2025/01/01/not-json.json.gz": gzip.compress(b"<Error>AccessDenied</Error>"),
    "AWSLogs/123456789012/CloudTrail/us-east-1/2025/01/01/wrong-shape.json": b'{"Records": "not a list"}',
}
SKIPPED = {
    "AWSLogs/123456789012/CloudTrail-Digest/us-east-1/2025/01/01/digest.json.gz": gzip.compress(b'{"digestStartTime": "x"}'),
    "AWSLogs/123456789012/CloudTrail/us-east-1/2025/01/01/empty.json.gz": b"",
}


@pytest.fixture()
def trail(s3_client):
    s3_client.create_bucket(Bucket=TRAIL_BUCKET)
    s3_client.create_bucket(Bucket=LAKE_BUCKET)
    for key, records in {**GOOD, **OUT_OF_RANGE}.items():
        s3_client.put_object(Bucket=TRAIL_BUCKET, Key=key, Body=log_file(records))
    for key, body in {**BAD, **SKIPPED}.items():
        s3_client.put_object(Bucket=TRAIL_BUCKET, Key=key, Body=body)
    yield s3_client
    for bucket in (TRAIL_BUCKET, LAKE_BUCKET):
        for item in s3_client.list_objects_v2(Bucket=bucket).get("Contents", []):
            s3_client.delete_object(Bucket=bucket, Key=item["Key"])
        s3_client.delete_bucket(Bucket=bucket)


def s3_args(endpoint):
    return [f"--s3_endpoint_url={endpoint}", "--s3_access_key_id=testing", "--s3_secret_access_key=testing",
            "--s3_region_name=us-east-1"]


def lake_table(endpoint):
    s3 = pafs.S3FileSystem(endpoint_override=endpoint.removeprefix("http://"), scheme="http",
                           access_key="testing", secret_key="testing", region="us-east-1")
    return ds.dataset(f"{LAKE_BUCKET}/aws_cloudtrail", filesystem=s3, format="parquet", partitioning="hive").to_table()


def read_alerts(path):
    return [json.loads(line) for line in Path(path).read_text().splitlines()]


def run_backfill(endpoint, alerts_file):
    return iota(["backfill", "--input", f"s3://{TRAIL_BUCKET}/AWSLogs/", "--start", "2025-01-01", "--end", "2025-01-02",
                 "--lake", f"s3://{LAKE_BUCKET}", "--rules", RULES, "--alerts-file", str(alerts_file),
                 *s3_args(endpoint)])


def test_backfill_fills_the_lake_alerts_once_per_window_and_dead_letters_bad_objects(trail, moto_endpoint, tmp_path, capsys):
    alerts_file = tmp_path / "alerts.jsonl"
    assert run_backfill(moto_endpoint, alerts_file) == 0

    table = lake_table(moto_endpoint)
    # the lake keeps every event of every object read; only detection cuts at --end
    assert sorted(table.column("eventID").to_pylist()) == ["e1", "e2", "e3", "e4", "e5", "e7", "e8"]
    assert sorted(set(zip(table.column("day").to_pylist(), table.column("hour").to_pylist()))) == [
        (1, 12), (1, 13), (1, 23), (2, 0)]

    alerts = read_alerts(alerts_file)
    stopped = [a for a in alerts if a["rule_id"] == "Test.CloudTrail.Stopped"]
    assert [(a["kind"], a["count"], a["event"]["eventID"]) for a in stopped] == [("alert", 1, "e2"), ("update", 3, "e2")]
    assert stopped[0]["alert_id"] == stopped[1]["alert_id"]
    assert stopped[0]["alert_context"] == {"trail": "arn:aws:cloudtrail:us-east-1:123456789012:trail/management-trail"}
    assert stopped[0]["severity"] == "HIGH"
    root = [a for a in alerts if a["rule_id"] == "Test.Root.ConsoleLogin"]
    assert [(a["title"], a["severity"], a["event"]["eventID"]) for a in root] == [
        ("Root console login from 198.51.100.7", "CRITICAL", "e4"), ("Root console login from 198.51.100.7", "CRITICAL", "e7")]

    errors = trail.list_objects_v2(Bucket=LAKE_BUCKET, Prefix="_errors/")["Contents"]
    stages = sorted(item["Key"].split("/")[1] for item in errors)
    assert stages == ["detect", "detect", "detect", "detect", "parse", "parse", "read"]
    detect_letter = json.loads(trail.get_object(Bucket=LAKE_BUCKET, Key=next(
        i["Key"] for i in errors if i["Key"].startswith("_errors/detect/")))["Body"].read())
    assert detect_letter["detail"][0]["rule_id"] == "Test.Raises.KeyError"
    assert "KeyError" in detect_letter["detail"][0]["traceback"]

    # match documents waited under _work/ until dedup had picked the alerts' first events
    assert "Contents" not in trail.list_objects_v2(Bucket=LAKE_BUCKET, Prefix="_work/")

    summary = capsys.readouterr().err
    # only the range's day folders are listed: neither the digest folder nor February's object
    assert ("listed 8 (10 list requests), read 6, skipped 1 (digest 0, empty 1, folder 0, out_of_range 0), failed 3"
            in summary)
    assert "7 rows" in summary and "3 alerts, 1 updates" in summary
    assert "outside the time range (in the lake, not evaluated) 1" in summary


def test_rerunning_a_backfill_rewrites_the_same_lake_files(trail, moto_endpoint, tmp_path):
    run_backfill(moto_endpoint, tmp_path / "first.jsonl")
    first = sorted(item["Key"] for item in trail.list_objects_v2(Bucket=LAKE_BUCKET)["Contents"])
    run_backfill(moto_endpoint, tmp_path / "second.jsonl")
    second = sorted(item["Key"] for item in trail.list_objects_v2(Bucket=LAKE_BUCKET)["Contents"])
    assert first == second
    assert lake_table(moto_endpoint).num_rows == 7
    ids = lambda path: [(a["alert_id"], a["kind"], a["count"]) for a in read_alerts(path)]  # noqa: E731
    assert sorted(ids(tmp_path / "first.jsonl")) == sorted(ids(tmp_path / "second.jsonl"))
