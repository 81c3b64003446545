"""Dedup windows: the pure decision, and the batch and streaming shells agreeing on it."""
from datetime import timedelta

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.test_stream import TestStream
from apache_beam.testing.util import assert_that, equal_to
from apache_beam.transforms.window import TimestampedValue
from apache_beam.utils.timestamp import Timestamp

from transforms.dedup import AlertWindows, Dedup, alert_id, decide_in_order, dedup_key, match_ref


def match(minute: int, **fields):
    """A match ref, as detect emits it, for a StopLogging event `minute` minutes after 10:00."""
    return match_ref(match_document(minute, **fields))


def match_document(minute: int, *, rule="AWS.CloudTrail.Stopped", dedup="arn:aws:iam::123456789012:role/Admin",
                   period=60, threshold=1, unique=None, row=None):
    hour, minute = divmod(minute, 60)
    return {
        "rule_id": rule, "title": f"CloudTrail stopped by {dedup}", "dedup": dedup, "severity": "HIGH",
        "log_type": "AWS.CloudTrail", "dedup_period_minutes": period, "threshold": threshold, "unique": unique,
        "description": "", "runbook": "", "reference": "", "destinations": None, "alert_context": {},
        "event": {"eventName": "StopLogging", "p_row_id": row or f"row-{hour:02d}{minute:02d}",
                  "p_event_time": f"2025-01-01T{10 + hour:02d}:{minute:02d}:00.000000Z"},
    }


def summary(documents):
    return [(d["kind"], d["count"], d["window_start"][11:16], d["last_event_time"][11:16]) for d in documents]


def test_first_match_alerts_at_once_and_the_window_close_reports_the_count():
    assert summary(decide_in_order([match(0), match(10), match(59)])) == [
        ("alert", 1, "10:00", "10:00"), ("update", 3, "10:00", "10:59")]


def test_a_match_at_the_window_end_opens_a_new_alert():
    documents = decide_in_order([match(0), match(60)])
    assert summary(documents) == [("alert", 1, "10:00", "10:00"), ("alert", 1, "11:00", "11:00")]
    assert documents[0]["alert_id"] != documents[1]["alert_id"]


def test_no_update_when_nothing_was_added_after_the_alert():
    assert summary(decide_in_order([match(0)])) == [("alert", 1, "10:00", "10:00")]


def test_threshold_holds_the_alert_until_enough_matches():
    assert summary(decide_in_order([match(m, threshold=3) for m in (0, 5, 10, 20)])) == [
        ("alert", 3, "10:00", "10:10"), ("update", 4, "10:00", "10:20")]
    assert decide_in_order([match(0, threshold=3), match(5, threshold=3)]) == []


def test_unique_values_count_toward_threshold_instead_of_matches():
    matches = [match(m, threshold=2, unique=u) for m, u in ((0, "bob"), (1, "bob"), (2, "bob"), (3, "eve"))]
    documents = decide_in_order(matches)
    assert summary(documents) == [("alert", 4, "10:00", "10:03")]
    assert documents[0]["unique_count"] == 2


def test_alert_id_is_deterministic_from_rule_dedup_and_window_start():
    document = decide_in_order([match(0)])[0]
    assert document["alert_id"] == alert_id("AWS.CloudTrail.Stopped", "arn:aws:iam::123456789012:role/Admin",
                                            "2025-01-01T10:00:00.000000Z")
    assert document["event"]["p_row_id"] == "row-0000"


def test_order_of_arrival_does_not_change_batch_decisions():
    matches = [match(m) for m in (0, 30, 59, 61, 90, 200)]
    assert decide_in_order(matches) == decide_in_order(list(reversed(matches)))


def test_a_late_match_reopens_its_closed_window_and_sends_another_update():
    windows = AlertWindows()
    windows.observe(match(0))
    windows.observe(match(10))
    assert summary(windows.close()) == [("update", 2, "10:00", "10:10")]
    assert windows.observe(match(20)) == []
    assert summary(windows.close()) == [("update", 3, "10:00", "10:20")]


SCENARIO = [match_document(m) for m in (0, 10, 20, 65, 70)] + [
    match_document(5, dedup="other-role"), match_document(15, rule="AWS.Other")]
KEYED = [(dedup_key(document), [match_ref(document)]) for document in SCENARIO]


def decided_per_key(keyed):
    documents = []
    for key in dict.fromkeys(k for k, _ in keyed):
        documents += decide_in_order([ref for k, refs in keyed if k == key for ref in refs])
    return documents


def test_batch_shell_decides_like_the_pure_core():
    with TestPipeline() as pipeline:
        documents = (
            pipeline
            | beam.Create(KEYED[::-1])
            | beam.Map(lambda kv: TimestampedValue(kv, Timestamp(micros=kv[1][0][0])))
            | Dedup(streaming=False)
        )
        assert_that(documents, equal_to(decided_per_key(KEYED)))


def test_streaming_with_test_stream_gives_the_same_alerts_as_batch():
    options = PipelineOptions()
    options.view_as(StandardOptions).streaming = True
    stream = TestStream()
    for item in sorted(KEYED, key=lambda kv: kv[1][0][0]):
        moment = Timestamp(micros=item[1][0][0])
        stream = stream.add_elements([TimestampedValue(item, moment)]).advance_watermark_to(moment)
    # past every window's end, as a running stream would be, before the stream ends
    stream = stream.advance_watermark_to(Timestamp.from_rfc3339("2025-01-01T13:00:00Z")).advance_watermark_to_infinity()
    batch = decided_per_key(KEYED)
    with TestPipeline(options=options) as pipeline:
        documents = pipeline | stream | Dedup(streaming=True, lateness_allowance=timedelta(minutes=15))
        assert_that(documents, equal_to(batch))
    assert summary(sorted(batch, key=lambda d: (d["rule_id"], d["dedup"], d["window_start"], d["kind"]))) == [
        ("alert", 1, "10:00", "10:00"), ("update", 3, "10:00", "10:20"),
        ("alert", 1, "11:05", "11:05"), ("update", 2, "11:05", "11:10"),
        ("alert", 1, "10:05", "10:05"),
        ("alert", 1, "10:15", "10:15"),
    ]


def test_streaming_state_forgets_closed_windows_and_a_very_late_match_opens_a_new_alert():
    options = PipelineOptions()
    options.view_as(StandardOptions).streaming = True
    key = dedup_key(match_document(0))
    stream = (
        TestStream()
        .add_elements([TimestampedValue((key, [match(0)]), Timestamp.from_rfc3339("2025-01-01T10:00:00Z"))])
        .advance_watermark_to(Timestamp.from_rfc3339("2025-01-01T13:00:00Z"))
        # 10:30 falls in the 10:00 window, which was closed and then forgotten
        .add_elements([TimestampedValue((key, [match(30)]), Timestamp.from_rfc3339("2025-01-01T13:00:00Z"))])
        .advance_watermark_to(Timestamp.from_rfc3339("2025-01-01T16:00:00Z"))
        .advance_watermark_to_infinity()
    )
    with TestPipeline(options=options) as pipeline:
        documents = pipeline | stream | Dedup(streaming=True, lateness_allowance=timedelta(minutes=15))
        assert_that(documents | beam.Map(lambda d: (d["kind"], d["window_start"][11:16])),
                    equal_to([("alert", "10:00"), ("alert", "10:30")]))
