"""The CloudTrail generator writes valid CloudTrail in AWS's key layout, the same for the same seed."""
from __future__ import annotations

import gzip
import re
import uuid
import zlib
from pathlib import Path

import orjson
import pytest

from benchmarks import make_samples
from benchmarks.cloudtrail_gen import ATTACK_KINDS, write_trail

LOG_KEY = re.compile(
    r"AWSLogs/(?P<account>\d{12})/CloudTrail/(?P<region>[a-z]{2}-[a-z]+-\d)/(?P<y>\d{4})/(?P<m>\d\d)/(?P<d>\d\d)/"
    r"(?P=account)_CloudTrail_(?P=region)_(?P=y)(?P=m)(?P=d)T\d{4}Z_[A-Za-z0-9]{16}\.json\.gz"
)
DIGEST_KEY = re.compile(
    r"AWSLogs/(?P<account>\d{12})/CloudTrail-Digest/(?P<region>[a-z]{2}-[a-z]+-\d)/\d{4}/\d\d/\d\d/"
    r"(?P=account)_CloudTrail-Digest_(?P=region)_[\w-]+_(?P=region)_\d{8}T\d{6}Z\.json\.gz"
)
EVENT_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
REQUIRED_FIELDS = (
    "eventVersion", "userIdentity", "eventTime", "eventSource", "eventName", "awsRegion", "sourceIPAddress",
    "userAgent", "requestParameters", "responseElements", "eventID", "readOnly", "eventType", "managementEvent",
    "recipientAccountId", "eventCategory",
)
ALL_ATTACKS = {kind: 1 for kind in ATTACK_KINDS}


def _records(path: Path) -> list[dict]:
    return orjson.loads(gzip.decompress(path.read_bytes()))["Records"]


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def trail(tmp_path_factory):
    out = tmp_path_factory.mktemp("trail")
    written = write_trail(out, 3000, seed=11, events_per_file=300, attacks=ALL_ATTACKS | {"root_console_login": 3},
                          digests=True)
    return out, written


def test_same_seed_writes_byte_identical_files(tmp_path):
    write_trail(tmp_path / "first", 600, seed=5, events_per_file=200, attacks={"stop_logging": 2}, digests=True)
    write_trail(tmp_path / "second", 600, seed=5, events_per_file=200, attacks={"stop_logging": 2}, digests=True)
    first, second = _tree(tmp_path / "first"), _tree(tmp_path / "second")
    assert first and first == second


def test_another_seed_writes_other_events(tmp_path):
    write_trail(tmp_path / "a", 200, seed=1)
    write_trail(tmp_path / "b", 200, seed=2)
    assert _tree(tmp_path / "a").keys().isdisjoint(_tree(tmp_path / "b").keys())


def test_log_objects_follow_cloudtrail_key_layout_and_hold_their_account_and_region(trail):
    out, written = trail
    assert len(written.log_files) >= 9
    sizes = []
    for path in written.log_files:
        key = path.relative_to(out).as_posix()
        match = LOG_KEY.fullmatch(key)
        assert match, key
        records = _records(path)
        sizes.append(len(records))
        assert {r["recipientAccountId"] for r in records} == {match["account"]}
        assert {r["awsRegion"] for r in records} == {match["region"]}
        assert max(r["eventTime"] for r in records) < f"{match['y']}-{match['m']}-{match['d']}T23:59:60Z"
    # hundreds per file around the asked-for 300 (injected attacks add a few); only the remainder is short
    assert all(1 <= size <= 380 for size in sizes)
    assert sum(size < 225 for size in sizes) <= 1


def test_every_record_has_cloudtrail_fields_and_the_mix_is_realistic(trail):
    _, written = trail
    records = [r for path in written.log_files for r in _records(path)]
    assert len(records) == written.events == 3000 + len(ATTACK_KINDS) + 2
    for record in records:
        missing = [f for f in REQUIRED_FIELDS if f not in record]
        assert not missing, (missing, record)
        assert EVENT_TIME.fullmatch(record["eventTime"])
        assert uuid.UUID(record["eventID"]).version == 4
        assert record["eventSource"].endswith(".amazonaws.com")
        assert record["eventCategory"] == ("Management" if record["managementEvent"] else "Data")
    identity_types = {r["userIdentity"]["type"] for r in records}
    assert identity_types == {"AssumedRole", "IAMUser", "AWSService", "Root"}
    assumed = next(r for r in records if r["userIdentity"]["type"] == "AssumedRole")
    assert assumed["userIdentity"]["sessionContext"]["sessionIssuer"]["type"] == "Role"
    sources = {r["eventSource"].split(".")[0] for r in records}
    assert {"s3", "sts", "kms", "ec2", "iam", "lambda", "logs", "ssm", "signin"} <= sources
    names = {r["eventName"] for r in records}
    assert {"AssumeRole", "GetCallerIdentity", "GetObject", "PutObject", "Decrypt", "GenerateDataKey", "Invoke",
            "ConsoleLogin"} <= names
    assert any(r.get("errorCode") == "AccessDenied" for r in records)
    mean_size = written.uncompressed_bytes / written.events
    assert 1200 <= mean_size <= 2000, mean_size
    spread = {r["eventTime"][:13] for r in records}
    assert len(spread) >= 6  # hours of activity, not one burst


def _only(records: list[dict], name: str) -> dict:
    matches = [r for r in records if r["eventName"] == name and r["sourceIPAddress"] == "203.0.113.66"]
    assert len(matches) == 1, (name, len(matches))
    return matches[0]


def test_injected_attacks_have_the_shapes_aws_writes(trail):
    _, written = trail
    records = [r for path in written.log_files for r in _records(path)]
    logins = [r for r in records if r["eventName"] == "ConsoleLogin" and r["sourceIPAddress"] == "203.0.113.66"]
    root_logins = [r for r in logins if r["userIdentity"]["type"] == "Root"]
    assert len(root_logins) == 3
    assert all(r["responseElements"] == {"ConsoleLogin": "Success"} for r in logins)
    assert all(r["eventType"] == "AwsConsoleSignIn" for r in logins)
    no_mfa = [r for r in logins if r["additionalEventData"]["MFAUsed"] == "No"]
    assert [r["userIdentity"]["type"] for r in no_mfa] == ["IAMUser"]

    assert _only(records, "StopLogging")["requestParameters"]["name"].startswith("arn:aws:cloudtrail:")
    assert _only(records, "DeleteTrail")["eventSource"] == "cloudtrail.amazonaws.com"
    assert _only(records, "DeleteDetector")["requestParameters"]["detectorId"]
    assert _only(records, "AttachUserPolicy")["requestParameters"]["policyArn"] == (
        "arn:aws:iam::aws:policy/AdministratorAccess")
    key = _only(records, "CreateAccessKey")
    assert key["userIdentity"]["type"] == "Root" and key["responseElements"]["accessKey"]["status"] == "Active"
    policy = _only(records, "PutBucketPolicy")["requestParameters"]["bucketPolicy"]
    assert policy["Statement"][0]["Principal"] == "*"
    grants = _only(records, "PutBucketAcl")["requestParameters"]["AccessControlPolicy"]["AccessControlList"]["Grant"]
    assert any(g["Grantee"].get("URI") == "http://acs.amazonaws.com/groups/global/AllUsers" for g in grants)
    ingress = _only(records, "AuthorizeSecurityGroupIngress")["requestParameters"]["ipPermissions"]["items"][0]
    assert ingress["ipRanges"]["items"][0]["cidrIp"] == "0.0.0.0/0"
    deletion = _only(records, "ScheduleKeyDeletion")
    assert deletion["responseElements"]["keyState"] == "PendingDeletion"


def test_repeats_of_an_attack_share_a_file_and_an_actor_minutes_apart(trail):
    _, written = trail
    holders = [
        (path, [r for r in _records(path) if r["userIdentity"]["type"] == "Root" and r["eventName"] == "ConsoleLogin"])
        for path in written.log_files
    ]
    holders = [(path, found) for path, found in holders if found]
    assert len(holders) == 1
    _, logins = holders[0]
    assert len(logins) == 3
    assert len({(r["userIdentity"]["arn"], r["sourceIPAddress"], r["recipientAccountId"]) for r in logins}) == 1
    assert len({r["eventTime"] for r in logins}) == 3
    assert max(r["eventTime"] for r in logins)[:15] == min(r["eventTime"] for r in logins)[:15]  # same 10 minutes


def test_digests_sit_beside_the_logs_and_list_them_with_hashes(trail):
    out, written = trail
    assert written.digest_files
    listed = set()
    for path in written.digest_files:
        assert DIGEST_KEY.fullmatch(path.relative_to(out).as_posix())
        digest = orjson.loads(gzip.decompress(path.read_bytes()))
        assert "Records" not in digest
        for entry in digest["logFiles"]:
            assert entry["hashAlgorithm"] == "SHA-256" and len(entry["hashValue"]) == 64
            listed.add(entry["s3Object"])
    assert listed == {p.relative_to(out).as_posix() for p in written.log_files}


def test_unknown_attack_kind_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown attack kind 'rm_rf'"):
        write_trail(tmp_path, 10, attacks={"rm_rf": 1})


def test_committed_samples_are_exactly_what_make_samples_writes(tmp_path):
    make_samples.make_samples(tmp_path)
    assert _tree(tmp_path / "AWSLogs") == _tree(make_samples.SAMPLES_DIR / "AWSLogs")
    total = sum(len(body) for body in _tree(tmp_path).values())
    assert total < 200_000


def test_sample_bad_objects_each_fail_in_their_own_way():
    bad = {key.rsplit("_", 1)[1]: body for key, body in make_samples.bad_objects().items()}
    with pytest.raises((EOFError, zlib.error)):
        gzip.decompress(bad["BadTruncatedGzip.json.gz"])
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(gzip.decompress(bad["BadNotJsonObject.json.gz"]))
    assert not isinstance(orjson.loads(gzip.decompress(bad["BadNoRecordsList.json.gz"]))["Records"], list)
