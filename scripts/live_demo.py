"""Helpers for `run_local.sh --live`: drop sample objects into the bucket one by one and
show each alert as the running pipeline writes it."""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import boto3


def drop_and_watch(endpoint: str, folder: str, bucket: str, alerts_file: str, pace: str = "1.0") -> None:
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    files = [path for path in sorted(Path(folder).rglob("*")) if path.is_file() and path.name != "README.md"]
    alerts, shown = Path(alerts_file), 0

    def show_new_alerts(since: float) -> None:
        nonlocal shown
        lines = alerts.read_text().splitlines() if alerts.exists() else []
        for line in lines[shown:]:
            alert = json.loads(line)
            print(f"  +{time.monotonic() - since:4.1f}s {alert['kind']:6} {alert['severity']:8} "
                  f"{alert['rule_id']:45} x{alert['count']:<3} {alert['title']}")
        shown = len(lines)

    for path in files:
        key = path.relative_to(folder).as_posix()
        client.upload_file(str(path), bucket, key)
        put_at = time.monotonic()
        print(f"put s3://{bucket}/{key}")
        while time.monotonic() - put_at < float(pace):
            show_new_alerts(put_at)
            time.sleep(0.1)
    quiet_since = time.monotonic()
    while time.monotonic() - quiet_since < 3:
        before = shown
        show_new_alerts(quiet_since)
        if shown != before:
            quiet_since = time.monotonic()
        time.sleep(0.1)


if __name__ == "__main__":
    drop_and_watch(*sys.argv[1:])
