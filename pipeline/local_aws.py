"""The AWS wiring live mode expects, created in a local S3/SNS/SQS server (moto).

Production wiring, reproduced here for the demo, the tests and the benchmark:
the trail bucket notifies an SNS topic on ``s3:ObjectCreated:*``, the topic
delivers to an SQS queue (SNS envelope, raw delivery off), and the queue has a
redrive policy to a dead-letter queue so a message that keeps failing stops
coming back. ``python -m pipeline.local_aws --endpoint URL --bucket NAME``
creates it and prints the queue URL.
"""
from __future__ import annotations

import argparse
import json
from typing import NamedTuple

import boto3

REGION = "us-east-1"


class LiveWiring(NamedTuple):
    bucket: str
    topic_arn: str
    queue_url: str
    dead_letter_queue_url: str


def _clients(endpoint: str):
    make = lambda service: boto3.client(service, endpoint_url=endpoint, region_name=REGION)  # noqa: E731
    return make("s3"), make("sns"), make("sqs")


def wire_bucket_to_queue(endpoint: str, bucket: str, name: str = "iota-cloudtrail", max_receives: int = 5) -> LiveWiring:
    """Bucket -> SNS topic -> SQS queue (+ DLQ after ``max_receives`` receives)."""
    s3, sns, sqs = _clients(endpoint)
    s3.create_bucket(Bucket=bucket)
    topic_arn = sns.create_topic(Name=f"{name}-objects")["TopicArn"]
    dlq_url = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue_url = sqs.create_queue(
        QueueName=f"{name}-notifications",
        Attributes={
            "VisibilityTimeout": "60",
            "ReceiveMessageWaitTimeSeconds": "20",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(max_receives)}),
        },
    )["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.set_queue_attributes(
        QueueUrl=queue_url,
        Attributes={
            "Policy": json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "sns.amazonaws.com"},
                            "Action": "sqs:SendMessage",
                            "Resource": queue_arn,
                            "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}},
                        }
                    ],
                }
            )
        },
    )
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "TopicConfigurations": [
                {"Id": "cloudtrail-to-iota", "TopicArn": topic_arn, "Events": ["s3:ObjectCreated:*"]}
            ]
        },
    )
    return LiveWiring(bucket, topic_arn, queue_url, dlq_url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", required=True, help="the local server, e.g. http://127.0.0.1:5000")
    parser.add_argument("--bucket", required=True)
    args = parser.parse_args()
    print(wire_bucket_to_queue(args.endpoint, args.bucket).queue_url)


if __name__ == "__main__":
    main()
