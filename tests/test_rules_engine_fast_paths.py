"""The engine's fast paths give exactly what the plain paths give.

Covers the value-field index's routing (errorCode, userIdentity.type; what it learns
is tested in test_rules_engine), the indexed engine against every rule on every record
over generated traffic with odd records, the alert_context copy that skips the JSON
round trip, the optional functions' fixed order and the remembered is_public_ip.
"""
from __future__ import annotations

import copy
import ipaddress
import json
import random
from datetime import datetime, timedelta, timezone

import pytest

from benchmarks.cloudtrail_gen import ATTACK_KINDS, CloudTrailGenerator
from tests.test_rules_engine import SIGNIN, engine_for, evaluate_both, write_rule
from transforms.rules_engine import BUNDLED_RULES_DIR, RuleEngine, load_rule_bundle
from transforms.rules_engine.event import ImmutableList, PantherEvent, json_default
from transforms.rules_engine.rule import MAX_ALERT_CONTEXT_BYTES, _alert_context, _Unusable

DENIED = 'DENIED = ("AccessDenied", "UnauthorizedOperation")\n\n'


def test_value_fields_route_as_the_rule_reads_them(tmp_path):
    write_rule(tmp_path, "denied", DENIED + 'def rule(event):\n    return event.get("errorCode") in DENIED\n')
    write_rule(tmp_path, "root", 'def rule(event):\n    return event.deep_get("userIdentity", "type") == "Root"\n')
    engine = engine_for(tmp_path)

    def routed(**changes) -> list[str]:
        record = dict(SIGNIN, **changes)
        return [rule.rule_id for rule in engine.candidates(record)]

    assert routed() == []  # no errorCode, an IAMUser
    assert routed(errorCode="AccessDenied") == ["denied"]
    assert routed(errorCode="ThrottlingException") == []
    assert routed(ErrorCode="AccessDenied") == ["denied"]  # another casing: the rule's lookup finds it
    assert routed(errorCode={"code": "AccessDenied"}) == ["denied"]  # not comparable: the rule decides
    assert routed(userIdentity={"type": "Root"}) == ["root"]
    assert routed(userIdentity={"TYPE": "Root"}) == ["root"]
    assert routed(userIdentity=None) == []
    assert routed(userIdentity="Root") == []  # deep_get through a string gives None, as the rule sees
    assert routed(userIdentity={"type": ["Root"]}) == ["root"]


def _odd(record: dict, rng: random.Random) -> dict:
    """The record with one field the index or the rules read given another casing, type or null."""
    record = copy.deepcopy(record)
    change = rng.randrange(9)
    if change == 0:
        record["ErrorCode"] = record.pop("errorCode", "AccessDenied")
    elif change == 1:
        record["errorCode"] = rng.choice([None, "", "AccessDenied", "Client.UnauthorizedOperation", {"c": 1}, ["AccessDenied"]])
    elif change == 2:
        record["userIdentity"] = rng.choice(
            [None, "Root", {"Type": "Root"}, {"type": None}, {"TYPE": "IAMUser", "arn": "arn:aws:iam::1:user/x"}, [], {"type": 7}]
        )
    elif change == 3:
        record["readOnly"] = rng.choice(["true", 1, None, 0, True])
    elif change == 4:
        record["EventName"] = record.pop("eventName", "ListUsers")
    elif change == 5:
        record["eventSource"] = rng.choice([None, 5, "IAM.amazonaws.com", "iam.amazonaws.com"])
    elif change == 6:
        record["userAgent"] = rng.choice([None, 7, "kali", {"a": "b"}, "Boto3/1.34 pacu"])
    elif change == 7:
        record["sourceIPAddress"] = rng.choice([None, "8.8.8.8", 12, "::1", "ec2.amazonaws.com"])
    else:
        record.update(readOnly=False, eventType="AwsApiCall", userIdentity={"type": "Root", "arn": "arn:aws:iam::1:root"})
    return record


def test_indexed_engine_equals_every_rule_on_every_record_over_generated_traffic():
    bundle = load_rule_bundle([BUNDLED_RULES_DIR])
    indexed, everything = RuleEngine(bundle), RuleEngine(bundle, use_index=False)
    generator, rng = CloudTrailGenerator(seed=11), random.Random(11)
    start = datetime(2025, 1, 1, tzinfo=timezone.utc)
    records = [
        generator.background_event("111122223333", rng.choice(["us-east-1", "eu-west-1"]), start + timedelta(seconds=i))
        for i in range(1500)
    ]
    records += [generator.attack_event(kind, "111122223333", "us-east-1", start) for kind in ATTACK_KINDS]
    records += [_odd(rng.choice(records), rng) for _ in range(1500)]
    for record in records:
        record["p_log_type"] = "AWS.CloudTrail"
    matches, errors = evaluate_both(indexed, everything, records)
    assert matches > 100 and errors > 10  # the comparison saw both


class _Tags(dict):
    """A dict subclass: the JSON round trip treats it as a dict, the fast copy must not guess."""


@pytest.mark.parametrize(
    "value",
    [
        {"event": PantherEvent(SIGNIN)},
        PantherEvent(SIGNIN),
        {"ips": ImmutableList(["198.51.100.23"]), "pair": ("a", 1), "nested": [{"k": [1.5, -0.0, True, None]}]},
        {"big": 2**70, "float": 1e300, "tiny": 5e-324},
        {"nan": float("nan")},
        {"inf": float("-inf")},
        {"surrogate": "\ud800x", "astral": "\U0001f600", "latin": "Zoë"},
        {1: "int key"},
        {"set": {"b"}},
        {"tags": _Tags(env="prod")},
        {"deep": json.loads("[" * 100 + "]" * 100)},
        {"when": datetime(2025, 1, 1, tzinfo=timezone.utc)},
        {"astral_blob": "\U0001f600" * 20_000},
        {"blob": "x" * (MAX_ALERT_CONTEXT_BYTES - 20)},
        {"blob": "x" * MAX_ALERT_CONTEXT_BYTES},
        {"odd": object()},
    ],
    ids=["views", "event", "lists-tuples-floats", "big-numbers", "nan", "inf", "unicode", "int-key", "set",
         "dict-subclass", "deep-nesting", "datetime", "astral-oversized", "just-under", "over", "unserialisable"],
)
def test_alert_context_copy_equals_the_json_round_trip(value):
    def round_trip():
        text = json.dumps(value, default=json_default)
        if len(text.encode("utf-8")) > MAX_ALERT_CONTEXT_BYTES:
            raise _Unusable("oversized")
        return json.loads(text)

    try:
        expected = round_trip()
    except (TypeError, ValueError, _Unusable):
        with pytest.raises(_Unusable):
            _alert_context(value)
        return
    got = _alert_context(value)
    assert json.dumps(got, sort_keys=False) == json.dumps(expected, sort_keys=False)
    assert _types(got) == _types(expected)


def _types(value):
    if isinstance(value, dict):
        return {key: _types(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_types(item) for item in value]
    return type(value).__name__


def test_optional_functions_run_and_fail_in_a_fixed_order(tmp_path):
    names = ["title", "dedup", "severity", "alert_context", "unique", "description", "runbook", "reference", "destinations"]
    functions = "".join(f"\ndef {name}(event):\n    CALLS.append({name!r})\n    raise ValueError({name!r})\n" for name in names)
    write_rule(tmp_path, "login", "CALLS = []\n" + functions + '\ndef rule(event):\n    return event.get("eventName") == "ConsoleLogin"\n')
    engine = engine_for(tmp_path)
    (rule,) = engine.rules
    result = engine.evaluate(SIGNIN)
    assert rule.module.CALLS == names
    assert [error.function for error in result.errors] == names
    (match,) = result.matches
    assert (match.title, match.dedup, match.unique, match.destinations) == ("login", "login", None, None)
    assert match.alert_context == {"_error": "alert_context"}


def test_remembered_public_ip_answers_match_a_fresh_parse():
    RuleEngine(load_rule_bundle([BUNDLED_RULES_DIR]))  # makes the bundled helpers importable
    from iota_cloudtrail_helpers import is_public_ip

    def fresh(address) -> bool:
        try:
            return ipaddress.ip_address(address).is_global
        except (TypeError, ValueError):
            return False

    addresses = ["8.8.8.8", "10.0.0.1", "::1", "2001:4860:4860::8888", "ec2.amazonaws.com", "", None, 134744072, b"\x08\x08\x08\x08"]
    expected = [fresh(a) for a in addresses]
    assert expected == [True, False, False, True, False, False, False, True, True]
    assert [is_public_ip(a) for a in addresses] == expected
    assert [is_public_ip(a) for a in addresses] == expected  # a second time, from memory
