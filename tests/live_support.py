"""Shared pieces of the live-mode tests: AWS wiring in moto, timed puts, queue checks."""
from __future__ import annotations

import json
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

import boto3

from pipeline.local_aws import REGION, LiveWiring, wire_bucket_to_queue
from tests.cloudtrail import log_file, trail_key

RULES = str(Path(__file__).parent / "fixtures" / "rules")


def minutes_ago(minutes: float, now: datetime | None = None) -> str:
    """An eventTime as CloudTrail writes it, `minutes` before now."""
    moment = (now or datetime.now(timezone.utc)) - timedelta(minutes=minutes)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def wired(endpoint: str, name: str) -> LiveWiring:
    """A fresh bucket -> SNS -> SQS (+DLQ) wiring with unique names."""
    return wire_bucket_to_queue(endpoint, f"{name}-trail", name=name)


def s3_args(endpoint: str) -> list[str]:
    return [f"--s3_endpoint_url={endpoint}", "--s3_access_key_id=testing", "--s3_secret_access_key=testing",
            "--s3_region_name=us-east-1"]


def put_log(endpoint: str, bucket: str, records: list[dict], suffix: str) -> str:
    """Upload one CloudTrail log object, keyed like CloudTrail would by its last event."""
    key = trail_key(records[-1]["eventTime"], suffix)
    boto3.client("s3", endpoint_url=endpoint, region_name=REGION).put_object(Bucket=bucket, Key=key, Body=log_file(records))
    return key


def queue_depth(endpoint: str, queue_url: str) -> int:
    """Visible plus in-flight messages."""
    attributes = boto3.client("sqs", endpoint_url=endpoint, region_name=REGION).get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.2)


def in_background(work: Callable[[], None]) -> threading.Thread:
    """Run `work` in a thread; its exception is re-raised by `join_checked`."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as error:  # handed to the test thread
            errors.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.errors = errors  # type: ignore[attr-defined]
    thread.start()
    return thread


def join_checked(thread: threading.Thread) -> None:
    thread.join(timeout=120)
    if thread.errors:  # type: ignore[attr-defined]
        raise thread.errors[0]  # type: ignore[attr-defined]


def iota_run_sqs(endpoint: str, queue_url: str, lake: Path, alerts_file: Path, *extra: str) -> int:
    """`iota run` on the queue, in this process, with the fixture rules."""
    from pipeline.cli import main as iota

    return iota(["run", "--sqs-queue-url", queue_url, "--lake", str(lake), "--rules", RULES,
                 "--alerts-file", str(alerts_file), *extra, *s3_args(endpoint)])


def read_alerts(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def alert_keys(alerts: list[dict]) -> list[tuple[str, str, str, int]]:
    return sorted((a["rule_id"], a["alert_id"], a["kind"], a["count"]) for a in alerts)
