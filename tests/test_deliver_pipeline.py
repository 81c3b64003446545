"""DeliverAlerts and ArchiveAlerts as Beam transforms (TestPipeline / TestStream) against a local HTTP server."""
from __future__ import annotations

import glob
import io
import os

import apache_beam as beam
import fastavro
import pytest
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.test_stream import TestStream
from apache_beam.testing.util import assert_that, equal_to
from apache_beam.transforms.window import TimestampedValue

from tests.alert_documents import console_login_alert, update_of
from tests.http_recorder import RecordedRequest, Reply, http_recorder  # noqa: F401
from transforms.deliver import ArchiveAlerts, DeliverAlerts
from transforms.outputs.dead_letters import UndeliveredAlert
from transforms.outputs.routing import parse_outputs_config

WEBHOOK_PATH = "/services/T0001/B0001/pipelinesecret"


@pytest.fixture()
def outputs_config(http_recorder, monkeypatch):
    monkeypatch.setenv("IOTA_TEST_SLACK_URL", http_recorder.url + WEBHOOK_PATH)
    monkeypatch.setenv("IOTA_TEST_PD_KEY", "R0UT1NGKEY0123456789ABCDEFGHIJKL")
    monkeypatch.setenv("IOTA_TEST_BOT_TOKEN", "xoxb-test-token")
    return parse_outputs_config({
        "outputs": [
            {"id": "soc-slack", "type": "slack_webhook", "webhook_url": {"env": "IOTA_TEST_SLACK_URL"},
             "rate_limit_per_second": 50},
            {"id": "oncall", "type": "pagerduty", "routing_key": {"env": "IOTA_TEST_PD_KEY"},
             "events_url": http_recorder.url + "/v2/enqueue"},
            {"id": "soc-threads", "type": "slack_bot", "token": {"env": "IOTA_TEST_BOT_TOKEN"},
             "channel": "C0123456789", "api_url": http_recorder.url, "rate_limit_per_second": 50},
        ],
        "routing": {"CRITICAL": ["oncall", "soc-slack"], "HIGH": ["soc-slack"]},
        "retry": {"max_attempts": 2, "base_delay_seconds": 0.01},
    })


def answer_like_the_real_services(server) -> None:
    def answer(request: RecordedRequest) -> Reply:
        if request.path == "/v2/enqueue":
            return Reply(202, {"status": "success"})
        if request.path == "/chat.postMessage":
            return Reply(200, {"ok": True, "ts": f"1735732800.{len(server.requests):06d}"})
        return Reply(200, "ok")
    server.respond_with(answer)


def counter(result, name: str) -> int:
    found = result.metrics().query(MetricsFilter().with_name(name))["counters"]
    return sum(item.committed for item in found)


def test_each_alert_reaches_each_routed_output_once_even_if_the_document_comes_twice(
        http_recorder, outputs_config, tmp_path):
    answer_like_the_real_services(http_recorder)
    high, critical = console_login_alert(1), console_login_alert(2, severity="CRITICAL")
    pipeline = TestPipeline()
    receipts = (pipeline | beam.Create([high, critical, high])
                | DeliverAlerts(outputs_config, str(tmp_path / "lake")))
    assert_that(receipts | beam.Map(lambda r: (r["alert_id"], r["output_id"], r["delivered"])),
                equal_to([(high["alert_id"], "soc-slack", True), (critical["alert_id"], "oncall", True),
                          (critical["alert_id"], "soc-slack", True)]))

    result = pipeline.run()
    result.wait_until_finish()

    assert len(http_recorder.requests_to(WEBHOOK_PATH)) == 2
    assert [r.json()["dedup_key"] for r in http_recorder.requests_to("/v2/enqueue")] == [critical["alert_id"]]
    assert counter(result, "soc-slack.sent") == 2 and counter(result, "oncall.sent") == 1
    assert counter(result, "duplicates_skipped") == 1
    assert not os.path.exists(tmp_path / "lake" / "_undelivered")


def test_update_threads_under_its_alert_using_the_ts_kept_in_state(http_recorder, outputs_config, tmp_path):
    answer_like_the_real_services(http_recorder)
    alert = console_login_alert(3, destinations=["soc-threads"])
    update = update_of(alert, 7, "2025-01-01T12:59:00.000000Z")
    options = PipelineOptions()
    options.view_as(StandardOptions).streaming = True
    with TestPipeline(options=options) as pipeline:
        _ = (pipeline
             | TestStream().add_elements([TimestampedValue(alert, 1735733007)])
             .add_elements([TimestampedValue(update, 1735736340)]).advance_watermark_to_infinity()
             | DeliverAlerts(outputs_config, str(tmp_path / "lake")))

    original, reply = [request.json() for request in http_recorder.requests_to("/chat.postMessage")]
    assert "thread_ts" not in original
    assert reply["thread_ts"] == "1735732800.000001"


def test_alert_naming_an_unknown_output_is_dead_lettered_with_the_reason(http_recorder, outputs_config, tmp_path):
    lake = tmp_path / "lake"
    alert = console_login_alert(4, destinations=["sec-teams"])
    with TestPipeline() as pipeline:
        _ = pipeline | beam.Create([alert]) | DeliverAlerts(outputs_config, str(lake))

    [path] = glob.glob(str(lake / "_undelivered" / "output=sec-teams" / "*.json"))
    record = UndeliveredAlert.from_json(open(path, "rb").read())
    assert record.alert == alert and record.attempts == 0
    assert record.last_error == "unknown output id 'sec-teams' (configured: oncall, soc-slack, soc-threads)"
    assert http_recorder.requests == []


def test_permanent_refusal_goes_to_the_dead_letter_store_at_once_with_the_answer(
        http_recorder, outputs_config, tmp_path):
    http_recorder.respond_with(lambda request: Reply(400, "invalid_blocks"))
    lake = tmp_path / "lake"
    with TestPipeline() as pipeline:
        _ = pipeline | beam.Create([console_login_alert(7)]) | DeliverAlerts(outputs_config, str(lake))

    [path] = glob.glob(str(lake / "_undelivered" / "output=soc-slack" / "*.json"))
    record = UndeliveredAlert.from_json(open(path, "rb").read())
    assert (record.attempts, record.status, record.response_body) == (1, 400, "invalid_blocks")
    assert len(http_recorder.requests) == 1 and "pipelinesecret" not in open(path).read()


def test_archive_writes_each_alert_once_into_its_event_hour_and_a_rerun_changes_nothing(tmp_path):
    lake = str(tmp_path / "lake")
    alert = console_login_alert(5)
    alerts = [alert, update_of(alert, 3, "2025-01-01T12:30:00.000000Z"),
              console_login_alert(6, first_event_time="2025-01-01T23:59:59.000000Z")]

    def run() -> dict[str, bytes]:
        with TestPipeline() as pipeline:
            _ = pipeline | beam.Create(alerts) | ArchiveAlerts(lake)
        files = sorted(glob.glob(f"{lake}/alerts/**/*.avro", recursive=True))
        return {os.path.relpath(path, lake): open(path, "rb").read() for path in files}

    first, second = run(), run()

    assert first == second
    assert sorted(first) == [
        f"alerts/year=2025/month=01/day=01/hour=12/{alert['alert_id']}-alert-1.avro",
        f"alerts/year=2025/month=01/day=01/hour=12/{alert['alert_id']}-update-3.avro",
        f"alerts/year=2025/month=01/day=01/hour=23/{console_login_alert(6)['alert_id']}-alert-1.avro",
    ]
    [record] = list(fastavro.reader(io.BytesIO(first[sorted(first)[1]])))
    assert (record["kind"], record["count"], record["rule_id"]) == ("update", 3, "AWS.Console.LoginWithoutMFA")
    assert record["first_event_time"].isoformat() == "2025-01-01T12:03:27+00:00"


@pytest.mark.portable
def test_delivery_state_and_timers_run_on_the_portable_runner(http_recorder, outputs_config, tmp_path):
    answer_like_the_real_services(http_recorder)
    alert = console_login_alert(8)
    options = PipelineOptions(["--runner=PortableRunner", "--job_endpoint=embed", "--environment_type=LOOPBACK"])
    with beam.Pipeline(options=options) as pipeline:
        alerts = pipeline | beam.Create([alert, alert])
        _ = alerts | DeliverAlerts(outputs_config, str(tmp_path / "lake"))
        _ = alerts | ArchiveAlerts(str(tmp_path / "lake"))

    assert len(http_recorder.requests_to(WEBHOOK_PATH)) == 1
    assert len(glob.glob(str(tmp_path / "lake" / "alerts" / "**" / "*.avro"), recursive=True)) == 1
