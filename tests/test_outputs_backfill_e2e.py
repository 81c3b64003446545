"""Whole runs whose alerts arrive at a local Slack endpoint (and a PagerDuty one): backfill, archive, live."""
from __future__ import annotations

import glob
import io
import os
import signal
from pathlib import Path

import fastavro
import pytest
import yaml

from pipeline.cli import main as iota
from tests.cloudtrail import SMALL_TRAIL, root_console_login, write_trail_folder
from tests.http_recorder import RecordedRequest, Reply, http_recorder  # noqa: F401
from tests.live_support import (in_background, iota_run_sqs, join_checked, minutes_ago, put_log, read_alerts,
                                wait_for, wired)

RULES = str(Path(__file__).parent / "fixtures" / "rules")
WEBHOOK_PATH = "/services/T0001/B0001/backfillsecret"


@pytest.fixture()
def trail(tmp_path) -> Path:
    folder = tmp_path / "trail"
    write_trail_folder(folder, SMALL_TRAIL)
    return folder


@pytest.fixture()
def outputs_file(http_recorder, monkeypatch, tmp_path) -> Path:
    monkeypatch.setenv("IOTA_E2E_SLACK_URL", http_recorder.url + WEBHOOK_PATH)
    monkeypatch.setenv("IOTA_E2E_PD_KEY", "R0UT1NGKEY0123456789ABCDEFGHIJKL")
    path = tmp_path / "outputs.yml"
    path.write_text(yaml.safe_dump({
        "outputs": [
            {"id": "soc-slack", "type": "slack_webhook", "webhook_url": {"env": "IOTA_E2E_SLACK_URL"},
             "rate_limit_per_second": 20},
            {"id": "oncall", "type": "pagerduty", "routing_key": {"env": "IOTA_E2E_PD_KEY"},
             "events_url": http_recorder.url + "/v2/enqueue"},
        ],
        "routing": {"CRITICAL": ["oncall", "soc-slack"], "HIGH": ["soc-slack"]},
    }))
    return path


def answer_like_slack_and_pagerduty(request: RecordedRequest) -> Reply:
    return Reply(202, {"status": "success"}) if request.path == "/v2/enqueue" else Reply(200, "ok")


def backfill(trail: Path, tmp_path: Path, *more: str) -> int:
    return iota(["backfill", "--input", str(trail), "--lake", str(tmp_path / "lake"), "--rules", RULES,
                 "--alerts-file", str(tmp_path / "alerts.jsonl"), *more])


def test_backfill_alerts_arrive_at_the_local_slack_endpoint(http_recorder, trail, outputs_file, tmp_path, capsys):
    http_recorder.respond_with(answer_like_slack_and_pagerduty)

    assert backfill(trail, tmp_path, "--outputs", str(outputs_file)) == 0

    alerts = read_alerts(tmp_path / "alerts.jsonl")
    assert sorted((a["rule_id"], a["kind"]) for a in alerts) == [
        ("Test.CloudTrail.Stopped", "alert"), ("Test.CloudTrail.Stopped", "update"), ("Test.Root.ConsoleLogin", "alert")]
    slack = [request.json() for request in http_recorder.requests_to(WEBHOOK_PATH)]
    posted = sorted((message["blocks"][-1]["elements"][0]["text"].split()[1],
                     "update" if message["blocks"][0]["text"]["text"].startswith(":repeat: Update") else "alert")
                    for message in slack)
    assert posted == sorted((a["alert_id"], a["kind"]) for a in alerts)
    root = next(a for a in alerts if a["rule_id"] == "Test.Root.ConsoleLogin")
    assert [r.json()["dedup_key"] for r in http_recorder.requests_to("/v2/enqueue")] == [root["alert_id"]]
    assert not (tmp_path / "lake" / "_undelivered").exists()
    summary = capsys.readouterr().err
    assert "outputs      4 sent, 0 undelivered" in summary and "archive      3 alert documents" in summary


def test_backfill_without_outputs_archives_its_alerts_and_sends_nothing(http_recorder, trail, outputs_file, tmp_path):
    assert backfill(trail, tmp_path) == 0

    archived = [next(fastavro.reader(io.BytesIO(Path(path).read_bytes())))
                for path in glob.glob(str(tmp_path / "lake" / "alerts" / "year=2025" / "month=01" / "day=01"
                                          / "hour=12" / "*.avro"))]
    alerts = read_alerts(tmp_path / "alerts.jsonl")
    assert sorted((r["alert_id"], r["kind"], r["count"]) for r in archived) == sorted(
        (a["alert_id"], a["kind"], a["count"]) for a in alerts)
    assert http_recorder.requests == []


def test_backfill_refuses_an_outputs_file_that_routes_to_an_undefined_output(trail, outputs_file, tmp_path, capsys):
    document = yaml.safe_load(outputs_file.read_text())
    document["routing"]["HIGH"] = ["soc-teams"]
    outputs_file.write_text(yaml.safe_dump(document))

    assert backfill(trail, tmp_path, "--outputs", str(outputs_file)) == 2

    assert "routing.HIGH names unknown output ids soc-teams" in capsys.readouterr().err
    assert not (tmp_path / "lake").exists()


@pytest.mark.e2e
def test_live_run_delivers_an_alert_to_slack_while_it_is_running(http_recorder, outputs_file, moto_endpoint, tmp_path):
    http_recorder.respond_with(answer_like_slack_and_pagerduty)
    wiring = wired(moto_endpoint, "live-outputs")

    def put_then_stop_once_slack_has_it():
        put_log(moto_endpoint, wiring.bucket, [root_console_login(minutes_ago(5), "l1")], "LIVE")
        wait_for(lambda: len(http_recorder.requests_to(WEBHOOK_PATH)) == 1, 60, "the alert to reach Slack")
        os.kill(os.getpid(), signal.SIGTERM)

    putter = in_background(put_then_stop_once_slack_has_it)
    code = iota_run_sqs(moto_endpoint, wiring.queue_url, tmp_path / "lake", tmp_path / "alerts.jsonl",
                        "--outputs", str(outputs_file), "--stop-when-idle", "60s")
    join_checked(putter)

    assert code == 0
    [alert] = read_alerts(tmp_path / "alerts.jsonl")
    [message] = [request.json() for request in http_recorder.requests_to(WEBHOOK_PATH)]
    assert alert["alert_id"] in message["blocks"][-1]["elements"][0]["text"]
    assert [r.json()["dedup_key"] for r in http_recorder.requests_to("/v2/enqueue")] == [alert["alert_id"]]
