import gzip
import io
import json

import pytest

from tests.cloudtrail import describe_instances, log_file, stop_logging
from transforms.objects import SKIP_DIGEST, SKIP_EMPTY, SKIP_FOLDER, SKIP_OUT_OF_RANGE, key_date, skip_reason
from transforms.parse import BadObject, parse_object
from transforms.read import ObjectReadError, read_stream
from transforms.timeutil import TimeRange

RECORDS = [describe_instances("2025-01-01T12:00:00Z", "e1"), stop_logging("2025-01-01T12:01:00Z", "e2")]


def test_reads_gzip_and_plain_objects_alike():
    plain = json.dumps({"Records": RECORDS}).encode()
    assert read_stream(io.BytesIO(log_file(RECORDS)), 10**6) == plain
    assert read_stream(io.BytesIO(plain), 10**6) == plain


def test_reads_every_member_of_a_multi_member_gzip():
    data = gzip.compress(b'{"eventTime": "2025-01-01T00:00:00Z", "eventName": "A"}\n') + gzip.compress(
        b'{"eventTime": "2025-01-01T00:00:01Z", "eventName": "B"}\n')
    assert read_stream(io.BytesIO(data), 10**6).count(b"eventName") == 2


def test_gzip_bomb_stops_at_the_cap():
    bomb = gzip.compress(b"\0" * 50_000_000)
    with pytest.raises(ObjectReadError, match="exceeds the 1000000-byte cap"):
        read_stream(io.BytesIO(bomb), 1_000_000)


def test_truncated_gzip_is_an_error():
    data = log_file(RECORDS)
    with pytest.raises(ObjectReadError, match="truncated"):
        read_stream(io.BytesIO(data[: len(data) // 2]), 10**6)


def test_corrupt_gzip_is_an_error():
    data = bytearray(log_file(RECORDS))
    data[20:40] = b"\xff" * 20
    with pytest.raises(ObjectReadError, match="corrupt gzip"):
        read_stream(io.BytesIO(bytes(data)), 10**6)


def test_plain_object_over_the_cap_is_an_error():
    with pytest.raises(ObjectReadError, match="larger than"):
        read_stream(io.BytesIO(b"x" * 2_000_000), 1_000_000)


def test_parses_a_trail_log_file():
    parsed = parse_object(json.dumps({"Records": RECORDS}).encode())
    assert [r["eventID"] for r in parsed.records] == ["e1", "e2"] and parsed.rejected == []


def test_parses_an_eventbridge_envelope():
    envelope = {"version": "0", "id": "6a7e8feb", "detail-type": "AWS API Call via CloudTrail",
                "source": "aws.cloudtrail", "account": "123456789012", "time": "2025-01-01T12:01:00Z",
                "region": "us-east-1", "resources": [], "detail": RECORDS[1]}
    assert parse_object(json.dumps(envelope).encode()).records == [RECORDS[1]]


def test_parses_json_lines_of_mixed_shapes_and_keeps_bad_lines():
    lines = [json.dumps(RECORDS[0]), "not json at all", json.dumps({"Records": [RECORDS[1]]}), json.dumps({"other": 1}), ""]
    parsed = parse_object("\n".join(lines).encode())
    assert [r["eventID"] for r in parsed.records] == ["e1", "e2"]
    assert [item["item"] for item in parsed.rejected] == ["line 2", "line 4"]


def test_non_object_items_in_records_are_rejected_not_dropped():
    parsed = parse_object(json.dumps({"Records": [RECORDS[0], "junk", 7]}).encode())
    assert len(parsed.records) == 1
    assert [(i["item"], i["value"]) for i in parsed.rejected] == [("1", "junk"), ("2", 7)]


@pytest.mark.parametrize("data, reason", [
    (b"", "empty"),
    (b"   \n", "empty"),
    (b"<html>Access Denied</html>", "not JSON"),
    (b'{"digestStartTime": "2025-01-01T00:00:00Z", "logFiles": []}', "wrong shape"),
    (b'"just a string"', "wrong shape"),
    (b"garbage\nmore garbage\n", "not JSON or JSON Lines"),
])
def test_objects_of_no_accepted_shape_are_bad(data, reason):
    with pytest.raises(BadObject, match=reason):
        parse_object(data)


def test_key_date_follows_the_trail_and_organization_layouts():
    assert str(key_date("s3://b/AWSLogs/123456789012/CloudTrail/us-east-1/2025/01/02/x.json.gz")) == "2025-01-02"
    assert str(key_date("s3://b/AWSLogs/o-abc123/123456789012/CloudTrail/eu-west-1/2025/03/04/x.json.gz")) == "2025-03-04"
    assert key_date("/data/export/events.jsonl") is None


def test_skip_reasons():
    window = TimeRange.from_text("2025-01-10", "2025-01-11")
    base = "s3://trail/AWSLogs/123456789012/CloudTrail/us-east-1/2025/01/10/f.json.gz"
    assert skip_reason(base, 100, window) is None
    assert skip_reason("s3://trail/AWSLogs/123456789012/CloudTrail-Digest/us-east-1/2025/01/10/d.json.gz", 100, window) == SKIP_DIGEST
    assert skip_reason(base, 0, window) == SKIP_EMPTY
    assert skip_reason("s3://trail/AWSLogs/", 0, window) == SKIP_FOLDER
    assert skip_reason(base.replace("/01/10/", "/01/09/"), 100, window) == SKIP_OUT_OF_RANGE
    assert skip_reason(base.replace("/01/10/", "/01/12/"), 100, window) == SKIP_OUT_OF_RANGE
    # delivered just after midnight: may hold events from the last minutes of the range
    assert skip_reason(base.replace("/01/10/", "/01/11/"), 100, window) is None
