import json
from datetime import datetime, timezone

import duckdb
import pyarrow.dataset as ds
from apache_beam.options.pipeline_options import PipelineOptions

from tests.cloudtrail import ACCOUNT, describe_instances, root_console_login, stop_logging
from transforms.lake import by_partition, lake_file_path, parquet_bytes, to_table
from transforms.normalize import NormalisedObject, chunked, indicators, normalise_records, record_texts
from transforms.storage import write_object

PARSED_AT = datetime(2025, 1, 2, tzinfo=timezone.utc)
SOURCE = "s3://trail-bucket/AWSLogs/123456789012/CloudTrail/us-east-1/2025/01/01/f.json.gz"


def normalise(records):
    return normalise_records(SOURCE, records, PARSED_AT)


def batch_of(records):
    (batch,) = chunked(SOURCE, normalise(records))
    return batch


def test_normalising_adds_p_fields_and_changes_nothing_aws_wrote():
    original = stop_logging("2025-01-01T12:01:00Z", "e2")
    row = normalise([original]).records[0]
    assert {k: v for k, v in row.items() if not k.startswith("p_")} == original
    assert row["p_log_type"] == "AWS.CloudTrail"
    assert row["p_event_time"] == "2025-01-01T12:01:00.000000Z"
    assert row["p_parse_time"] == "2025-01-02T00:00:00.000000Z"
    assert row["p_source_file"] == SOURCE


def test_row_ids_are_deterministic_and_distinct():
    records = [describe_instances("2025-01-01T12:00:00Z", "e1"), describe_instances("2025-01-01T12:00:00Z", "e2")]
    first, second = normalise(records).records, normalise(records).records
    assert [r["p_row_id"] for r in first] == [r["p_row_id"] for r in second]
    assert first[0]["p_row_id"] != first[1]["p_row_id"]


def test_indicators_are_collected_from_identity_resources_and_parameters():
    record = stop_logging("2025-01-01T12:01:00Z", "e2")
    record["requestParameters"]["cidrIp"] = "0.0.0.0/0"
    record["requestParameters"]["ipv6"] = "2001:db8::1"
    record["resources"] = [{"ARN": "arn:aws:s3:::logs-bucket", "accountId": "210987654321", "type": "AWS::S3::Bucket"}]
    found = indicators(record)
    assert found["p_any_ip_addresses"] == ["203.0.113.10", "0.0.0.0", "2001:db8::1"]
    assert found["p_any_aws_account_ids"] == [ACCOUNT, "210987654321"]
    assert f"arn:aws:sts::{ACCOUNT}:assumed-role/Admin/alice" in found["p_any_aws_arns"]
    assert f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/management-trail" in found["p_any_aws_arns"]
    assert found["p_any_usernames"] == ["Admin"]


def test_indicators_are_empty_lists_when_there_are_none():
    record = {"eventTime": "2025-01-01T00:00:00Z", "eventName": "X", "sourceIPAddress": "ec2.amazonaws.com"}
    assert indicators(record) == {"p_any_ip_addresses": [], "p_any_aws_account_ids": [], "p_any_aws_arns": [], "p_any_usernames": []}


def test_records_without_event_time_are_rejected_whole():
    records = [describe_instances("2025-01-01T12:00:00Z", "e1"), {"eventName": "NoTime"}]
    result = normalise(records)
    assert [r["eventID"] for r in result.records] == ["e1"]
    assert result.rejected == [{"item": 1, "error": "missing or invalid eventTime", "value": {"eventName": "NoTime"}}]


def test_large_objects_are_cut_into_numbered_chunks_with_their_texts():
    normalised = NormalisedObject(list(range(25)), [], [f"texts of {n}" for n in range(25)])
    batches = list(chunked(SOURCE, normalised, size=10))
    assert [(b.chunk, len(b.records)) for b in batches] == [(0, 10), (1, 10), (2, 5)]
    assert all(b.texts == [f"texts of {n}" for n in b.records] for b in batches)


def test_normalise_renders_each_records_texts_once_for_the_stages_after_it():
    records = [describe_instances("2025-01-01T12:00:00Z", "e1"), {"eventName": "NoTime"}, root_console_login("2025-01-01T12:05:00Z", "e2")]
    result = normalise(records)
    assert result.texts == [record_texts(records[0]), record_texts(records[2])]
    identity, request, response, additional, service = result.texts[1]
    assert identity == json.dumps(records[2]["userIdentity"], separators=(",", ":")).encode()
    assert (request, service) == (None, None)
    assert response == json.dumps(records[2]["responseElements"], separators=(",", ":"))
    assert additional == json.dumps(records[2]["additionalEventData"], separators=(",", ":"))


def test_partitions_follow_event_time_by_hour_and_keep_each_records_texts():
    batch = batch_of([describe_instances("2025-01-01T12:59:59Z", "a"), root_console_login("2025-01-01T13:00:00Z", "b"),
                      describe_instances("2025-01-01T12:30:00Z", "c")])
    parts = by_partition(batch)
    assert sorted(parts) == ["year=2025/month=01/day=01/hour=12", "year=2025/month=01/day=01/hour=13"]
    assert [r["eventID"] for r in parts["year=2025/month=01/day=01/hour=12"].records] == ["a", "c"]
    for part in parts.values():
        assert (part.source, part.chunk) == (batch.source, batch.chunk)
        assert part.texts == [record_texts(record) for record in part.records]


def test_values_that_do_not_fit_the_schema_are_kept_in_p_unmapped():
    record = describe_instances("2025-01-01T12:00:00Z", "e1")
    record["readOnly"] = "true"
    record["futureField"] = {"nested": [1, 2]}
    record["userIdentity"]["sessionContext"]["newThing"] = "x"
    batch = batch_of([record])
    row = to_table(batch.records, batch.texts).to_pylist()[0]
    assert row["readOnly"] is None
    assert row["p_unmapped"] == (
        '{"futureField":{"nested":[1,2]},"readOnly":"true","userIdentity.sessionContext.newThing":"x"}'
    )


def test_lake_is_readable_by_duckdb_and_pyarrow_with_hive_partitions(tmp_path):
    batch = batch_of([describe_instances("2025-01-01T12:00:00Z", "e1"), root_console_login("2025-01-01T13:05:00Z", "e2"),
                      stop_logging("2025-01-01T13:06:00Z", "e3")])
    for partition, part in by_partition(batch).items():
        write_object(lake_file_path(str(tmp_path), partition, SOURCE, 0), parquet_bytes(to_table(part.records, part.texts)),
                     PipelineOptions())
    table = ds.dataset(str(tmp_path / "aws_cloudtrail"), format="parquet", partitioning="hive").to_table()
    assert sorted(table.column("hour").to_pylist()) == [12, 13, 13]
    con = duckdb.connect()
    result = con.execute(
        f"select eventName, userIdentity.type, hour, additionalEventData from read_parquet('{tmp_path}/**/*.parquet', hive_partitioning=1) "
        "where eventSource = 'signin.amazonaws.com'"
    ).fetchall()
    assert result == [("ConsoleLogin", "Root", 13, '{"LoginTo":"https://console.aws.amazon.com/console/home","MobileVersion":"No","MFAUsed":"No"}')]
    issuer = con.execute(
        f"select userIdentity.sessionContext.sessionIssuer.userName from read_parquet('{tmp_path}/**/*.parquet') where eventID = 'e3'"
    ).fetchone()
    assert issuer == ("Admin",)


def test_rewriting_the_same_source_replaces_its_file(tmp_path):
    batch = batch_of([describe_instances("2025-01-01T12:00:00Z", "e1")])
    for _ in range(2):
        for partition, part in by_partition(batch).items():
            write_object(lake_file_path(str(tmp_path), partition, SOURCE, 0), parquet_bytes(to_table(part.records, part.texts)),
                         PipelineOptions())
    files = list(tmp_path.rglob("*.parquet"))
    assert len(files) == 1 and not list(tmp_path.rglob("*.inprogress"))


def test_batch_conversion_matches_the_field_by_field_path():
    from transforms.lake import _table_from_cells, shape_row

    plain = describe_instances("2025-01-01T12:00:00Z", "e1")
    odd = stop_logging("2025-01-01T12:01:00Z", "e2")
    odd["userIdentity"]["sessionContext"]["attributes"]["newAttribute"] = "1"
    odd["resources"] = [{"ARN": "arn:aws:s3:::b", "accountId": "123456789012", "type": "AWS::S3::Bucket", "extra": 1}]
    federated = root_console_login("2025-01-01T12:02:00Z", "e3")
    federated["userIdentity"]["onBehalfOf"] = {"userId": "u-1", "identityStoreArn": "arn:aws:identitystore::123456789012:identitystore/d-1"}
    mistyped = describe_instances("2025-01-01T12:03:00Z", "e4")
    mistyped["eventVersion"] = 1.08
    for batch in ([plain, odd, federated], [plain, mistyped]):
        result = normalise(batch)
        exact = _table_from_cells([shape_row(row) for row in result.records])
        assert to_table(result.records, result.texts).equals(exact)
        assert to_table(result.records).equals(exact)


def test_progress_is_logged_with_objects_events_and_rate(caplog):
    from transforms.normalize import ProgressLog

    progress = ProgressLog(interval=0.0)
    with caplog.at_level("INFO", logger="iota.progress"):
        progress.add(400)
        progress.add(250)
    assert "progress: 2 objects, 650 events," in caplog.messages[-1] and "events/s" in caplog.messages[-1]
