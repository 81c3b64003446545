"""Shared fixtures: real local servers on 127.0.0.1, never in-process mocks."""
from __future__ import annotations

import logging
import os
import socket

import boto3
import pytest

AWS_REGION = "us-east-1"

logging.getLogger("werkzeug").setLevel(logging.WARNING)


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def moto_endpoint():
    """A moto server (S3, SQS, SNS, DynamoDB over HTTP) for the whole test session."""
    from moto.server import ThreadedMotoServer

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ.setdefault("AWS_DEFAULT_REGION", AWS_REGION)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture()
def s3_client(moto_endpoint):
    return boto3.client("s3", endpoint_url=moto_endpoint, region_name=AWS_REGION)
