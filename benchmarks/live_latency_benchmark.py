"""Live latency: PutObject returning -> the object's alert written, at a steady event rate.

Starts a local S3/SNS/SQS server (``moto_server`` on 127.0.0.1) wired like AWS (bucket
notification -> SNS topic -> SQS queue, with a redrive DLQ), starts ``python -m pipeline
run`` on that queue with the bundled rules and a local lake, then puts CloudTrail objects
into the bucket at a steady rate. Every object holds realistic background events (see
``cloudtrail_gen``) and one StopLogging of its own trail, so it causes exactly one alert;
the benchmark tails the alerts file and reports, per object, the time from ``PutObject``
returning to that alert being written: p50/p95/p99, and the events/s sustained. It also
samples the pipeline's resident memory, so a long run (``--seconds 900``) shows whether
live mode's memory levels off or keeps growing under load.

Exits non-zero when the bar is missed (p50 <= 3 s and p99 <= 10 s at >= 2,000 events/s)::

    python -m benchmarks.live_latency_benchmark                     # 2,000 events/s for 60 s
    python -m benchmarks.live_latency_benchmark --seconds 20        # a quick look
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import boto3
import orjson

from benchmarks.cloudtrail_gen import CloudTrailGenerator
from benchmarks.rss import RssSampler
from pipeline.local_aws import REGION, wire_bucket_to_queue

REPO_ROOT = Path(__file__).resolve().parent.parent
BAR_P50, BAR_P99, BAR_RATE = 3.0, 10.0, 2000.0
ACCOUNT, TRAIL_REGION = "111122223333", "us-east-1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_listening(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listening on 127.0.0.1:{port}")


def make_objects(count: int, events_per_object: int, seed: int = 7) -> list[tuple[str, bytes, str]]:
    """(key, gzip body, trail name) per object: background events plus one StopLogging of its own trail."""
    generator = CloudTrailGenerator(seed=seed, accounts=[ACCOUNT])
    now = datetime.now(timezone.utc)
    pool = [generator.background_event(ACCOUNT, TRAIL_REGION, now - timedelta(seconds=random.random() * 600))
            for _ in range(max(events_per_object * 4, 1000))]
    rng = random.Random(seed)
    objects = []
    for n in range(count):
        trail = f"bench-trail-{n:06d}"
        attack = generator.attack_event("stop_logging", ACCOUNT, TRAIL_REGION, now - timedelta(minutes=2))
        attack["requestParameters"] = {"name": trail}
        records = sorted(rng.sample(pool, events_per_object - 1) + [attack], key=lambda r: r["eventTime"])
        key = (f"AWSLogs/{ACCOUNT}/CloudTrail/{TRAIL_REGION}/{now:%Y/%m/%d}/"
               f"{ACCOUNT}_CloudTrail_{TRAIL_REGION}_{now:%Y%m%dT%H%M}Z_{n:016d}.json.gz")
        objects.append((key, gzip.compress(orjson.dumps({"Records": records}), compresslevel=6), trail))
    return objects


class AlertTail:
    """Follows the alerts file; records when each trail's alert line first appears."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seen: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._follow, daemon=True)
        self._thread.start()

    def _follow(self) -> None:
        offset, partial = 0, b""
        while not self._stop.is_set():
            if self.path.exists():
                with self.path.open("rb") as handle:
                    handle.seek(offset)
                    chunk = handle.read()
                offset += len(chunk)
                now = time.monotonic()
                lines = (partial + chunk).split(b"\n")
                partial = lines.pop()
                for line in lines:
                    alert = json.loads(line)
                    if alert["kind"] == "alert" and alert["dedup"].startswith(f"{ACCOUNT}:bench-trail-"):
                        self.seen.setdefault(alert["dedup"].split(":", 1)[1], now)
            time.sleep(0.02)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def memory_report(samples: list[tuple[float, int]]) -> str:
    """RSS when the load starts, its peak and end, and its growth per minute over the load's second half."""
    if len(samples) < 4:
        return "pipeline RSS: too few samples"
    mib = 1024 * 1024
    second_half = samples[len(samples) // 2:]
    (t0, r0), (t1, r1) = second_half[0], second_half[-1]
    growth = (r1 - r0) / mib / max((t1 - t0) / 60, 1e-9)
    return (f"pipeline RSS: {samples[0][1] / mib:.0f} MiB at the start of the load, peak "
            f"{max(r for _, r in samples) / mib:.0f} MiB, {samples[-1][1] / mib:.0f} MiB at its end; "
            f"{growth:+.1f} MiB/min over the second half")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=BAR_RATE, help="events per second put into the bucket")
    parser.add_argument("--events-per-object", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to keep putting objects")
    args = parser.parse_args()

    objects_per_second = args.rate / args.events_per_object
    count = int(args.seconds * objects_per_second)
    print(f"generating {count} objects of {args.events_per_object} events ...", file=sys.stderr)
    objects = make_objects(count + 1, args.events_per_object)
    warmup, objects = objects[0], objects[1:]

    work = Path(tempfile.mkdtemp(prefix="iota-live-bench-"))
    env = dict(os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION=REGION)
    os.environ.update({k: env[k] for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")})
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    moto = subprocess.Popen([str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    pipeline = None
    try:
        wait_until_listening(port)
        wiring = wire_bucket_to_queue(endpoint, "iota-bench-trail")
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name=REGION)
        alerts_file = work / "alerts.jsonl"
        tail = AlertTail(alerts_file)
        pipeline = subprocess.Popen(
            [sys.executable, "-m", "pipeline", "run", "--sqs-queue-url", wiring.queue_url,
             "--lake", str(work / "lake"), "--alerts-file", str(alerts_file),
             f"--s3_endpoint_url={endpoint}", "--s3_access_key_id=testing", "--s3_secret_access_key=testing",
             "--s3_region_name=us-east-1"],
            cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=open(work / "pipeline.log", "wb"))

        memory = RssSampler(pipeline.pid, interval=1.0)
        memory.start()
        started = time.monotonic()
        s3.put_object(Bucket=wiring.bucket, Key=warmup[0], Body=warmup[1])
        while warmup[2] not in tail.seen:
            if pipeline.poll() is not None or time.monotonic() - started > 120:
                raise RuntimeError(f"pipeline did not start; see {work / 'pipeline.log'}")
            time.sleep(0.05)
        print(f"pipeline up; first alert {tail.seen[warmup[2]] - started:.1f} s after the first put", file=sys.stderr)

        put_at: dict[str, float] = {}
        first_put = time.monotonic()
        for n, (key, body, trail) in enumerate(objects):
            pause = first_put + n / objects_per_second - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            s3.put_object(Bucket=wiring.bucket, Key=key, Body=body)
            put_at[trail] = time.monotonic()
        last_put = time.monotonic()
        deadline = last_put + 60
        while len([t for t in put_at if t in tail.seen]) < len(put_at) and time.monotonic() < deadline:
            time.sleep(0.1)
        tail.stop()
        memory.stop()
    finally:
        if pipeline is not None and pipeline.poll() is None:
            pipeline.send_signal(signal.SIGTERM)
            try:
                pipeline.wait(timeout=60)
            except subprocess.TimeoutExpired:
                pipeline.kill()
        moto.terminate()
        moto.wait()

    latencies = [tail.seen[t] - put_at[t] for t in put_at if t in tail.seen]
    missing = len(put_at) - len(latencies)
    events = len(latencies) * args.events_per_object
    span = max(tail.seen[t] for t in put_at if t in tail.seen) - first_put
    sustained = events / span
    offered = len(put_at) * args.events_per_object / (last_put - first_put)
    p50, p95, p99 = (percentile(latencies, share) for share in (0.50, 0.95, 0.99))
    half = len(latencies) // 2
    print(f"objects {len(put_at)} ({args.events_per_object} events each), alerts seen {len(latencies)}, missing {missing}")
    print(f"offered {offered:.0f} events/s, sustained {sustained:.0f} events/s over {span:.1f} s")
    print(f"latency PutObject -> alert written: p50 {p50:.2f} s, p95 {p95:.2f} s, p99 {p99:.2f} s, "
          f"max {max(latencies):.2f} s (first half median {statistics.median(latencies[:half]):.2f} s, "
          f"second half {statistics.median(latencies[half:]):.2f} s)")
    print(memory_report(memory.between(first_put, last_put)))
    print(f"work folder: {work}")
    met = missing == 0 and p50 <= BAR_P50 and p99 <= BAR_P99 and sustained >= BAR_RATE * 0.98
    print("bar (p50 <= 3 s, p99 <= 10 s at >= 2,000 events/s):", "met" if met else "MISSED")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
