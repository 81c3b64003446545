#!/usr/bin/env bash
# One command, the whole thing locally: a local S3 server on 127.0.0.1 (moto), the
# built-in sample CloudTrail uploaded into a trail bucket, a backfill into a local lake,
# then the alerts and where everything went.
# `./run_local.sh --live` instead wires bucket -> SNS -> SQS like AWS and runs the
# streaming pipeline while the samples are dropped into the bucket.
set -euo pipefail
source "$(dirname "$0")/scripts/venv.sh"
cd "$IOTA_ROOT"

work="$IOTA_ROOT/local"
rm -rf "$work" && mkdir -p "$work"
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1
port=$("$IOTA_PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
endpoint="http://127.0.0.1:$port"
"$IOTA_VENV/bin/moto_server" -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto_pid=$!
trap 'kill $moto_pid 2>/dev/null || true' EXIT
"$IOTA_PY" scripts/local_s3.py wait "$endpoint"

if [ "${1:-}" = "--live" ]; then
  # Live: bucket notification -> SNS topic -> SQS queue (+ DLQ), `iota run` streaming from
  # the queue, the sample objects dropped into the bucket one per second.
  queue_url=$("$IOTA_PY" -m pipeline.local_aws --endpoint "$endpoint" --bucket iota-live-trail)
  "$IOTA_PY" -m pipeline run \
    --sqs-queue-url "$queue_url" \
    --lake "$work/lake" \
    --alerts-file "$work/alerts.jsonl" \
    --s3_endpoint_url="$endpoint" --s3_access_key_id=testing --s3_secret_access_key=testing --s3_region_name=us-east-1 \
    2>"$work/pipeline.log" &
  pipeline_pid=$!
  trap 'kill $pipeline_pid 2>/dev/null || true; kill $moto_pid 2>/dev/null || true' EXIT
  echo "iota run is streaming from $queue_url (log: $work/pipeline.log); dropping sample objects:" >&2
  "$IOTA_PY" scripts/live_demo.py "$endpoint" samples iota-live-trail "$work/alerts.jsonl"
  kill -TERM "$pipeline_pid"
  wait "$pipeline_pid" || true
  tail -n 8 "$work/pipeline.log" >&2
  "$IOTA_PY" scripts/local_s3.py report "$work/alerts.jsonl" "$work/lake"
  exit 0
fi

"$IOTA_PY" scripts/local_s3.py upload "$endpoint" samples iota-sample-trail

"$IOTA_PY" -m pipeline backfill \
  --input s3://iota-sample-trail/AWSLogs/ \
  --lake "$work/lake" \
  --alerts-file "$work/alerts.jsonl" \
  --s3_endpoint_url="$endpoint" --s3_access_key_id=testing --s3_secret_access_key=testing --s3_region_name=us-east-1

"$IOTA_PY" scripts/local_s3.py report "$work/alerts.jsonl" "$work/lake"
