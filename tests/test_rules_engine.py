"""The rule engine: loading, the event object, evaluation, fault isolation and normalisation."""
from __future__ import annotations

import pickle
import shutil
import textwrap
from pathlib import Path

import pytest
import yaml

from tests.cloudtrail import IAM_USER_CONSOLE_LOGIN as SIGNIN
from transforms.rules_engine import (
    BUNDLED_RULES_DIR,
    RuleEngine,
    RuleError,
    RuleLoadError,
    RuleMatch,
    load_rule_bundle,
)
from transforms.rules_engine.cache import InMemoryCacheStore, using_store
from transforms.rules_engine.index import learn_constraints
from transforms.rules_engine.testing import RuleTester
from transforms.rules_engine.event import ImmutableCaseInsensitiveDict, ImmutableList, PantherEvent, deep_get, deep_walk



def write_rule(folder: Path, stem: str, python: str, **spec) -> None:
    """A rule file pair in `folder`: `python` source and a YAML spec with sensible defaults."""
    folder.mkdir(parents=True, exist_ok=True)
    full = {
        "AnalysisType": "rule",
        "RuleID": stem,
        "Enabled": True,
        "Filename": f"{stem}.py",
        "LogTypes": ["AWS.CloudTrail"],
        "Severity": "Medium",
        **spec,
    }
    (folder / f"{stem}.py").write_text(textwrap.dedent(python))
    (folder / f"{stem}.yml").write_text(yaml.safe_dump(full))


def engine_for(folder: Path, **kwargs) -> RuleEngine:
    return RuleEngine(load_rule_bundle([str(folder)]), **kwargs)


LOGIN_RULE = """
def rule(event):
    return event.get("eventName") == "ConsoleLogin"
"""


# -- the event object ---------------------------------------------------------------------


def test_event_lookup_is_exact_first_then_case_insensitive():
    event = PantherEvent({"eventName": "ConsoleLogin", "EventName": "other", "awsRegion": "eu-west-1"})
    assert event["eventName"] == "ConsoleLogin"
    assert event["EventName"] == "other"
    assert event["AWSREGION"] == "eu-west-1"
    assert event.get("awsregion") == "eu-west-1"
    assert event.get("missing", "fallback") == "fallback"
    assert "AwsRegion" in event
    with pytest.raises(KeyError):
        event["missing"]


def test_event_is_read_only_and_wraps_nested_values():
    event = PantherEvent(SIGNIN)
    identity = event["userIdentity"]
    assert isinstance(identity, ImmutableCaseInsensitiveDict)
    assert identity["USERNAME"] == "alice"
    assert isinstance(PantherEvent({"items": [{"a": 1}]})["items"], ImmutableList)
    with pytest.raises(TypeError):
        event["eventName"] = "x"  # type: ignore[index]
    with pytest.raises(AttributeError):
        event.update({"eventName": "x"})  # type: ignore[attr-defined]


def test_deep_get_returns_default_for_missing_or_null_steps():
    event = PantherEvent(SIGNIN)
    assert event.deep_get("userIdentity", "userName") == "alice"
    assert event.deep_get("userIdentity", "sessionContext", "attributes", default="none") == "none"
    assert event.deep_get("requestParameters", "userName", default="n/a") == "n/a"
    assert event.deep_get("additionalEventData", "mfaused") == "No"
    assert deep_get({"a": [{"b": 1}, {"b": 2}]}, "a", 1, "b") == 2


def test_deep_walk_fans_out_over_lists_and_keeps_distinct_values():
    record = {
        "requestParameters": {
            "ipPermissions": {
                "items": [
                    {"ipRanges": {"items": [{"cidrIp": "0.0.0.0/0"}, {"cidrIp": "10.0.0.0/8"}]}},
                    {"ipRanges": {"items": [{"cidrIp": "0.0.0.0/0"}]}},
                ]
            }
        }
    }
    event = PantherEvent(record)
    path = ("requestParameters", "ipPermissions", "items", "ipRanges", "items", "cidrIp")
    assert list(event.deep_walk(*path)) == ["0.0.0.0/0", "10.0.0.0/8"]
    assert event.deep_walk(*path, return_val="first") == "0.0.0.0/0"
    assert event.deep_walk(*path, return_val="last") == "10.0.0.0/8"
    assert deep_walk(record, "requestParameters", "missing", default="none") == "none"
    assert deep_walk({"a": [{"b": "x"}]}, "a", "b") == "x"


def test_udm_maps_standard_fields_for_cloudtrail():
    event = RuleEngine(load_rule_bundle([])).event(SIGNIN)
    assert event.udm("actor_user") == "alice"
    assert event.udm("source_ip") == "198.51.100.23"
    assert event.udm("user_agent").startswith("Mozilla/5.0")
    assert event.udm("event_type") == "successful_login"
    assert event.udm("user_account_id") == "123456789012"
    assert event.udm("not_a_field", default="x") == "x"
    role = dict(
        SIGNIN,
        eventName="CreateUser",
        userIdentity={
            "type": "AssumedRole",
            "arn": "arn:aws:sts::123456789012:assumed-role/ops-admin/bob",
            "accountId": "123456789012",
            "sessionContext": {"sessionIssuer": {"type": "Role", "userName": "ops-admin"}},
        },
        requestParameters={"userName": "mallory"},
    )
    event = RuleEngine(load_rule_bundle([])).event(role)
    assert event.udm("actor_user") == "ops-admin"
    assert event.udm("user") == "mallory"
    assert event.udm("event_type") == "user_account_created"
    root = dict(SIGNIN, userIdentity={"type": "Root", "arn": "arn:aws:iam::123456789012:root", "accountId": "123456789012"})
    assert RuleEngine(load_rule_bundle([])).event(root).udm("actor_user") == "root"


# -- evaluation -------------------------------------------------------------------------------


def test_matching_rule_gives_a_match_with_spec_metadata(tmp_path):
    write_rule(
        tmp_path,
        "login",
        LOGIN_RULE,
        DisplayName="Console login",
        Severity="High",
        Description="A console sign-in.",
        Runbook="Check it.",
        Reference="https://example.com/ref",
        DedupPeriodMinutes=15,
        Threshold=3,
    )
    result = engine_for(tmp_path).evaluate(SIGNIN)
    assert result.errors == []
    assert result.matches == [
        RuleMatch(
            rule_id="login",
            title="Console login",
            dedup="Console login",
            severity="HIGH",
            dedup_period_minutes=15,
            threshold=3,
            unique=None,
            alert_context={},
            description="A console sign-in.",
            runbook="Check it.",
            reference="https://example.com/ref",
            destinations=None,
            log_type="AWS.CloudTrail",
        )
    ]


def test_defaults_title_to_rule_id_and_dedup_to_title(tmp_path):
    write_rule(tmp_path, "login", LOGIN_RULE)
    engine = engine_for(tmp_path)
    (rule,) = engine.rules
    assert (rule.dedup_period_minutes, rule.threshold, rule.enabled) == (60, 1, True)
    (match,) = engine.evaluate(SIGNIN).matches
    assert (match.title, match.dedup, match.dedup_period_minutes, match.threshold) == ("login", "login", 60, 1)


def test_rules_only_see_their_log_types(tmp_path):
    write_rule(tmp_path, "login", LOGIN_RULE, LogTypes=["Okta.SystemLog"])
    assert engine_for(tmp_path).evaluate(SIGNIN).matches == []


def test_disabled_rules_are_loaded_only_on_request(tmp_path):
    write_rule(tmp_path, "login", LOGIN_RULE, Enabled=False)
    assert engine_for(tmp_path).rules == []
    engine = engine_for(tmp_path, include_disabled=True)
    assert [rule.rule_id for rule in engine.rules] == ["login"]
    assert engine.rules[0].enabled is False


def test_a_raising_rule_is_isolated_and_reported(tmp_path):
    write_rule(
        tmp_path,
        "broken",
        """
        def rule(event):
            return event["requestParameters"]["userName"] == "x"
        """,
    )
    write_rule(tmp_path, "login", LOGIN_RULE)
    result = engine_for(tmp_path).evaluate(SIGNIN)
    assert [m.rule_id for m in result.matches] == ["login"]
    (error,) = result.errors
    assert (error.rule_id, error.function, error.error_type) == ("broken", "rule", "TypeError")
    assert "broken.py" in error.traceback and 'return event["requestParameters"]' in error.traceback
    assert "engine.py" not in error.traceback and "rule.py" not in error.traceback


def test_a_rule_returning_a_non_bool_is_an_error_not_a_match(tmp_path):
    write_rule(tmp_path, "truthy", 'def rule(event):\n    return event.get("eventName")\n')
    result = engine_for(tmp_path).evaluate(SIGNIN)
    assert result.matches == []
    assert [(e.function, e.error_type) for e in result.errors] == [("rule", "FunctionReturnTypeError")]


def test_a_raising_optional_function_still_alerts_with_its_fallback(tmp_path):
    write_rule(
        tmp_path,
        "login",
        LOGIN_RULE
        + """
def title(event):
    return 1 / 0

def alert_context(event):
    return {"when": object()}

def severity(event):
    return "catastrophic"

def runbook(event):
    raise KeyError("runbook")
""",
        DisplayName="Console login",
        Runbook="Default runbook",
        Severity="Low",
    )
    result = engine_for(tmp_path).evaluate(SIGNIN)
    (match,) = result.matches
    assert (match.title, match.dedup, match.severity, match.runbook) == (
        "Console login",
        "Console login",
        "LOW",
        "Default runbook",
    )
    assert "not JSON-serialisable" in match.alert_context["_error"]
    assert sorted((e.function, e.error_type) for e in result.errors) == [
        ("alert_context", "FunctionReturnTypeError"),
        ("runbook", "KeyError"),
        ("severity", "FunctionReturnTypeError"),
        ("title", "ZeroDivisionError"),
    ]


def test_outputs_are_normalised(tmp_path):
    write_rule(
        tmp_path,
        "login",
        LOGIN_RULE
        + """
def title(event):
    return "t" * 5000

def dedup(event):
    return ""

def severity(event):
    return "critical"

def alert_context(event):
    return {"identity": event.get("userIdentity"), "ips": event.get("p_any_ip_addresses")}

def destinations(event):
    return ["slack-secops"]

def unique(event):
    return event.get("sourceIPAddress")
""",
    )
    (match,) = engine_for(tmp_path).evaluate(SIGNIN).matches
    assert len(match.title) == 1000 and match.title.endswith("(truncated)")
    assert match.dedup == match.title
    assert match.severity == "CRITICAL"
    assert match.alert_context == {"identity": SIGNIN["userIdentity"], "ips": ["198.51.100.23"]}
    assert type(match.alert_context["identity"]) is dict
    assert match.destinations == ["slack-secops"]
    assert match.unique == "198.51.100.23"


def test_severity_default_means_the_spec_severity(tmp_path):
    write_rule(tmp_path, "login", LOGIN_RULE + "\ndef severity(event):\n    return 'DEFAULT'\n", Severity="Info")
    assert engine_for(tmp_path).evaluate(SIGNIN).matches[0].severity == "INFO"


def test_oversized_alert_context_is_replaced_by_an_error_note(tmp_path):
    write_rule(tmp_path, "login", LOGIN_RULE + "\ndef alert_context(event):\n    return {'blob': 'x' * 300_000}\n")
    result = engine_for(tmp_path).evaluate(SIGNIN)
    assert "over the 204800-byte limit" in result.matches[0].alert_context["_error"]
    assert [e.function for e in result.errors] == ["alert_context"]


def test_matches_and_errors_pickle_without_the_event(tmp_path):
    write_rule(tmp_path, "login", LOGIN_RULE + "\ndef alert_context(event):\n    return {'ident': event.get('userIdentity')}\n")
    write_rule(tmp_path, "broken", "def rule(event):\n    raise ValueError('boom')\n")
    result = engine_for(tmp_path).evaluate(SIGNIN)
    assert pickle.loads(pickle.dumps(result.matches)) == result.matches
    assert pickle.loads(pickle.dumps(result.errors)) == result.errors
    assert isinstance(result.errors[0], RuleError)
    assert b"PantherEvent" not in pickle.dumps(result.matches)


# -- loading ---------------------------------------------------------------------------------


def test_bundle_is_picklable_and_needs_no_files_once_read(tmp_path):
    rules_dir, helpers_dir = tmp_path / "rules", tmp_path / "helpers"
    helpers_dir.mkdir()
    (helpers_dir / "acme_helpers.py").write_text("WATCHED = {'alice'}\n")
    write_rule(rules_dir, "watched", "from acme_helpers import WATCHED\n\ndef rule(event):\n    return event.deep_get('userIdentity', 'userName') in WATCHED\n")
    bundle = pickle.loads(pickle.dumps(load_rule_bundle([str(rules_dir)], [str(helpers_dir)])))
    shutil.rmtree(rules_dir)
    shutil.rmtree(helpers_dir)
    assert [m.rule_id for m in RuleEngine(bundle).evaluate(SIGNIN).matches] == ["watched"]


def test_user_helpers_take_precedence_over_bundled_ones(tmp_path):
    helpers_dir = tmp_path / "helpers"
    helpers_dir.mkdir()
    (helpers_dir / "panther_base_helpers.py").write_text("def pattern_match(s, p):\n    return 'mine'\n")
    write_rule(
        tmp_path / "rules",
        "helper_user",
        "from panther_base_helpers import pattern_match\n\ndef rule(event):\n    return pattern_match('a', 'b') == 'mine'\n",
    )
    bundle = load_rule_bundle([str(tmp_path / "rules")], [str(helpers_dir)])
    assert [m.rule_id for m in RuleEngine(bundle).evaluate(SIGNIN).matches] == ["helper_user"]
    # A later engine over the bundled helpers gets the bundled module back.
    write_rule(
        tmp_path / "plain",
        "bundled_user",
        "from panther_base_helpers import pattern_match\n\ndef rule(event):\n    return pattern_match('abc', 'a*')\n",
    )
    assert [m.rule_id for m in RuleEngine(load_rule_bundle([str(tmp_path / "plain")])).evaluate(SIGNIN).matches] == [
        "bundled_user"
    ]


def test_panther_core_names_are_backed_by_the_event_classes(tmp_path):
    write_rule(
        tmp_path,
        "types",
        """
        from panther_core import PantherEvent
        from panther_core.enriched_event import PantherEvent as EnrichedEvent
        from panther_core.immutable import ImmutableCaseInsensitiveDict, ImmutableList

        def rule(event: PantherEvent) -> bool:
            return (
                isinstance(event, PantherEvent)
                and isinstance(event, EnrichedEvent)
                and isinstance(event.get("userIdentity"), ImmutableCaseInsensitiveDict)
                and isinstance(event.get("p_any_ip_addresses"), ImmutableList)
            )
        """,
    )
    assert [m.rule_id for m in engine_for(tmp_path).evaluate(SIGNIN).matches] == ["types"]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"Severity": "Urgent"}, "Severity must be one of"),
        ({"LogTypes": []}, "LogTypes must be a non-empty list"),
        ({"Threshold": 0}, "Threshold must be an integer >= 1"),
        ({"Filename": "absent.py"}, "cannot read"),
        ({"Tests": [{"Name": "t", "ExpectedResult": "yes", "Log": {}}]}, "ExpectedResult must be true or false"),
        ({"Index": {"userAgent": ["x"]}}, "Index can only name"),
    ],
)
def test_malformed_specs_stop_loading_with_the_file_named(tmp_path, spec, message):
    write_rule(tmp_path, "bad", LOGIN_RULE, **spec)
    with pytest.raises(RuleLoadError, match=message) as raised:
        load_rule_bundle([str(tmp_path)])
    assert "bad.yml" in str(raised.value)


def test_syntax_errors_and_duplicate_ids_stop_loading(tmp_path):
    write_rule(tmp_path / "a", "broken", "def rule(event)\n    return True\n")
    with pytest.raises(RuleLoadError, match=r"broken.py:1: syntax error"):
        load_rule_bundle([str(tmp_path / "a")])
    write_rule(tmp_path / "b", "one", LOGIN_RULE, RuleID="Same.Id")
    write_rule(tmp_path / "b", "two", LOGIN_RULE, RuleID="Same.Id")
    with pytest.raises(RuleLoadError, match="already defined"):
        load_rule_bundle([str(tmp_path / "b")])


def test_a_rule_that_fails_to_import_stops_the_engine_with_its_id(tmp_path):
    write_rule(tmp_path, "needs_missing", "import not_a_real_module\n\ndef rule(event):\n    return True\n")
    write_rule(tmp_path, "login", LOGIN_RULE)
    with pytest.raises(RuleLoadError, match="needs_missing") as raised:
        engine_for(tmp_path)
    assert "ModuleNotFoundError" in str(raised.value)


def test_non_rule_specs_are_skipped_and_reported(tmp_path):
    write_rule(tmp_path, "login", LOGIN_RULE)
    (tmp_path / "policy.yml").write_text(yaml.safe_dump({"AnalysisType": "policy", "PolicyID": "p"}))
    (tmp_path / "notes.yml").write_text("just: notes\n")
    bundle = load_rule_bundle([str(tmp_path)])
    assert [r.rule_id for r in bundle.rules] == ["login"]
    assert sorted(Path(path).name for path, _ in bundle.skipped) == ["notes.yml", "policy.yml"]


# -- the rule index --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('def rule(event):\n    return event.get("eventName") == "ConsoleLogin" and event.get("x")\n',
         {"eventName": {"ConsoleLogin"}}),
        ('def rule(e):\n    return "DeleteTrail" == e["eventName"]\n', {"eventName": {"DeleteTrail"}}),
        ('NAMES = {"A", "B"}\n\ndef rule(event):\n'
         '    if event.get("eventSource") != "s3.amazonaws.com":\n        return False\n'
         '    return event.get("eventName") in NAMES\n',
         {"eventSource": {"s3.amazonaws.com"}, "eventName": {"A", "B"}}),
        ('def rule(event):\n    return event.get("eventName") == "A" or event.deep_get("eventName") in ["B", "C"]\n',
         {"eventName": {"A", "B", "C"}}),
        ('def rule(event):\n    if not event.get("eventName") in ("A",):\n        return False\n'
         '    if event.get("x"):\n        return True\n    return event.get("y") == 1\n',
         {"eventName": {"A"}}),
        ('from panther_base_helpers import deep_get\n\ndef rule(event):\n'
         '    return deep_get(event, "eventSource") == "iam.amazonaws.com"\n', {"eventSource": {"iam.amazonaws.com"}}),
        ('DENIED = ("AccessDenied", "UnauthorizedOperation")\n\ndef rule(event):\n'
         '    return event.get("errorCode") in DENIED\n', {"errorCode": {"AccessDenied", "UnauthorizedOperation"}}),
        ('def rule(event):\n    return event.deep_get("userIdentity", "type") == "Root"\n', {"userIdentity.type": {"Root"}}),
        ('def rule(event):\n    if event.deep_get("userIdentity", "type", default=None) not in ("IAMUser", "Root"):\n'
         '        return False\n    return True\n', {"userIdentity.type": {"IAMUser", "Root"}}),
        ('def rule(event):\n    return event.get("errorCode") is None and event.get("x") == 1\n', {"errorCode": {None}}),
    ],
    ids=["equality", "subscript-reversed", "early-return-and-constant", "or-union", "negated-guard", "helper-deep-get",
         "value-errorcode-in-constant", "value-nested-identity-type", "value-deep-get-guard", "value-is-none"],
)
def test_index_learns_constraints_every_true_path_needs(source, expected):
    assert learn_constraints(source) == {k: frozenset(v) for k, v in expected.items()}


@pytest.mark.parametrize(
    "source",
    [
        'def rule(event):\n    return event.get("eventName") == "A" or event.get("x") == 1\n',
        'def rule(event):\n    return event.get("eventName").startswith("Delete")\n',
        'def rule(event):\n    return event.get("eventName") not in {"A"}\n',
        'NAMES = {"A"}\nNAMES.add("B")\n\ndef rule(event):\n    return event.get("eventName") in NAMES\n',
        'NAMES = {"A"}\n\ndef rule(event):\n    global NAMES\n    return event.get("eventName") in NAMES\n',
        'def rule(event):\n    try:\n        return event.get("eventName") == "A"\n    except KeyError:\n        return True\n',
        'def rule(event):\n    for n in ("A",):\n        if event.get("eventName") == n:\n            return True\n    return False\n',
        'def rule(event):\n    event = {"eventName": "A"}\n    return event.get("eventName") == "A"\n',
        'def deep_get(e, k):\n    return "A"\n\ndef rule(event):\n    return deep_get(event, "eventName") == "A"\n',
        'def rule(event):\n    return event.get("eventName") in "ConsoleLoginAndMore"\n',
        'def rule(event):\n    return event.get("EventName") == "A"\n',
        'def rule(event):\n    return event.udm("event_name") == "A"\n',
        'def rule(event):\n    return event["errorCode"] == "AccessDenied"\n',
        'def rule(event):\n    return event.get("errorCode", "AccessDenied") == "AccessDenied"\n',
        'def rule(event):\n    return event.deep_get("userIdentity", "type", default="Root") == "Root"\n',
        'def rule(event):\n    return event.get("userIdentity.type") == "Root"\n',
        'def rule(event):\n    return event.get("readOnly") is True\n',
        'def rule(event):\n    return event.get("errorCode") is not None\n',
        'from panther_base_helpers import deep_get\n\ndef rule(event):\n'
        '    return deep_get(event, "userIdentity", "type") == "Root"\n',
    ],
    ids=[
        "or-with-free-branch", "startswith", "not-in", "mutated-constant", "global-constant", "try-block",
        "loop-with-return", "param-rebound", "local-deep-get", "substring-in", "other-casing", "udm",
        "value-subscript-raises-when-absent", "value-default-given", "value-deep-get-default", "value-dotted-key",
        "not-a-value-field", "value-complement", "value-through-helper-deep-get",
    ],
)
def test_index_leaves_rules_it_cannot_prove_unconstrained(source):
    assert learn_constraints(source) == {}


def test_index_routes_records_only_to_rules_that_can_match(tmp_path):
    write_rule(tmp_path, "login", LOGIN_RULE)
    write_rule(tmp_path, "s3", 'def rule(event):\n    return event.get("eventName") == "PutBucketAcl"\n')
    write_rule(tmp_path, "anything", 'def rule(event):\n    return event.get("readOnly") is False\n')
    engine = engine_for(tmp_path)
    assert [r.rule_id for r in engine.candidates(SIGNIN)] == ["anything", "login"]
    nameless = {k: v for k, v in SIGNIN.items() if k != "eventName"}
    assert [r.rule_id for r in engine.candidates(nameless)] == ["anything", "login", "s3"]
    assert [r.rule_id for r in engine_for(tmp_path, use_index=False).candidates(SIGNIN)] == ["anything", "login", "s3"]


def test_declared_index_is_used_and_checked_by_the_rule_tests(tmp_path):
    write_rule(
        tmp_path,
        "declared",
        "def rule(event):\n    return event.get('readOnly') is False\n",
        Index={"eventName": ["PutBucketAcl"]},
        Tests=[{"Name": "a console login", "ExpectedResult": True, "Log": SIGNIN}],
    )
    bundle = load_rule_bundle([str(tmp_path)])
    assert RuleEngine(bundle).evaluate(SIGNIN).matches == []
    tester = RuleTester(bundle)
    ((rule, test),) = tester.cases()
    result = tester.run(rule, test)
    assert result.actual is True and result.passed is False
    assert "the rule index would not send this event to the rule" in result.problems[0]


def evaluate_both(indexed: RuleEngine, everything: RuleEngine, records: list[dict]) -> tuple[int, int]:
    """Assert both engines give the same matches and errors for every record; (matches, errors) seen."""
    matches = errors = 0
    fast_cache, slow_cache = InMemoryCacheStore(), InMemoryCacheStore()  # stateful rules keep apart
    for record in records:
        with using_store(fast_cache):
            fast = indexed.evaluate(record)
        with using_store(slow_cache):
            slow = everything.evaluate(record)
        assert fast.matches == slow.matches
        assert fast.errors == slow.errors
        matches, errors = matches + len(fast.matches), errors + len(fast.errors)
    return matches, errors


def test_indexed_and_unindexed_engines_match_identically_over_the_pack():
    bundle = load_rule_bundle([BUNDLED_RULES_DIR])
    indexed = RuleEngine(bundle, include_disabled=True)
    everything = RuleEngine(bundle, include_disabled=True, use_index=False)
    records = [dict(test["Log"], p_log_type="AWS.CloudTrail") for rule in indexed.rules for test in rule.tests]
    assert len(records) >= 2 * len(indexed.rules)
    total, _ = evaluate_both(indexed, everything, records)
    assert total >= len(indexed.rules)
    unknown_call = {"p_log_type": "AWS.CloudTrail", "eventSource": "none.amazonaws.com", "eventName": "NoSuchCall"}
    skipped = [rule for rule in indexed.rules if rule not in indexed.candidates(unknown_call)]
    assert len(skipped) >= len(indexed.rules) // 2


def test_index_reads_dict_keys_and_constants_only_read_through_safe_methods():
    source = (
        'FIELDS = {"RunInstances": "a", "CreateStack": "b"}\n\n'
        "def rule(event):\n"
        '    if event.get("eventName") not in FIELDS:\n        return False\n'
        '    return FIELDS.get(event.get("eventName")) == "a"\n'
    )
    assert learn_constraints(source) == {"eventName": frozenset({"RunInstances", "CreateStack"})}
    assert learn_constraints(source.replace("FIELDS.get(", "FIELDS.pop(")) == {}


def test_datamodel_specs_replace_the_built_in_model_for_their_log_types(tmp_path):
    (tmp_path / "model.py").write_text("def get_actor(event):\n    return 'actor:' + event.deep_get('userIdentity', 'userName')\n")
    (tmp_path / "model.yml").write_text(
        yaml.safe_dump(
            {
                "AnalysisType": "datamodel",
                "DataModelID": "Custom.CloudTrail",
                "Filename": "model.py",
                "Enabled": True,
                "LogTypes": ["AWS.CloudTrail"],
                "Mappings": [
                    {"Name": "source_ip", "Path": "$.sourceIPAddress"},
                    {"Name": "mfa", "Path": "additionalEventData.MFAUsed"},
                    {"Name": "actor_user", "Method": "get_actor"},
                ],
            }
        )
    )
    write_rule(tmp_path, "udm_user", "def rule(event):\n    return event.udm('mfa') == 'No' and event.udm('actor_user') == 'actor:alice'\n")
    engine = engine_for(tmp_path)
    assert [m.rule_id for m in engine.evaluate(SIGNIN).matches] == ["udm_user"]
    event = engine.event(SIGNIN)
    assert event.udm("source_ip") == "198.51.100.23"
    assert event.udm("user_agent") is None  # the custom model replaces the built-in one


def test_global_helper_specs_in_rule_folders_become_importable(tmp_path):
    (tmp_path / "acme_globals.py").write_text("WATCHED_IPS = {'198.51.100.23'}\n")
    (tmp_path / "acme_globals.yml").write_text(
        yaml.safe_dump({"AnalysisType": "global", "GlobalID": "acme_globals", "Filename": "acme_globals.py"})
    )
    write_rule(tmp_path, "watched_ip", "from acme_globals import WATCHED_IPS\n\ndef rule(event):\n    return event.udm('source_ip') in WATCHED_IPS\n")
    assert [m.rule_id for m in engine_for(tmp_path).evaluate(SIGNIN).matches] == ["watched_ip"]


def test_datamodel_paths_beyond_dotted_keys_are_refused(tmp_path):
    (tmp_path / "model.yml").write_text(
        yaml.safe_dump(
            {
                "AnalysisType": "datamodel",
                "DataModelID": "Custom.CloudTrail",
                "LogTypes": ["AWS.CloudTrail"],
                "Mappings": [{"Name": "first_ip", "Path": "$.p_any_ip_addresses[0]"}],
            }
        )
    )
    with pytest.raises(RuleLoadError, match="only dotted paths"):
        load_rule_bundle([str(tmp_path)])


def test_output_ids_in_the_spec_route_alerts_unless_destinations_says_otherwise(tmp_path):
    write_rule(tmp_path, "login", LOGIN_RULE, OutputIds=["soc-slack", "oncall"])
    write_rule(tmp_path, "login_routed", LOGIN_RULE + "\n\ndef destinations(event):\n    return ['soc-threads']\n",
               OutputIds=["soc-slack"])
    matches = {m.rule_id: m for m in engine_for(tmp_path).evaluate(SIGNIN).matches}
    assert matches["login"].destinations == ["soc-slack", "oncall"]
    assert matches["login_routed"].destinations == ["soc-threads"]


def test_malformed_output_ids_stop_loading_with_the_file_named(tmp_path):
    write_rule(tmp_path, "login", LOGIN_RULE, OutputIds="soc-slack")
    with pytest.raises(RuleLoadError, match="login.yml: OutputIds must be a list"):
        engine_for(tmp_path)
