"""Burst of alerts to a Slack-like endpoint that allows `--rate` messages a second and answers 429 beyond it.

Runs the real path: a Beam pipeline (DirectRunner) with DeliverAlerts and a
slack_webhook output whose rate limit matches the endpoint's, against a local HTTP
server on 127.0.0.1 that answers 429 with an integer Retry-After when a message comes
too soon. Reports: alerts accepted, lost, duplicated, dead-lettered, 429s received,
total time and its ratio to the floor ((alerts - 1) / rate seconds).

    python benchmarks/alert_delivery_benchmark.py                     # 1,000 alerts at 1/s (~17 min)
    python benchmarks/alert_delivery_benchmark.py --alerts 100 --rate 20
"""
from __future__ import annotations

import argparse
import glob
import os
import sys
import tempfile
import time
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import apache_beam as beam  # noqa: E402
from apache_beam.metrics.metric import MetricsFilter  # noqa: E402

from tests.alert_documents import console_login_alert  # noqa: E402
from tests.http_recorder import RateLimitedEndpoint, RecordedRequest, RecordingServer  # noqa: E402
from transforms.deliver import DeliverAlerts  # noqa: E402
from transforms.outputs.routing import parse_outputs_config  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=1.0, help="messages per second the endpoint accepts")
    args = parser.parse_args()

    endpoint = RateLimitedEndpoint(per_second=args.rate)
    accepted: Counter[str] = Counter()
    refused = 0

    def answer(request: RecordedRequest):
        nonlocal refused
        reply = endpoint(request)
        if reply.status == 200:
            accepted[request.json()["blocks"][-1]["elements"][0]["text"].split()[1]] += 1
        else:
            refused += 1
        return reply

    alerts = [console_login_alert(number) for number in range(1, args.alerts + 1)]
    with RecordingServer() as server, tempfile.TemporaryDirectory() as lake:
        server.respond_with(answer)
        os.environ["IOTA_BENCH_SLACK_URL"] = server.url + "/services/T0001/B0001/benchmark"
        config = parse_outputs_config({
            "outputs": [{"id": "soc-slack", "type": "slack_webhook", "webhook_url": {"env": "IOTA_BENCH_SLACK_URL"},
                         "rate_limit_per_second": args.rate}],
            "routing": {"HIGH": ["soc-slack"]},
        })
        started = time.monotonic()
        pipeline = beam.Pipeline()
        _ = pipeline | beam.Create(alerts) | DeliverAlerts(config, lake)
        result = pipeline.run()
        result.wait_until_finish()
        elapsed = time.monotonic() - started
        dead_letters = len(glob.glob(f"{lake}/_undelivered/**/*.json", recursive=True))
        first_request = min(request.received_at for request in server.requests)
        last_request = max(request.received_at for request in server.requests)

    def counter(name: str) -> int:
        return sum(c.committed for c in result.metrics().query(MetricsFilter().with_name(name))["counters"])

    expected = {alert["alert_id"] for alert in alerts}
    floor = (args.alerts - 1) / args.rate
    delivering = last_request - first_request
    print(f"alerts sent into the pipeline : {args.alerts}")
    print(f"accepted by the endpoint      : {sum(accepted.values())} ({len(accepted)} distinct)")
    print(f"lost                          : {len(expected - set(accepted))}")
    print(f"duplicated                    : {sum(count - 1 for count in accepted.values() if count > 1)}")
    print(f"dead-lettered                 : {dead_letters}")
    print(f"429 answers                   : {refused} (metric rate_limited={counter('soc-slack.rate_limited')}, "
          f"retried={counter('soc-slack.retried')})")
    print(f"floor ((n-1)/rate)            : {floor:.1f} s")
    print(f"first to last request         : {delivering:.1f} s  ({delivering / floor:.3f} x floor)")
    print(f"whole pipeline run            : {elapsed:.1f} s  ({elapsed / floor:.3f} x floor)")
    return 0 if set(accepted) == expected and all(c == 1 for c in accepted.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
