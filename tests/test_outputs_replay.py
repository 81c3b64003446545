"""Slack outage -> dead letters in the lake -> `iota alerts replay` delivers exactly the missing alerts."""
from __future__ import annotations

import glob

import apache_beam as beam
import pytest
import yaml
from apache_beam.testing.test_pipeline import TestPipeline

from pipeline.cli import main as iota
from tests.alert_documents import console_login_alert, update_of
from tests.http_recorder import RecordedRequest, Reply, http_recorder  # noqa: F401
from transforms.deliver import BeamFiles, DeliverAlerts
from transforms.outputs.dead_letters import DeadLetterStore, UndeliveredAlert
from transforms.outputs.delivery import DeliveryOutcome
from transforms.outputs.routing import load_outputs_config

WEBHOOK_PATH = "/services/T0001/B0001/replaysecret"


@pytest.fixture()
def outputs_file(http_recorder, monkeypatch, tmp_path) -> str:
    monkeypatch.setenv("IOTA_TEST_SLACK_URL", http_recorder.url + WEBHOOK_PATH)
    monkeypatch.setenv("IOTA_TEST_BOT_TOKEN", "xoxb-test-token")
    monkeypatch.setenv("IOTA_TEST_HOOK_URL", http_recorder.url + "/hooks/siem")
    path = tmp_path / "outputs.yml"
    path.write_text(yaml.safe_dump({
        "outputs": [
            {"id": "soc-slack", "type": "slack_webhook", "webhook_url": {"env": "IOTA_TEST_SLACK_URL"},
             "rate_limit_per_second": 50},
            {"id": "soc-threads", "type": "slack_bot", "token": {"env": "IOTA_TEST_BOT_TOKEN"},
             "channel": "C0123456789", "api_url": http_recorder.url, "rate_limit_per_second": 50},
            {"id": "siem", "type": "webhook", "url": {"env": "IOTA_TEST_HOOK_URL"}},
        ],
        "routing": {"HIGH": ["soc-slack"]},
        "retry": {"max_attempts": 2, "base_delay_seconds": 0.01},
    }))
    return str(path)


def replay(outputs_file: str, lake: str, *more: str) -> int:
    return iota(["alerts", "replay", "--outputs", outputs_file, "--lake", lake, *more])


def alert_id_in(request: RecordedRequest) -> str:
    """The alert id a Slack message names in its closing context line ("alert <id> · dedup ...")."""
    return request.json()["blocks"][-1]["elements"][0]["text"].split()[1]


def test_outage_dead_letters_then_replay_delivers_exactly_the_missing_alerts(http_recorder, outputs_file, tmp_path):
    lake = str(tmp_path / "lake")
    alerts = [console_login_alert(number) for number in (1, 2, 3)]
    down_for = {alerts[1]["alert_id"], alerts[2]["alert_id"]}
    outage = True

    def slack(request: RecordedRequest) -> Reply:
        down = outage and alert_id_in(request) in down_for
        return Reply(503, "service unavailable") if down else Reply(200, "ok")

    http_recorder.respond_with(slack)
    with TestPipeline() as pipeline:
        _ = pipeline | beam.Create(alerts) | DeliverAlerts(load_outputs_config(outputs_file), lake)

    stored = sorted(glob.glob(f"{lake}/_undelivered/output=soc-slack/*.json"))
    assert len(stored) == 2
    records = [UndeliveredAlert.from_json(open(path, "rb").read()) for path in stored]
    assert sorted(record.alert["alert_id"] for record in records) == sorted(down_for)
    for record in records:
        assert (record.output_id, record.status, record.response_body) == ("soc-slack", 503, "service unavailable")
        assert record.last_error == "server error (HTTP 503)" and 1 <= record.attempts <= 2
    assert not any("replaysecret" in open(path).read() for path in stored)

    outage = False
    before = len(http_recorder.requests)
    assert replay(outputs_file, lake) == 0

    assert sorted(alert_id_in(request) for request in http_recorder.requests[before:]) == sorted(down_for)
    assert glob.glob(f"{lake}/_undelivered/**/*.json", recursive=True) == []
    assert replay(outputs_file, lake) == 0 and len(http_recorder.requests) == before + 2


def put_dead_letter(lake: str, output_id: str, alert: dict, thread_ref: str | None = None) -> None:
    outcome = DeliveryOutcome(output_id, False, 6, thread_ref, error="server error (HTTP 503)", status=503)
    DeadLetterStore(lake, BeamFiles()).put(UndeliveredAlert.from_outcome(outcome, alert, "2025-01-01T12:04:00Z"))


def test_replay_of_one_output_leaves_the_others_alone(http_recorder, outputs_file, tmp_path):
    lake = str(tmp_path / "lake")
    put_dead_letter(lake, "soc-slack", console_login_alert(1))
    put_dead_letter(lake, "siem", console_login_alert(1))

    assert replay(outputs_file, lake, "--output", "siem") == 0

    assert [request.path for request in http_recorder.requests] == ["/hooks/siem"]
    assert len(glob.glob(f"{lake}/_undelivered/output=soc-slack/*.json")) == 1
    assert glob.glob(f"{lake}/_undelivered/output=siem/*.json") == []


def test_replay_that_fails_again_keeps_the_record_with_its_attempts_added(http_recorder, outputs_file, tmp_path):
    lake = str(tmp_path / "lake")
    http_recorder.respond_with(lambda request: Reply(410, "channel_is_archived"))
    put_dead_letter(lake, "soc-slack", console_login_alert(1))

    assert replay(outputs_file, lake) == 1

    [path] = glob.glob(f"{lake}/_undelivered/output=soc-slack/*.json")
    record = UndeliveredAlert.from_json(open(path, "rb").read())
    assert record.attempts == 7 and record.status == 410 and record.response_body == "channel_is_archived"
    assert record.first_failed_at == "2025-01-01T12:04:00Z" and record.last_failed_at != record.first_failed_at


def test_replayed_bot_update_threads_under_the_original_replayed_before_it(http_recorder, outputs_file, tmp_path):
    lake = str(tmp_path / "lake")
    http_recorder.respond_with(lambda request: Reply(200, {"ok": True, "ts": "1735732800.000777"}))
    alert = console_login_alert(1)
    put_dead_letter(lake, "soc-threads", update_of(alert, 4, "2025-01-01T12:30:00.000000Z"))
    put_dead_letter(lake, "soc-threads", alert)

    assert replay(outputs_file, lake) == 0

    original, reply = [request.json() for request in http_recorder.requests]
    assert "thread_ts" not in original and reply["thread_ts"] == "1735732800.000777"


def test_replay_refuses_an_output_id_the_config_does_not_define(outputs_file, tmp_path, capsys):
    assert replay(outputs_file, str(tmp_path / "lake"), "--output", "pager") == 2
    assert "output 'pager' is not defined" in capsys.readouterr().err


def test_replay_reads_and_clears_dead_letters_in_an_s3_lake(http_recorder, outputs_file, s3_client, moto_endpoint):
    s3_client.create_bucket(Bucket="iota-lake-replay")
    alert = console_login_alert(9)
    outcome = DeliveryOutcome("soc-slack", False, 6, error="server error (HTTP 503)", status=503)
    key = f"_undelivered/output=soc-slack/{alert['alert_id']}-alert-1.json"
    s3_client.put_object(Bucket="iota-lake-replay", Key=key,
                         Body=UndeliveredAlert.from_outcome(outcome, alert, "2025-01-01T12:04:00Z").to_json())
    assert replay(outputs_file, "s3://iota-lake-replay", f"--s3_endpoint_url={moto_endpoint}",
                  "--s3_region_name=us-east-1") == 0
    assert [alert_id_in(request) for request in http_recorder.requests] == [alert["alert_id"]]
    assert s3_client.list_objects_v2(Bucket="iota-lake-replay").get("KeyCount") == 0
