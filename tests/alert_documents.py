"""Realistic alert documents (the dedup stage's contract) for output tests."""
from __future__ import annotations

import copy
from typing import Any

CONSOLE_LOGIN_EVENT = {
    "eventVersion": "1.08",
    "userIdentity": {
        "type": "IAMUser",
        "principalId": "AIDA6ON6E4XEGITEXAMPLE",
        "arn": "arn:aws:iam::123456789012:user/alice",
        "accountId": "123456789012",
        "userName": "alice",
    },
    "eventTime": "2025-01-01T12:03:27Z",
    "eventSource": "signin.amazonaws.com",
    "eventName": "ConsoleLogin",
    "awsRegion": "us-east-1",
    "sourceIPAddress": "203.0.113.45",
    "userAgent": "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "requestParameters": None,
    "responseElements": {"ConsoleLogin": "Success"},
    "additionalEventData": {"LoginTo": "https://console.aws.amazon.com/console/home", "MobileVersion": "No",
                            "MFAUsed": "No"},
    "eventID": "3fcfb586-c5d5-4d5a-8c9a-6f0c3d0e1b2a",
    "readOnly": False,
    "eventType": "AwsConsoleSignIn",
    "managementEvent": True,
    "recipientAccountId": "123456789012",
    "eventCategory": "Management",
    "p_log_type": "AWS.CloudTrail",
    "p_event_time": "2025-01-01T12:03:27.000000Z",
    "p_parse_time": "2025-01-02T08:00:00.000000Z",
    "p_row_id": "9b2f0c1d4e5a6b7c8d9e0f1a2b3c4d5e",
    "p_source_file": "s3://trail-bucket/AWSLogs/123456789012/CloudTrail/us-east-1/2025/01/01/x.json.gz",
    "p_any_ip_addresses": ["203.0.113.45"],
    "p_any_aws_account_ids": ["123456789012"],
    "p_any_aws_arns": ["arn:aws:iam::123456789012:user/alice"],
    "p_any_usernames": ["alice"],
}


def console_login_alert(number: int = 1, **overrides: Any) -> dict[str, Any]:
    """An alert for a console login without MFA; `number` varies the alert id."""
    alert = {
        "alert_id": f"{number:032x}",
        "kind": "alert",
        "rule_id": "AWS.Console.LoginWithoutMFA",
        "title": "Console login without MFA by arn:aws:iam::123456789012:user/alice",
        "severity": "HIGH",
        "dedup": "arn:aws:iam::123456789012:user/alice",
        "log_type": "AWS.CloudTrail",
        "count": 1,
        "unique_count": None,
        "first_event_time": "2025-01-01T12:03:27.000000Z",
        "last_event_time": "2025-01-01T12:03:27.000000Z",
        "window_start": "2025-01-01T12:03:27.000000Z",
        "window_end": "2025-01-01T13:03:27.000000Z",
        "dedup_period_minutes": 60,
        "threshold": 1,
        "description": "An IAM user signed in to the AWS console without multi-factor authentication.",
        "runbook": "https://wiki.example.com/runbooks/console-login-without-mfa",
        "reference": "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa.html",
        "destinations": None,
        "alert_context": {"userAgent": CONSOLE_LOGIN_EVENT["userAgent"], "mfa_used": "No"},
        "event": copy.deepcopy(CONSOLE_LOGIN_EVENT),
    }
    alert.update(overrides)
    return alert


def update_of(alert: dict[str, Any], count: int, last_event_time: str) -> dict[str, Any]:
    """The dedup window's closing update for `alert`."""
    return {**copy.deepcopy(alert), "kind": "update", "count": count, "last_event_time": last_event_time}
