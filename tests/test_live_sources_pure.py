"""The pure parts of the live sources: watermark rule, in-flight bookkeeping, recent-day listing, summary."""
from __future__ import annotations

from datetime import date, timedelta

from pipeline.summary import render
from transforms.live_polling import held_watermark
from transforms.objects import day_prefixes
from transforms.s3_poll_source import SeenObjects, recent_range
from transforms.sqs_source import InFlightMessages

ACCOUNT_KEY = "AWSLogs/111122223333/CloudTrail/us-east-1/2025/01/15/111122223333_CloudTrail_us-east-1_20250115T1205Z_Xk3YtQpR8cVb2NwA.json.gz"


def test_watermark_trails_the_clock_by_the_allowance_when_idle():
    assert held_watermark(10_000.0, None, timedelta(minutes=15)) == 10_000.0 - 900


def test_watermark_is_held_behind_the_oldest_unfinished_message():
    assert held_watermark(10_000.0, 4_000.0, timedelta(minutes=15)) == 4_000.0 - 900


def test_in_flight_messages_due_for_extension_are_those_turning_visible_soon():
    in_flight = InFlightMessages()
    in_flight.add("a", "receipt-a", sent_at=100.0, visible_again_at=130.0)
    in_flight.add("b", "receipt-b", sent_at=90.0, visible_again_at=300.0)
    assert in_flight.due_for_extension(now=110.0, margin=60.0) == {"a": "receipt-a"}
    in_flight.extended(["a"], visible_again_at=400.0)
    assert in_flight.due_for_extension(now=110.0, margin=60.0) == {}
    assert in_flight.oldest_sent_at() == 90.0
    in_flight.remove(["b"])
    assert in_flight.oldest_sent_at() == 100.0 and len(in_flight) == 1


def test_a_poll_lists_the_day_folders_of_today_and_the_lookback_days():
    today = date(2025, 1, 1)
    assert day_prefixes(recent_range(today, lookback_days=1), today) == ["2024/12/31/", "2025/01/01/"]
    assert day_prefixes(recent_range(today, lookback_days=0), today) == ["2025/01/01/"]


def test_seen_objects_report_new_keys_and_replaced_objects_once():
    seen = SeenObjects()
    first = seen.unseen([(ACCOUNT_KEY, "etag-1")])
    seen.remember(first)
    assert first == [(ACCOUNT_KEY, "etag-1")]
    assert seen.unseen([(ACCOUNT_KEY, "etag-1")]) == []
    assert seen.unseen([(ACCOUNT_KEY, "etag-2")]) == [(ACCOUNT_KEY, "etag-2")]


def test_seen_objects_forget_days_past_the_lookback_and_survive_json():
    seen = SeenObjects({ACCOUNT_KEY: "etag-1", ACCOUNT_KEY.replace("/15/", "/17/"): "etag-2"})
    seen.forget_before(date(2025, 1, 16))
    restored = SeenObjects.from_json(seen.to_json())
    assert len(restored) == 1
    assert restored.unseen([(ACCOUNT_KEY.replace("/15/", "/17/"), "etag-2")]) == []



def test_a_live_summary_does_not_claim_a_listing_it_never_made():
    live = render({"objects.read": 3, "events.normalised": 600}, 10.0, "/lake", "-")
    backfill = render({"objects.listed": 4, "objects.list_requests": 2, "objects.read": 3}, 10.0, "/lake", "-")
    assert "  objects      read 3, skipped 0" in live and "listed" not in live
    assert "  objects      listed 4 (2 list requests), read 3, skipped 0" in backfill
