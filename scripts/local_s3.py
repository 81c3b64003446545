"""Helpers for run_local.sh: wait for the local S3 server, upload samples, show results."""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import boto3


def wait(endpoint: str) -> None:
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    for _ in range(100):
        try:
            client.list_buckets()
            return
        except Exception:  # noqa: BLE001 - any failure here means "not up yet"
            time.sleep(0.1)
    sys.exit(f"local S3 at {endpoint} did not start")


def upload(endpoint: str, folder: str, bucket: str) -> None:
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=bucket)
    files = [path for path in sorted(Path(folder).rglob("*")) if path.is_file() and path.name != "README.md"]
    for path in files:
        client.upload_file(str(path), bucket, path.relative_to(folder).as_posix())
    print(f"uploaded {len(files)} sample objects to s3://{bucket}/ on {endpoint}", file=sys.stderr)


def report(alerts_file: str, lake: str) -> None:
    alerts = [json.loads(line) for line in Path(alerts_file).read_text().splitlines()]
    print(f"\n{len(alerts)} alert documents ({alerts_file}):")
    for alert in alerts:
        print(f"  {alert['kind']:6} {alert['severity']:8} {alert['rule_id']:45} x{alert['count']:<3} {alert['title']}")
    files = sorted(Path(lake).rglob("*.parquet"))
    errors = sorted(Path(lake, "_errors").rglob("*.json"))
    print(f"\nlake: {len(files)} Parquet files under {lake}/aws_cloudtrail/ (hive partitions year=/month=/day=/hour=)")
    print(f"dead letters: {len(errors)} under {lake}/_errors/")
    query = (f"select eventName, count(*) as events from read_parquet('{lake}/aws_cloudtrail/**/*.parquet', "
             "hive_partitioning=1) group by 1 order by 2 desc limit 10")
    print(f'query it:  .venv/bin/python -c "import duckdb; duckdb.sql(\\"{query}\\").show()"')


if __name__ == "__main__":
    command, *arguments = sys.argv[1:]
    {"wait": wait, "upload": upload, "report": report}[command](*arguments)
