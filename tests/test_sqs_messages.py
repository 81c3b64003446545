"""Every SQS message shape AWS sends about a new CloudTrail object, and the bad ones."""
from __future__ import annotations

import json

from transforms.sqs_messages import UNKNOWN_SIZE, NotifiedObject, parse_message

KEY = "AWSLogs/111122223333/CloudTrail/us-east-1/2025/01/15/111122223333_CloudTrail_us-east-1_20250115T1205Z_Xk3YtQpR8cVb2NwA.json.gz"


def s3_record(key: str = KEY, event_name: str = "ObjectCreated:Put", size: int = 48213) -> dict:
    """One record of an S3 event notification, version 2.1, as S3 writes it."""
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "us-east-1",
        "eventTime": "2025-01-15T12:10:31.415Z",
        "eventName": event_name,
        "userIdentity": {"principalId": "AWS:AROAEXAMPLEID:regionalDeliverySession"},
        "requestParameters": {"sourceIPAddress": "10.0.12.7"},
        "responseElements": {
            "x-amz-request-id": "C3D13FE58DE4C810",
            "x-amz-id-2": "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD",
        },
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "cloudtrail-to-iota",
            "bucket": {
                "name": "acme-cloudtrail-logs",
                "ownerIdentity": {"principalId": "A3NL1KOZZKExample"},
                "arn": "arn:aws:s3:::acme-cloudtrail-logs",
            },
            "object": {
                "key": key,
                "size": size,
                "eTag": "d41d8cd98f00b204e9800998ecf8427e",
                "sequencer": "0055AED6DCD90281E5",
            },
        },
    }


def sns_envelope(message: dict) -> dict:
    """An SNS notification as SQS receives it when raw message delivery is off."""
    return {
        "Type": "Notification",
        "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
        "TopicArn": "arn:aws:sns:us-east-1:111122223333:cloudtrail-objects",
        "Subject": "Amazon S3 Notification",
        "Message": json.dumps(message),
        "Timestamp": "2025-01-15T12:10:31.502Z",
        "SignatureVersion": "1",
        "Signature": "EXAMPLEpH+DcEwjAPg8O9mY8dReBSwksfg2S7WKQcikcNKWLQjwu6A4VbeS0QHVCkhRS7fUQvi2egU3N858fiTDN6bkkOxYDVrY0Ad8L10Hs3zH81mtnPk5uvvolIC1CXGu43obcgFxeL3khZl8IKvO61GWB6jI9b5+gLPoBc1Q=",
        "SigningCertURL": "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem",
        "UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-east-1:111122223333:cloudtrail-objects:7c2f9e4a",
    }


S3_TEST_EVENT = {
    "Service": "Amazon S3",
    "Event": "s3:TestEvent",
    "Time": "2025-01-15T11:58:02.318Z",
    "Bucket": "acme-cloudtrail-logs",
    "RequestId": "5582815E1AEA5ADF",
    "HostId": "8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE",
}

EVENTBRIDGE_OBJECT_CREATED = {
    "version": "0",
    "id": "17793124-05d4-b198-2fde-7ededc63b103",
    "detail-type": "Object Created",
    "source": "aws.s3",
    "account": "111122223333",
    "time": "2025-01-15T12:10:31Z",
    "region": "us-east-1",
    "resources": ["arn:aws:s3:::acme-cloudtrail-logs"],
    "detail": {
        "version": "0",
        "bucket": {"name": "acme-cloudtrail-logs"},
        "object": {
            "key": KEY,
            "size": 48213,
            "etag": "b1946ac92492d2347c6235b4d2611184",
            "sequencer": "617f08299329d189",
        },
        "request-id": "N4N7GDK58NMKJ12R",
        "requester": "cloudtrail.amazonaws.com",
        "source-ip-address": "10.0.12.7",
        "reason": "PutObject",
    },
}

EXPECTED = NotifiedObject("acme-cloudtrail-logs", KEY, 48213, "d41d8cd98f00b204e9800998ecf8427e")


def test_s3_notification_sent_straight_to_sqs_names_the_object():
    contents = parse_message("m-1", json.dumps({"Records": [s3_record()]}))
    assert contents.objects == (EXPECTED,)
    assert contents.dead_letter is None and contents.ignored is None


def test_s3_notification_inside_an_sns_envelope_names_the_object():
    contents = parse_message("m-2", json.dumps(sns_envelope({"Records": [s3_record()]})))
    assert contents.objects == (EXPECTED,)


def test_sns_raw_message_delivery_is_the_bare_s3_notification():
    raw = json.dumps({"Records": [s3_record()]})
    assert parse_message("m-3", raw).objects == (EXPECTED,)


def test_eventbridge_object_created_names_the_object():
    contents = parse_message("m-4", json.dumps(EVENTBRIDGE_OBJECT_CREATED))
    assert contents.objects == (
        NotifiedObject("acme-cloudtrail-logs", KEY, 48213, "b1946ac92492d2347c6235b4d2611184"),
    )


def test_eventbridge_other_detail_types_are_ignored_not_dead_lettered():
    deleted = dict(EVENTBRIDGE_OBJECT_CREATED, **{"detail-type": "Object Deleted"})
    contents = parse_message("m-5", json.dumps(deleted))
    assert contents.objects == () and contents.dead_letter is None
    assert contents.ignored == "Object Deleted"


def test_s3_test_event_is_acknowledged_and_ignored():
    contents = parse_message("m-6", json.dumps(S3_TEST_EVENT))
    assert contents.objects == () and contents.dead_letter is None
    assert contents.ignored == "s3:TestEvent"


def test_s3_test_event_published_through_sns_is_ignored_too():
    contents = parse_message("m-7", json.dumps(sns_envelope(S3_TEST_EVENT)))
    assert contents.ignored == "s3:TestEvent" and contents.dead_letter is None


def test_url_encoded_keys_are_decoded_with_plus_as_space():
    encoded = "AWSLogs/111122223333/CloudTrail/us-east-1/2025/01/15/team+exports/log%2Bv2%3A1.json.gz"
    contents = parse_message("m-8", json.dumps({"Records": [s3_record(key=encoded)]}))
    assert contents.objects[0].key == (
        "AWSLogs/111122223333/CloudTrail/us-east-1/2025/01/15/team exports/log+v2:1.json.gz"
    )
    assert contents.objects[0].url.startswith("s3://acme-cloudtrail-logs/AWSLogs/")


def test_several_records_in_one_message_give_several_objects():
    second = KEY.replace("Xk3YtQpR8cVb2NwA", "Pq7ZrW2mN4sLk9Hd")
    body = json.dumps(sns_envelope({"Records": [s3_record(), s3_record(key=second, size=512)]}))
    contents = parse_message("m-9", body)
    assert [obj.key for obj in contents.objects] == [KEY, second]
    assert [obj.size for obj in contents.objects] == [48213, 512]


def test_removal_notifications_are_ignored_not_read():
    body = json.dumps({"Records": [s3_record(event_name="ObjectRemoved:Delete")]})
    contents = parse_message("m-10", body)
    assert contents.objects == () and contents.dead_letter is None
    assert contents.ignored == "ObjectRemoved:Delete"


def test_a_body_that_is_not_json_is_a_dead_letter_with_id_and_body():
    contents = parse_message("m-11", "hello from a misconfigured producer")
    assert contents.objects == ()
    assert contents.dead_letter.message_id == "m-11"
    assert contents.dead_letter.body == "hello from a misconfigured producer"
    assert "JSONDecodeError" in contents.dead_letter.error


def test_json_of_an_unknown_shape_is_a_dead_letter():
    body = json.dumps({"detail-type": "AWS API Call via CloudTrail", "source": "aws.ec2"})
    contents = parse_message("m-12", body)
    assert contents.dead_letter is not None and contents.objects == ()
    assert "UnknownShape" in contents.dead_letter.error


def test_an_s3_record_without_a_key_is_a_dead_letter():
    record = s3_record()
    del record["s3"]["object"]["key"]
    contents = parse_message("m-13", json.dumps({"Records": [record]}))
    assert contents.dead_letter is not None and "key" in contents.dead_letter.error


def test_an_sns_envelope_around_garbage_is_a_dead_letter_keeping_the_whole_body():
    body = json.dumps(dict(sns_envelope({}), Message="not json"))
    contents = parse_message("m-14", body)
    assert contents.dead_letter.body == body


def test_cloudtrail_log_delivery_notifications_through_sns_name_every_key():
    second = KEY.replace("Xk3YtQpR8cVb2NwA", "Pq7ZrW2mN4sLk9Hd")
    notice = {"s3Bucket": "acme-cloudtrail-logs", "s3ObjectKey": [KEY, second]}
    contents = parse_message("m-15", json.dumps(dict(sns_envelope({}), Message=json.dumps(notice),
                                                     Subject="[AWS Notification Message]")))
    assert contents.objects == (NotifiedObject("acme-cloudtrail-logs", KEY, UNKNOWN_SIZE, ""),
                                NotifiedObject("acme-cloudtrail-logs", second, UNKNOWN_SIZE, ""))
