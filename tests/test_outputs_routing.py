"""The --outputs file: routing by severity and by rule destinations, and start-up errors that name the problem."""
from __future__ import annotations

import pytest
import yaml

from tests.alert_documents import console_login_alert
from tests.http_recorder import Reply, http_recorder  # noqa: F401
from transforms.outputs.routing import load_outputs_config
from transforms.outputs.settings import OutputsConfigError
from transforms.outputs.slack_webhook import SlackWebhookOutput

SLACK_URL = "https://hooks.slack.com/services/T0001/B0001/secretsecretsecret"


@pytest.fixture()
def secrets_env(monkeypatch, tmp_path):
    monkeypatch.setenv("IOTA_TEST_SLACK_URL", SLACK_URL)
    monkeypatch.setenv("IOTA_TEST_PD_KEY", "R0UT1NGKEY0123456789ABCDEFGHIJKL")
    token_file = tmp_path / "slack-bot-token"
    token_file.write_text("xoxb-1111-2222-secret\n")
    return token_file


def write_config(tmp_path, document) -> str:
    path = tmp_path / "outputs.yml"
    path.write_text(yaml.safe_dump(document))
    return str(path)


def standard_config(token_file) -> dict:
    return {
        "outputs": [
            {"id": "soc-slack", "type": "slack_webhook", "webhook_url": {"env": "IOTA_TEST_SLACK_URL"}},
            {"id": "soc-threads", "type": "slack_bot", "token": {"file": str(token_file)}, "channel": "C0123456789"},
            {"id": "oncall", "type": "pagerduty", "routing_key": {"env": "IOTA_TEST_PD_KEY"}},
        ],
        "routing": {"CRITICAL": ["oncall", "soc-slack"], "HIGH": ["soc-slack"], "MEDIUM": ["soc-threads"]},
    }


def test_alerts_route_by_severity(tmp_path, secrets_env):
    config = load_outputs_config(write_config(tmp_path, standard_config(secrets_env)))

    assert config.route(console_login_alert(severity="CRITICAL")) == ("oncall", "soc-slack")
    assert config.route(console_login_alert(severity="HIGH")) == ("soc-slack",)
    assert config.route(console_login_alert(severity="LOW")) == ()


def test_rule_destinations_override_severity_routing(tmp_path, secrets_env):
    config = load_outputs_config(write_config(tmp_path, standard_config(secrets_env)))

    alert = console_login_alert(severity="CRITICAL", destinations=["soc-threads", "soc-threads"])

    assert config.route(alert) == ("soc-threads",)


def test_secrets_come_from_environment_and_files_and_stay_out_of_the_config(tmp_path, secrets_env, http_recorder):
    document = standard_config(secrets_env)
    document["outputs"][1]["api_url"] = http_recorder.url
    http_recorder.respond_with(lambda request: Reply(200, {"ok": True, "ts": "1735732800.000100"}))
    config = load_outputs_config(write_config(tmp_path, document))
    outputs = config.build_outputs()

    outputs["soc-threads"].send(console_login_alert(), None)

    assert isinstance(outputs["soc-slack"], SlackWebhookOutput)
    assert http_recorder.requests[0].headers["authorization"] == "Bearer xoxb-1111-2222-secret"
    assert config.outputs["soc-slack"].rate_limit_per_second == 1.0
    assert SLACK_URL not in repr(config) and "xoxb-1111-2222-secret" not in repr(config)


def test_routing_to_an_undefined_output_is_a_start_up_error(tmp_path, secrets_env):
    document = standard_config(secrets_env)
    document["routing"]["HIGH"] = ["soc-slack", "sec-teams"]

    with pytest.raises(OutputsConfigError, match="routing.HIGH names unknown output ids sec-teams"):
        load_outputs_config(write_config(tmp_path, document))


def test_rule_output_ids_are_checked_against_the_config(tmp_path, secrets_env):
    config = load_outputs_config(write_config(tmp_path, standard_config(secrets_env)))

    with pytest.raises(OutputsConfigError, match="rule AWS.IAM.AdminPolicyAttached names unknown output ids pager"):
        config.check_output_ids(["oncall", "pager"], "rule AWS.IAM.AdminPolicyAttached")


def test_a_secret_written_into_the_file_is_refused_without_echoing_it(tmp_path, secrets_env):
    document = standard_config(secrets_env)
    document["outputs"][0]["webhook_url"] = SLACK_URL

    with pytest.raises(OutputsConfigError) as error:
        load_outputs_config(write_config(tmp_path, document))

    assert "never the secret itself" in str(error.value) and SLACK_URL not in str(error.value)


def test_a_missing_secret_stops_the_start_naming_the_variable(tmp_path, secrets_env, monkeypatch):
    monkeypatch.delenv("IOTA_TEST_PD_KEY")

    with pytest.raises(OutputsConfigError, match="output 'oncall': routing_key: environment variable IOTA_TEST_PD_KEY"):
        load_outputs_config(write_config(tmp_path, standard_config(secrets_env)))


@pytest.mark.parametrize("change, message", [
    (lambda d: d["outputs"][0].update(type="teams"), "has type 'teams'"),
    (lambda d: d["outputs"][0].update(webhok_url="x"), "unknown settings webhok_url"),
    (lambda d: d["outputs"].append(dict(d["outputs"][0])), "defined twice"),
    (lambda d: d["routing"].update(SEVERE=["oncall"]), "routing has 'SEVERE'"),
    (lambda d: d.update(retry={"max_attempts": 0}), "max_attempts must be at least 1"),
    (lambda d: d["outputs"][0].update(rate_limit_per_second=0), "rate_limit_per_second must be a positive number"),
])
def test_config_mistakes_are_clear_start_up_errors(tmp_path, secrets_env, change, message):
    document = standard_config(secrets_env)
    change(document)

    with pytest.raises(OutputsConfigError, match=message):
        load_outputs_config(write_config(tmp_path, document))


def test_a_rule_naming_an_unknown_output_id_is_a_start_up_error(tmp_path, secrets_env, capsys):
    from pipeline.cli import main as iota

    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "root_login.py").write_text("def rule(event):\n    return event.get('eventName') == 'ConsoleLogin'\n")
    (rules / "root_login.yml").write_text(yaml.safe_dump({
        "AnalysisType": "rule", "RuleID": "Test.RootLogin", "Enabled": True, "Filename": "root_login.py",
        "LogTypes": ["AWS.CloudTrail"], "Severity": "High", "OutputIds": ["soc-slack", "secops-pager"]}))
    config = write_config(tmp_path, standard_config(secrets_env))

    code = iota(["backfill", "--input", str(tmp_path / "empty"), "--lake", str(tmp_path / "lake"),
                 "--rules", str(rules), "--outputs", config])

    error = capsys.readouterr().err
    assert code == 2
    assert "rule Test.RootLogin" in error and "unknown output ids secops-pager" in error
