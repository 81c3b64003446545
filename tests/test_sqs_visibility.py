"""A message whose object is still being worked on stays invisible past its visibility timeout."""
from __future__ import annotations

import time

import boto3
import pytest

from transforms.sqs_source import SqsSourceConfig, _PollSqs

pytestmark = pytest.mark.e2e


def test_in_flight_messages_are_kept_invisible_until_deleted(moto_endpoint):
    sqs = boto3.client("sqs", endpoint_url=moto_endpoint, region_name="us-east-1")
    queue_url = sqs.create_queue(QueueName="visibility-extension")["QueueUrl"]
    sqs.send_message(QueueUrl=queue_url, MessageBody='{"Records": []}')
    poller = _PollSqs(SqsSourceConfig(queue_url, wait_seconds=1, visibility_seconds=10))
    poller.setup()
    try:
        [message] = poller._receive()
        time.sleep(12)  # past the 10 s visibility timeout: only the extender keeps it hidden
        assert sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=0).get("Messages", []) == []
        assert poller._tally.extensions >= 1
        poller._delete({message["MessageId"]: message["ReceiptHandle"]})
        assert len(poller._in_flight) == 0
    finally:
        poller.teardown()
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == attributes["ApproximateNumberOfMessagesNotVisible"] == "0"
