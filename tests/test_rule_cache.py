"""Rule cache stores (in-memory and DynamoDB over HTTP on moto server) and the caching helper module."""
from __future__ import annotations

import textwrap
import time
import uuid

import boto3
import pytest
import yaml

from transforms.rules_engine import RuleEngine, load_rule_bundle
from transforms.rules_engine.cache import DynamoDBCacheStore, InMemoryCacheStore, using_store

REGION = "us-east-1"


@pytest.fixture(scope="module")
def dynamodb(moto_endpoint):
    return boto3.client("dynamodb", endpoint_url=moto_endpoint, region_name=REGION)


@pytest.fixture(params=["memory", "dynamodb"])
def store(request):
    if request.param == "memory":
        return InMemoryCacheStore()
    client = request.getfixturevalue("dynamodb")
    table = f"iota-rule-cache-{uuid.uuid4().hex[:8]}"
    DynamoDBCacheStore.create_table(client, table)
    return DynamoDBCacheStore(table, client)


def later(seconds: int = 3600) -> int:
    return int(time.time()) + seconds


def test_counters_add_up_and_restart_after_expiry(store):
    assert store.get("failed:alice") is None
    assert store.increment("failed:alice", 1, later()) == 1
    assert store.increment("failed:alice", 2, None) == 3
    assert store.get("failed:alice")["counter"] == 3
    store.expire_at("failed:alice", int(time.time()) - 1)
    assert store.get("failed:alice") is None
    assert store.increment("failed:alice", 1, later()) == 1


def test_string_sets_add_remove_and_replace(store):
    assert store.add_strings("regions:alice", ["us-east-1"], later()) == {"us-east-1"}
    assert store.add_strings("regions:alice", ["eu-west-1", "us-east-1"], None) == {"us-east-1", "eu-west-1"}
    assert store.remove_strings("regions:alice", ["us-east-1"]) == {"eu-west-1"}
    store.put("regions:alice", "strings", {"ap-south-1"}, None)
    assert store.get("regions:alice")["strings"] == {"ap-south-1"}
    store.put("regions:alice", "strings", set(), None)
    assert store.get("regions:alice").get("strings", set()) == set()


def test_expired_string_sets_restart_empty(store):
    store.add_strings("ips:bob", ["192.0.2.1"], int(time.time()) - 5)
    assert store.get("ips:bob") is None
    assert store.add_strings("ips:bob", ["192.0.2.9"], later()) == {"192.0.2.9"}


def test_dictionaries_round_trip_and_delete(store):
    store.put("profile:alice", "dictionary", {"countries": ["NL"], "logins": 3}, later())
    assert store.get("profile:alice")["dictionary"] == {"countries": ["NL"], "logins": 3}
    store.delete("profile:alice")
    assert store.get("profile:alice") is None


def test_expiry_of_a_missing_key_is_a_no_op(store):
    store.expire_at("never-written", later())
    assert store.get("never-written") is None


def test_dynamodb_state_is_shared_between_workers(dynamodb):
    """Two workers (two clients, two stores) count into one key and see each other's strings.

    Counters use UpdateItem ADD, which DynamoDB applies atomically; moto does not promise
    that under concurrency, so this test interleaves the workers instead of racing them.
    """
    table = f"iota-rule-cache-{uuid.uuid4().hex[:8]}"
    DynamoDBCacheStore.create_table(dynamodb, table)
    endpoint = dynamodb.meta.endpoint_url
    workers = [
        DynamoDBCacheStore(table, boto3.client("dynamodb", endpoint_url=endpoint, region_name=REGION)) for _ in range(2)
    ]
    for round_number in range(5):
        for worker in workers:
            worker.increment("failures:alice", 1, later())
            worker.add_strings("ips:alice", [f"192.0.2.{round_number}"], later())
    assert workers[0].get("failures:alice")["counter"] == 10
    assert workers[1].get("ips:alice")["strings"] == {f"192.0.2.{n}" for n in range(5)}


def test_caching_helper_module_works_through_the_current_store(store):
    RuleEngine(load_rule_bundle([]))  # makes the bundled helper modules importable
    import panther_detection_helpers.caching as caching

    with using_store(store):
        assert caching.increment_counter("k") == 1
        assert caching.increment_counter("k", 4, epoch_seconds=later()) == 5
        assert caching.get_counter("k") == 5
        caching.reset_counter("k")
        assert caching.get_counter("k") == 0
        assert caching.add_to_string_set("s", "a") == {"a"}
        assert caching.add_to_string_set("s", ["b", "c"]) == {"a", "b", "c"}
        assert caching.remove_from_string_set("s", "a") == {"b", "c"}
        caching.put_string_set("s", ["z"])
        assert caching.get_string_set("s") == {"z"}
        caching.reset_string_set("s")
        assert caching.get_string_set("s") == set()
        caching.put_dictionary("d", {"x": 1})
        assert caching.get_dictionary("d") == {"x": 1}
        caching.set_key_expiration("d", int(time.time()) - 1)
        assert caching.get_dictionary("d") == {}
        assert caching.ttl_expired(int(time.time()) - 1) and not caching.ttl_expired(later())


def test_rules_keep_state_between_events_through_the_cache(tmp_path, store):
    """A rule that fires on a user's third distinct region, counting in the store across events."""
    (tmp_path / "new_regions.py").write_text(
        textwrap.dedent(
            """
            from panther_detection_helpers.caching import add_to_string_set

            def rule(event):
                key = "regions:" + event.deep_get("userIdentity", "arn")
                return len(add_to_string_set(key, event.get("awsRegion"))) >= 3
            """
        )
    )
    (tmp_path / "new_regions.yml").write_text(
        yaml.safe_dump(
            {
                "AnalysisType": "rule",
                "RuleID": "regions",
                "Enabled": True,
                "Filename": "new_regions.py",
                "LogTypes": ["AWS.CloudTrail"],
                "Severity": "Low",
            }
        )
    )
    engine = RuleEngine(load_rule_bundle([str(tmp_path)]))
    fired = []
    with using_store(store):
        for region in ["us-east-1", "us-east-1", "eu-west-1", "ap-southeast-2"]:
            record = {
                "p_log_type": "AWS.CloudTrail",
                "eventName": "DescribeInstances",
                "awsRegion": region,
                "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/alice"},
            }
            fired.append(bool(engine.evaluate(record).matches))
    assert fired == [False, False, False, True]
