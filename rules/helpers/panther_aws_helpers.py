"""AWS helpers rules import as `panther_aws_helpers`, written for iota."""
from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from transforms.rules_engine.event import deep_get

__all__ = [
    "aws_cloudtrail_success",
    "aws_event_tense",
    "aws_guardduty_context",
    "aws_key_account_id",
    "aws_rule_context",
    "aws_strip_role_session_id",
    "lookup_aws_account_name",
]


def aws_rule_context(event: Any) -> dict:
    """The fields a responder reads first from any CloudTrail alert."""
    return {
        "eventName": event.get("eventName", "<MISSING_EVENT_NAME>"),
        "eventSource": event.get("eventSource", "<MISSING_EVENT_SOURCE>"),
        "awsRegion": event.get("awsRegion", "<MISSING_AWS_REGION>"),
        "recipientAccountId": event.get("recipientAccountId", "<MISSING_ACCOUNT_ID>"),
        "sourceIPAddress": event.get("sourceIPAddress", "<MISSING_SOURCE_IP>"),
        "userAgent": event.get("userAgent", "<MISSING_USER_AGENT>"),
        "userIdentity": event.get("userIdentity", "<MISSING_USER_IDENTITY>"),
    }


def aws_cloudtrail_success(event: Any) -> bool:
    """True when the call succeeded: CloudTrail writes errorCode/errorMessage only on failure."""
    return not event.get("errorCode") and not event.get("errorMessage")


def aws_event_tense(event_name: str) -> str:
    """"DeleteTrail" -> "deleted", for titles that read as sentences."""
    verbs = {
        "Add": "added", "Attach": "attached", "Authorize": "authorized", "Create": "created",
        "Deactivate": "deactivated", "Delete": "deleted", "Detach": "detached", "Disable": "disabled",
        "Enable": "enabled", "Modify": "modified", "Put": "put", "Remove": "removed", "Reset": "reset",
        "Revoke": "revoked", "Schedule": "scheduled", "Stop": "stopped", "Update": "updated",
    }
    for prefix, past in verbs.items():
        if event_name.startswith(prefix):
            return past
    return event_name


def aws_strip_role_session_id(user_identity_arn: str) -> str:
    """arn:aws:sts::1:assumed-role/Role/session -> arn:aws:sts::1:assumed-role/Role."""
    return re.sub(r"(:assumed-role/[^/]+)/.*$", r"\1", user_identity_arn or "")


def lookup_aws_account_name(account_id: str) -> str:
    """The account's name where known; iota has no account directory, so the id itself."""
    return str(account_id)


def aws_key_account_id(aws_key: str) -> str:
    """The 12-digit account id encoded in an access key id (AKIA.../ASIA... keys issued since 2019)."""
    trimmed = (aws_key or "")[4:]
    try:
        decoded = base64.b32decode(trimmed.upper() + "=" * (-len(trimmed) % 8))
    except (binascii.Error, ValueError):
        return ""
    if len(decoded) < 6:
        return ""
    number = int.from_bytes(decoded[0:6], byteorder="big", signed=False)
    return f"{(number & 0x7FFFFFFFFF80) >> 7:012d}"


def aws_guardduty_context(detail: Any) -> dict:
    """The parts of a GuardDuty finding a responder needs."""
    return {
        "description": deep_get(detail, "description", default="<MISSING_DESCRIPTION>"),
        "severity": deep_get(detail, "severity", default="<MISSING_SEVERITY>"),
        "id": deep_get(detail, "id", default="<MISSING_ID>"),
        "type": deep_get(detail, "type", default="<MISSING_TYPE>"),
        "resource": deep_get(detail, "resource", default={}),
        "service": deep_get(detail, "service", default={}),
    }
