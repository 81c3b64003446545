"""What a responder needs to know about an alert, read from its first matching event.

Alert documents carry the first matching CloudTrail record under `event`; every
output shows the same facts from it (account, region, actor, source IP, event), so
they are read in one place.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Mapping

SEVERITIES = ("INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL")


@dataclass(frozen=True)
class ResponderFacts:
    account: str
    region: str
    actor: str
    source_ip: str
    event_name: str
    event_source: str


def responder_facts(alert: Mapping[str, Any]) -> ResponderFacts:
    event = alert.get("event") or {}
    return ResponderFacts(
        account=str(event.get("recipientAccountId") or ""),
        region=str(event.get("awsRegion") or ""),
        actor=actor_of(event.get("userIdentity") or {}),
        source_ip=str(event.get("sourceIPAddress") or ""),
        event_name=str(event.get("eventName") or ""),
        event_source=str(event.get("eventSource") or ""),
    )


def actor_of(user_identity: Mapping[str, Any]) -> str:
    """The most specific name CloudTrail gives the caller: ARN, then user name, then principal, then service."""
    for key in ("arn", "userName", "principalId", "invokedBy"):
        value = user_identity.get(key)
        if value:
            return str(value)
    return str(user_identity.get("type") or "")


def parse_time(iso: str) -> datetime:
    """An alert document's ISO-8601 UTC time as an aware datetime."""
    parsed = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def display_time(iso: str | None) -> str:
    """A time as responders read it: `2025-01-01 12:00:00 UTC`."""
    if not iso:
        return ""
    return parse_time(iso).astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
