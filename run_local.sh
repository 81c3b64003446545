#!/usr/bin/env bash
# One command, the whole thing locally: a local S3 server on 127.0.0.1 (moto), the
# built-in sample CloudTrail uploaded into a trail bucket, a backfill into a local lake,
# then the alerts and where everything went.
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
"$IOTA_PY" scripts/local_s3.py upload "$endpoint" samples iota-sample-trail

"$IOTA_PY" -m pipeline backfill \
  --input s3://iota-sample-trail/AWSLogs/ \
  --lake "$work/lake" \
  --alerts-file "$work/alerts.jsonl" \
  --s3_endpoint_url="$endpoint" --s3_access_key_id=testing --s3_secret_access_key=testing --s3_region_name=us-east-1

"$IOTA_PY" scripts/local_s3.py report "$work/alerts.jsonl" "$work/lake"
