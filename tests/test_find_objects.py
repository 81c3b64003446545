"""Find objects: a time range with a start lists only CloudTrail's day folders of the range.

Pure tests for the day and region folders; the walk itself against moto S3 (HTTP on
127.0.0.1) and a local folder holding the same keys.
"""
import gzip
import json
import os
import re
from datetime import date, datetime, timedelta, timezone

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.testing.util import assert_that, equal_to

from pipeline.summary import counters
from tests.cloudtrail import log_file, stop_logging, trail_key
from transforms.objects import (
    FindObjects,
    day_prefixes,
    find_objects,
    key_date,
    may_lead_to_trail_logs,
    prefixes_to_list,
    region_prefix,
)
from transforms.storage import ListingPage, list_pages, version_tag
from transforms.timeutil import TimeRange

ACCOUNT = "111111111111"
ORG_ACCOUNT = "222222222222"
ORG = "o-exampleorg1"
REGIONS = ("us-east-1", "eu-west-1")
BUCKET = "trail-bucket-listing"
ONE_DAY = TimeRange.from_text("2025-01-05", "2025-01-06")  # deliveries of Jan 5 and of Jan 6 (last minutes)


def trail_objects() -> dict[str, bytes]:
    """Ten days of one object per day, account and region (one account in an organization
    trail), plus digests, Insights events, another service's logs and a stray export."""
    objects = {}
    for n in range(10):
        moment = datetime(2025, 1, 1, 0, 7, tzinfo=timezone.utc) + timedelta(days=n)
        stamp = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        for region in REGIONS:
            records = [stop_logging(stamp, f"{n}-{region}")]
            objects[trail_key(stamp, "Ab12", ACCOUNT, region)] = log_file(records)
            org_key = trail_key(stamp, "Cd34", ORG_ACCOUNT, region).replace("AWSLogs/", f"AWSLogs/{ORG}/")
            objects[org_key] = log_file(records)
        day = moment.strftime("%Y/%m/%d")
        digest = f"{ACCOUNT}_CloudTrail-Digest_us-east-1_management-trail_us-east-1_{moment:%Y%m%dT%H%M%SZ}.json.gz"
        objects[f"AWSLogs/{ACCOUNT}/CloudTrail-Digest/us-east-1/{day}/{digest}"] = gzip.compress(
            json.dumps({"digestStartTime": stamp, "logFiles": []}).encode())
    for day in ("2025/01/05", "2025/01/09"):
        insight = f"{ACCOUNT}_CloudTrail-Insight_us-east-1_{day.replace('/', '')}T0300Z_Ef56.json.gz"
        objects[f"AWSLogs/{ACCOUNT}/CloudTrail-Insight/us-east-1/{day}/{insight}"] = log_file(
            [{"eventVersion": "1.08", "eventType": "AwsCloudTrailInsight", "eventCategory": "Insight",
              "eventTime": f"{day.replace('/', '-')}T02:00:00Z", "eventSource": "ec2.amazonaws.com",
              "eventName": "RunInstances", "recipientAccountId": ACCOUNT}])
    objects[f"AWSLogs/{ACCOUNT}/Config/us-east-1/2025/1/5/ConfigHistory/"
            f"{ACCOUNT}_Config_us-east-1_ConfigHistory_AWS::EC2::Instance_20250105T010000Z_20250105T020000Z_1.json.gz"] = (
        gzip.compress(b'{"fileVersion": "1.0", "configurationItems": []}'))
    objects["exports/events-2025-01-05.jsonl"] = json.dumps(stop_logging("2025-01-05T09:00:00Z", "stray")).encode() + b"\n"
    return objects


OBJECTS = trail_objects()
IN_ONE_DAY = sorted(
    key for key in OBJECTS
    if key.startswith("exports/") or (key_date(key) in (date(2025, 1, 5), date(2025, 1, 6)) and "-Digest/" not in key))
NOT_DIGESTS = sorted(key for key in OBJECTS if "/CloudTrail-Digest/" not in key)
# root, exports/, AWSLogs/, the account, its CloudTrail/ and CloudTrail-Insight/ folders, the
# organization, its account and CloudTrail/ folder: 9 folder listings; then two days in each of
# the five region folders (two trails x two regions, one for Insights).
ONE_DAY_LIST_REQUESTS = 9 + 2 * 5


def s3_options(endpoint: str) -> PipelineOptions:
    return PipelineOptions([f"--s3_endpoint_url={endpoint}", "--s3_access_key_id=testing",
                            "--s3_secret_access_key=testing", "--s3_region_name=us-east-1"])


@pytest.fixture()
def trail_bucket(s3_client):
    s3_client.create_bucket(Bucket=BUCKET)
    for key, body in OBJECTS.items():
        s3_client.put_object(Bucket=BUCKET, Key=key, Body=body)
    yield f"s3://{BUCKET}/"
    for key in OBJECTS:
        s3_client.delete_object(Bucket=BUCKET, Key=key)
    s3_client.delete_bucket(Bucket=BUCKET)


@pytest.fixture()
def trail_folder(tmp_path):
    for key, body in OBJECTS.items():
        path = tmp_path / "trail" / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
    return f"{tmp_path}/trail/"


def s3_etag(ref) -> bool:
    return re.fullmatch("[0-9a-f]{32}", ref.etag) is not None  # MD5 of a single-part upload


def local_version(ref) -> bool:
    return ref.etag == version_tag(ref.size, os.stat(ref.url).st_mtime)


def find(location: str, time_range: TimeRange, options: PipelineOptions, expected_keys: list[str],
         etag_is_right) -> dict[str, int]:
    """Run the Find stage alone, check the keys and versions it emits, return its counters."""
    pipeline = beam.Pipeline(options=options)
    refs = pipeline | FindObjects([location], time_range)
    assert_that(refs | beam.Map(lambda ref: ref.url.removeprefix(location)), equal_to(expected_keys), label="Keys")
    assert_that(refs | beam.Filter(lambda ref: not etag_is_right(ref)), equal_to([]), label="Versions")
    result = pipeline.run()
    result.wait_until_finish()
    return counters(result)


def listed_keys(location: str, time_range: TimeRange, options: PipelineOptions, today: date = date(2025, 2, 1)) -> list[str]:
    pages = lambda url, recursive: list_pages(url, options, recursive)  # noqa: E731
    return sorted(listed.url.removeprefix(f"s3://{BUCKET}/") for listed in find_objects(location, time_range, today, pages))


# --- pure: which folders a range lists

def test_a_range_within_one_day_lists_that_day():
    within = TimeRange.from_text("2025-01-05T06:00:00Z", "2025-01-05T18:00:00Z")
    assert day_prefixes(within, today=date(2025, 6, 1)) == ["2025/01/05/"]


def test_a_range_ending_at_midnight_also_lists_the_day_it_ends():
    assert day_prefixes(ONE_DAY, today=date(2025, 6, 1)) == ["2025/01/05/", "2025/01/06/"]


def test_a_range_across_a_month_boundary_lists_the_days_of_both_months():
    across = TimeRange.from_text("2025-01-30T12:00:00Z", "2025-02-02T01:00:00Z")
    assert day_prefixes(across, today=date(2025, 6, 1)) == ["2025/01/30/", "2025/01/31/", "2025/02/01/", "2025/02/02/"]


def test_the_listed_days_are_exactly_those_that_may_hold_deliveries_of_the_range():
    across = TimeRange.from_text("2024-12-30T12:00:00Z", "2025-01-02")
    listed = set(day_prefixes(across, today=date(2025, 6, 1)))
    around = [date(2024, 12, 25) + timedelta(days=n) for n in range(14)]
    assert listed == {f"{day:%Y/%m/%d}/" for day in around if across.may_hold_deliveries_of(day)}


def test_a_range_open_at_the_end_lists_through_today():
    open_end = TimeRange.from_text("2025-02-27", None)
    assert day_prefixes(open_end, today=date(2025, 3, 1)) == ["2025/02/27/", "2025/02/28/", "2025/03/01/"]


def test_no_day_after_today_is_listed():
    future_end = TimeRange.from_text("2025-02-27", "2030-01-01")
    assert day_prefixes(future_end, today=date(2025, 2, 28)) == ["2025/02/27/", "2025/02/28/"]
    assert day_prefixes(TimeRange.from_text("2025-03-02", None), today=date(2025, 3, 1)) == []


def test_a_range_open_at_the_start_has_no_days_to_list():
    with pytest.raises(ValueError, match="open at the start"):
        day_prefixes(TimeRange.from_text(None, "2025-01-02"), today=date(2025, 3, 1))


def test_region_folders_of_trails_organization_trails_and_insights_are_recognised():
    trail = f"s3://b/AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/"
    organization = f"s3://b/AWSLogs/{ORG}/{ORG_ACCOUNT}/CloudTrail/eu-west-1/"
    insights = f"/data/prod/AWSLogs/{ACCOUNT}/CloudTrail-Insight/us-east-1/"
    assert region_prefix(trail) == trail
    assert region_prefix(trail + "2025/01/") == trail
    assert region_prefix(organization + "2025/01/05/") == organization
    assert region_prefix(insights) == insights


def test_folders_above_a_region_or_outside_the_trail_layout_are_not_region_folders():
    assert region_prefix(f"s3://b/AWSLogs/{ACCOUNT}/CloudTrail/") is None
    assert region_prefix(f"s3://b/AWSLogs/{ACCOUNT}/CloudTrail-Digest/us-east-1/") is None
    assert region_prefix("/data/copies/CloudTrail/us-east-1/") is None  # no AWSLogs/<account>/ above it


def test_the_walk_skips_digest_and_other_service_folders_of_an_account():
    assert may_lead_to_trail_logs(f"s3://b/AWSLogs/{ACCOUNT}/CloudTrail/")
    assert may_lead_to_trail_logs(f"s3://b/AWSLogs/{ORG}/{ORG_ACCOUNT}/CloudTrail-Insight/")
    assert may_lead_to_trail_logs(f"s3://b/AWSLogs/{ORG}/")
    assert may_lead_to_trail_logs("s3://b/exports/")
    assert not may_lead_to_trail_logs(f"s3://b/AWSLogs/{ACCOUNT}/CloudTrail-Digest/")
    assert not may_lead_to_trail_logs(f"s3://b/AWSLogs/{ORG}/{ORG_ACCOUNT}/Config/")


def test_a_location_inside_a_region_lists_only_the_range_days_under_it():
    region = f"s3://b/AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/"
    days = ["2025/01/30/", "2025/01/31/", "2025/02/01/"]
    assert prefixes_to_list(region, region, days) == [region + day for day in days]
    assert prefixes_to_list(region + "2025/01/", region, days) == [region + "2025/01/30/", region + "2025/01/31/"]
    assert prefixes_to_list(region + "2025/02/01/", region, days) == [region + "2025/02/01/"]
    assert prefixes_to_list(region + "2025/02/02/", region, days) == []
    assert prefixes_to_list(region + "2024/", region, days) == []


def test_insights_keys_carry_their_delivery_date():
    assert key_date(f"s3://b/AWSLogs/{ACCOUNT}/CloudTrail-Insight/us-east-1/2025/01/05/x.json.gz") == date(2025, 1, 5)


# --- over moto S3 and a local folder

def test_a_one_day_range_over_s3_lists_only_that_days_folders(trail_bucket, moto_endpoint):
    figures = find(trail_bucket, ONE_DAY, s3_options(moto_endpoint), IN_ONE_DAY, s3_etag)

    assert len(IN_ONE_DAY) == 10  # 2 days x 2 trails x 2 regions, 1 Insights object, the stray export
    assert figures["objects.listed"] == len(IN_ONE_DAY)  # no other day, digest or Config object was listed
    assert not any(figures.get(f"objects.skipped_{reason}") for reason in ("digest", "empty", "folder", "out_of_range"))
    assert figures["objects.list_requests"] == ONE_DAY_LIST_REQUESTS


def test_an_unbounded_range_over_s3_lists_everything_in_one_recursive_listing(trail_bucket, moto_endpoint):
    figures = find(trail_bucket, TimeRange(), s3_options(moto_endpoint), NOT_DIGESTS, s3_etag)

    assert figures["objects.listed"] == len(OBJECTS)
    assert figures["objects.skipped_digest"] == 10
    assert figures["objects.list_requests"] == 1


def test_a_range_open_at_the_start_lists_everything_and_skips_by_key_date(trail_bucket, moto_endpoint):
    until_jan_3 = sorted(key for key in NOT_DIGESTS if key_date(key) is None or key_date(key) <= date(2025, 1, 3))
    figures = find(trail_bucket, TimeRange.from_text(None, "2025-01-03"), s3_options(moto_endpoint), until_jan_3, s3_etag)

    assert figures["objects.list_requests"] == 1
    assert figures["objects.listed"] == len(OBJECTS)
    assert figures["objects.skipped_out_of_range"] == 4 * 7 + 2  # Jan 4-10 of both trails and regions, both Insights


@pytest.mark.parametrize("location, expected", [
    (f"AWSLogs/{ACCOUNT}/CloudTrail/", [f"AWSLogs/{ACCOUNT}/CloudTrail/{region}/2025/01/{day}/" for region in REGIONS
                                        for day in ("05", "06")]),
    (f"AWSLogs/{ACCOUNT}/CloudTrail/us-east-1", [f"AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2025/01/{day}/"
                                                 for day in ("05", "06")]),
    (f"AWSLogs/{ORG}/{ORG_ACCOUNT}/CloudTrail/eu-west-1/2025/01/", [
        f"AWSLogs/{ORG}/{ORG_ACCOUNT}/CloudTrail/eu-west-1/2025/01/{day}/" for day in ("05", "06")]),
    (f"AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2025/01/06/", [f"AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2025/01/06/"]),
    (f"AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2025/01/07/", []),
    (f"AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2024/", []),
])
def test_any_input_location_down_to_a_day_finds_the_range_objects_under_it(trail_bucket, moto_endpoint, location,
                                                                             expected):
    found = listed_keys(trail_bucket + location, ONE_DAY, s3_options(moto_endpoint))
    assert found == sorted(key for key in OBJECTS if any(key.startswith(folder) for folder in expected))
    assert len(found) == len(expected)


def test_a_range_open_at_the_end_lists_through_today(trail_bucket, moto_endpoint):
    region = trail_bucket + f"AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/"
    found = listed_keys(region, TimeRange.from_text("2025-01-08", None), s3_options(moto_endpoint), today=date(2025, 1, 9))
    assert [key_date(key) for key in found] == [date(2025, 1, 8), date(2025, 1, 9)]


def test_a_one_day_range_over_a_local_folder_lists_only_that_days_folders(trail_folder):
    figures = find(trail_folder, ONE_DAY, PipelineOptions([]), IN_ONE_DAY, local_version)

    assert figures["objects.listed"] == len(IN_ONE_DAY)
    assert not figures.get("objects.skipped_out_of_range")
    assert figures["objects.list_requests"] == ONE_DAY_LIST_REQUESTS  # directory reads


def test_an_unbounded_range_over_a_local_folder_lists_every_file(trail_folder):
    figures = find(trail_folder, TimeRange(), PipelineOptions([]), NOT_DIGESTS, local_version)

    assert figures["objects.listed"] == len(OBJECTS)
    assert figures["objects.skipped_digest"] == 10


def test_a_missing_local_folder_or_a_file_lists_as_one_empty_page_like_an_s3_prefix(tmp_path):
    (tmp_path / "events.jsonl").write_text("{}\n")
    for folder in (f"{tmp_path}/missing/", f"{tmp_path}/events.jsonl/"):
        assert list(list_pages(folder, PipelineOptions([]), recursive=False)) == [ListingPage([], [])]
