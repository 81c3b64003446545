"""The hot path's fast code gives exactly what the plain code gave, over realistic and odd records.

`reference_indicators` is `indicators()` as it stood before it was tuned for speed, kept
here as the oracle. The lake's oracle is its own exact path (`shape_row`), which every
batch falls back to when the fast path meets a value it cannot take.
"""
from __future__ import annotations

import copy
import io
import ipaddress
import random
import re
from datetime import datetime, timedelta, timezone

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from benchmarks.cloudtrail_gen import ATTACK_KINDS, DEFAULT_REGIONS, DEFAULT_START, CloudTrailGenerator
from tests.cloudtrail import describe_instances, root_console_login, stop_logging
from transforms.lake import SCHEMA, _fast_table, _table_from_cells, parquet_bytes, shape_row, to_table
from transforms.normalize import indicators, normalise_records

# ------------------------------------------------------------------ the oracle
_ARN = re.compile(r"(arn:aws[a-z-]*:[a-z0-9-]*:[a-z0-9-]*:(\d{12})?:[^\"\\\s,]+)")
_IP_VALUE = re.compile(r'"([0-9A-Fa-f]{0,4}[.:][0-9A-Fa-f.:]{1,44})(?:/\d{1,3})?"')
_FREE_FORM = ("requestParameters", "responseElements", "additionalEventData", "serviceEventDetails")


def _valid_ip(text):
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _texts(values):
    return [value for value in values if type(value) is str and value]


def _identity_indicators(rendered):
    identity = orjson.loads(rendered)
    if type(identity) is not dict:
        return [], [], []
    context = identity.get("sessionContext")
    issuer = context.get("sessionIssuer") if type(context) is dict else None
    issuer = issuer if type(issuer) is dict else {}
    found = _ARN.findall(rendered)
    return (
        _texts([identity.get("accountId"), issuer.get("accountId")] + [account for _, account in found]),
        [arn for arn, _ in found],
        _texts([identity.get("userName"), issuer.get("userName")]),
    )


def reference_indicators(record: dict) -> dict[str, list[str]]:
    identity_accounts, identity_arns, identity_users = _identity_indicators(orjson.dumps(record.get("userIdentity")).decode())
    searched = orjson.dumps([record.get("resources")] + [record.get(name) for name in _FREE_FORM]).decode()
    found_arns = _ARN.findall(searched)

    ips = [ip for ip in _IP_VALUE.findall(searched) if _valid_ip(ip)]
    source_ip = record.get("sourceIPAddress")
    if type(source_ip) is str and _valid_ip(source_ip):
        ips.insert(0, source_ip)

    accounts = identity_accounts + _texts([record.get("recipientAccountId")])
    resources = record.get("resources")
    if type(resources) is list:
        accounts += _texts([item.get("accountId") for item in resources if type(item) is dict])
    accounts += _texts(account for _, account in found_arns)

    users = identity_users
    request = record.get("requestParameters")
    if type(request) is dict:
        users = users + _texts([request.get("userName")])

    return {
        "p_any_ip_addresses": list(dict.fromkeys(ips)),
        "p_any_aws_account_ids": list(dict.fromkeys(accounts)),
        "p_any_aws_arns": list(dict.fromkeys(identity_arns + [arn for arn, _ in found_arns])),
        "p_any_usernames": list(dict.fromkeys(users)),
    }


# ------------------------------------------------------------------ the records
def generated_records(count: int, seed: int) -> list[dict]:
    """Background events of every kind the generator makes, plus one of each attack."""
    generator = CloudTrailGenerator(seed)
    plans = generator.plan_files(count, 400, DEFAULT_REGIONS, DEFAULT_START, 6.0)
    records = [record for plan in plans for record in generator.file_records(plan)]
    records += [generator.attack_event(kind, plans[0].account, plans[0].region, DEFAULT_START + timedelta(minutes=1))
                for kind in ATTACK_KINDS]
    return records


# Values that sit on the edges of the two patterns and of the schema.
_ODD_STRINGS = (
    "10.0.0.1", "10.0.0.0/8", "2001:db8::1", "2001:db8::/32", "::1", "fe80::1%eth0", "1.2.3", "3.3.380.0",
    "256.1.1.1", "a.b", "abcd:ef", "1.2.3.4/33", "abcde.1", "ABCD::", ".5", "::", "1.2.3.4/", "1.2.3.4/1234",
    "1:2:3:4:5:6:7:8:9:a:b:c:d:e:f:10", "fe80:" + "0" * 43, "fe80:" + "0" * 44, "1." + "2" * 44 + "/24", 'quote"10.1.1.1', 'x\\"192.0.2.5\\"', "tab\t10.2.2.2", "10.3.3.3\n",
    "arn:aws:iam::123456789012:role/Admin", "arn:aws-cn:s3:::bucket/key", "arn:aws-us-gov:ec2:us-gov-west-1:210987654321:instance/i-1",
    "arn:aws:s3:::bucket,arn:aws:s3:::other", "see arn:aws:kms:us-east-1:444455556666:key/k-1 for details",
    "arn:aws:iam::12345:user/short", 'arn:aws:iam::123456789012:user/a"b', "arn:aws:iam::123456789012:user/\u00e9l\u00e8ve",
    "arn:aws:iam::123456789012:user/x\u2003y", "arn:aws:iam::123456789012:user/x\u0001y", "ARN:AWS:IAM::123456789012:root",
    "", " ", "userName",
)
_ODD_VALUES = _ODD_STRINGS + (None, 7, 1.5, True, [], {}, ["10.9.9.9", "arn:aws:sns:us-east-1:123456789012:t"],
                              {"10.8.8.8": "key is an address"}, {"arn:aws:iam::123456789012:root": 1})


def _mutated(record: dict, rng: random.Random) -> dict:
    """A copy of `record` with a few fields replaced by values from the edges above."""
    record = copy.deepcopy(record)
    for _ in range(rng.randint(1, 4)):
        where = rng.choice(("identity", "section", "resources", "top", "request_user", "source_ip", "recipient"))
        value = rng.choice(_ODD_VALUES)
        if where == "identity":
            identity = record.get("userIdentity")
            if type(identity) is dict and rng.random() < 0.8:
                target = identity
                context = identity.get("sessionContext")
                if type(context) is dict and rng.random() < 0.5:
                    target = context.get("sessionIssuer") if type(context.get("sessionIssuer")) is dict else context
                target[rng.choice(("accountId", "userName", "arn", "principalId", "invokedBy", "extra"))] = value
            else:
                record["userIdentity"] = value
        elif where == "section":
            name = rng.choice(_FREE_FORM)
            section = record.get(name)
            if type(section) is dict and rng.random() < 0.7:
                section[rng.choice(("key", "cidrIp", "ipAddress", "policyArn", "10.7.7.7"))] = value
            else:
                record[name] = value
        elif where == "resources":
            record["resources"] = rng.choice((
                value, [value], [{"ARN": value, "accountId": rng.choice(_ODD_VALUES), "type": "AWS::S3::Bucket"}],
                [{"accountId": "111122223333"}, "not an object", {"ARN": "arn:aws:s3:::b", "accountId": 111122223333}],
            ))
        elif where == "top":
            record[rng.choice(("eventName", "userAgent", "errorMessage"))] = value
        elif where == "request_user":
            if type(record.get("requestParameters")) is dict:
                record["requestParameters"]["userName"] = value
            else:
                record["requestParameters"] = {"userName": value}
        elif where == "source_ip":
            record["sourceIPAddress"] = value
        else:
            record["recipientAccountId"] = value
    return record


def odd_records(base: list[dict], count: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    return [_mutated(rng.choice(base), rng) for _ in range(count)]


def fixture_records() -> list[dict]:
    """The small hand-written records the other tests use, as they are and with odd members."""
    plain = [describe_instances("2025-01-01T12:00:00Z", "e1"), stop_logging("2025-01-01T12:01:00Z", "e2"),
             root_console_login("2025-01-01T12:02:00Z", "e3")]
    many = stop_logging("2025-01-01T12:03:00Z", "e4")
    many["resources"] = [{"ARN": f"arn:aws:s3:::bucket-{n % 50}", "accountId": f"{n % 7:012d}", "type": "AWS::S3::Bucket"}
                         for n in range(300)]
    many["requestParameters"]["addresses"] = [f"10.0.{n % 9}.{n % 5}" for n in range(300)]
    bare = {"eventTime": "2025-01-01T00:00:00Z", "eventName": "X", "sourceIPAddress": "ec2.amazonaws.com"}
    return plain + [many, bare]


GENERATED = generated_records(2500, seed=11)
ODD = odd_records(GENERATED[:400] + fixture_records(), 1500, seed=5)
ALL_RECORDS = GENERATED + ODD + fixture_records()


def test_the_corpus_reaches_the_edges_it_is_meant_to():
    found = [reference_indicators(record) for record in ALL_RECORDS]
    assert any(len(lists["p_any_ip_addresses"]) > 1 for lists in found)
    assert any(any("/" not in ip and ":" in ip for ip in lists["p_any_ip_addresses"]) for lists in found)
    assert any(len(lists["p_any_aws_account_ids"]) > 2 for lists in found)
    assert any(len(lists["p_any_usernames"]) == 3 for lists in found)
    assert sum(type(record.get("userIdentity")) is not dict for record in ALL_RECORDS) > 50


@pytest.mark.parametrize("name, records", [("generated", GENERATED), ("odd", ODD), ("fixtures", fixture_records())])
def test_indicators_are_what_the_plain_implementation_found(name, records):
    for record in records:
        assert indicators(record) == reference_indicators(record), orjson.dumps(record).decode()


def test_the_tuned_patterns_find_what_the_plain_ones_found():
    from transforms import normalize

    for record in ALL_RECORDS:
        searched = orjson.dumps([record.get("userIdentity"), record.get("resources")] + [record.get(name) for name in _FREE_FORM]).decode()
        assert normalize._IP_VALUE.findall(searched) == _IP_VALUE.findall(searched)
        assert normalize._ARN.findall(searched) == _ARN.findall(searched)


def test_indicator_lists_are_fresh_for_every_record():
    record = stop_logging("2025-01-01T12:01:00Z", "e2")
    first = indicators(record)
    first["p_any_aws_arns"].append("changed by a rule")
    first["p_any_usernames"].append("changed by a rule")
    assert indicators(record) == reference_indicators(record)


# ------------------------------------------------------------------ the lake
_NESTED_ODDITIES = [
    ("tlsDetails", "TLSv1.2"), ("tlsDetails", {"tlsVersion": "TLSv1.3", "keyExchange": "x25519"}),
    ("resources", [{"ARN": "arn:aws:s3:::b", "type": "AWS::S3::Bucket", "partition": "aws"}]),
    ("resources", {"ARN": "arn:aws:s3:::b"}), ("resources", ["arn:aws:s3:::b"]),
    ("identity", {"onBehalfOf": {"userId": "u-1", "identityStoreArn": "arn:aws:identitystore::123456789012:identitystore/d-1"}}),
    ("identity", {"inScopeOf": {"issuerType": "AWS::Lambda::Function", "credentialsIssuedTo": "arn:aws:lambda:us-east-1:123456789012:function:f"}}),
    ("identity", {"futureIdentityField": "x"}),
    ("context", {"webIdFederationData": {"federatedProvider": "cognito-identity.amazonaws.com", "attributes": {}}}),
    ("context", {"newContextField": 1}), ("context", {"sessionIssuer": "Role"}),
    ("context", {"attributes": {"creationDate": "2025-01-01T00:00:00Z", "mfaAuthenticated": "true", "extra": "1"}}),
    ("userIdentity", None), ("userIdentity", "AWSService"),
    ("addendum", {"reason": "DELIVERY_DELAY", "updatedFields": "eventTime"}),
    ("edgeDeviceDetails", {"type": "outposts"}), ("insightDetails", {"state": "Start"}),
    ("top", {"futureField": {"nested": [1, 2]}}), ("top", {"zField": 1, "aField": [2], "mField": None}),
]
# Values of a type their column does not take: Arrow refuses them and the batch goes the exact way.
_MISTYPED = [("readOnly", "true"), ("eventVersion", 1.09), ("identity", {"arn": ["not", "a", "string"]}),
             ("tlsDetails", {"tlsVersion": 1.3}), ("resources", [{"ARN": "arn:aws:s3:::b", "accountId": 123456789012}])]


def with_oddities(base: list[dict], oddities: list[tuple[str, object]], seed: int) -> list[dict]:
    """Three copies of base records per oddity, each carrying that one oddity."""
    rng = random.Random(seed)
    records = []
    for where, value in oddities * 3:
        record = copy.deepcopy(rng.choice([record for record in base if type(record.get("userIdentity")) is dict]))
        identity, value = record["userIdentity"], copy.deepcopy(value)
        if where == "identity":
            identity.update(value)
        elif where == "context":
            identity.setdefault("sessionContext", {}).update(value)
        elif where == "top":
            record.update(value)
        else:
            record[where] = value
        records.append(record)
    rng.shuffle(records)
    return records


def _batches(records: list[dict], size: int) -> list[tuple[list[dict], list]]:
    normalised = normalise_records("s3://trail-bucket/AWSLogs/o.json.gz", records, datetime(2025, 1, 2, tzinfo=timezone.utc))
    return [(normalised.records[start:start + size], normalised.texts[start:start + size])
            for start in range(0, len(normalised.records), size)]


LAKE_BATCHES = (_batches(GENERATED, 400) + _batches(ODD, 25) + _batches(with_oddities(GENERATED, _NESTED_ODDITIES, 3), 6)
                + _batches(with_oddities(GENERATED, _MISTYPED, 4), 3) + _batches(fixture_records(), 5))


def _read_back(table: pa.Table) -> pa.Table:
    return pq.read_table(io.BytesIO(parquet_bytes(table)))


def test_lake_tables_are_what_the_field_by_field_path_makes():
    fast, fell_back, shaped_inside_fast = 0, 0, 0
    for records, texts in LAKE_BATCHES:
        exact = _table_from_cells([shape_row(record) for record in records])
        table = to_table(records, texts)
        assert table.schema == exact.schema == SCHEMA
        assert table.equals(exact)
        assert _read_back(table).to_pylist() == _read_back(exact).to_pylist()
        assert to_table(records).equals(exact)  # texts rendered by the lake itself
        try:
            _fast_table(records, texts)
        except (pa.ArrowTypeError, pa.ArrowInvalid):
            fell_back += 1
        else:
            fast += 1
            shaped_inside_fast += any(value and ("userIdentity." in value or "resources" in value or "tlsDetails" in value)
                                      for value in table.column("p_unmapped").to_pylist())
    assert fast > 10 and fell_back > 5 and shaped_inside_fast > 5, (fast, fell_back, shaped_inside_fast)


def test_unmapped_fields_keep_the_order_aws_wrote_them_in():
    records, texts = _batches([dict(GENERATED[0], zField=1, aField=[2], mField=None)], 1)[0]
    assert to_table(records, texts).column("p_unmapped").to_pylist() == ['{"zField":1,"aField":[2],"mField":null}']
