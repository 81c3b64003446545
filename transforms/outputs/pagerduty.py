"""PagerDuty Events API v2: a `trigger` event per alert, `dedup_key` = alert_id.

Because the dedup key is the deterministic alert id, a retried POST, a replayed dead
letter, or the window's update all land on the same incident instead of opening a
second one. PagerDuty answers 202 when it accepted the event, 400 for an invalid
event (not retried), 429 when the routing key is throttled, 5xx when it is unwell.
"""
from __future__ import annotations

from typing import Any, Mapping

from transforms.outputs.alert_fields import responder_facts
from transforms.outputs.base import HttpOutput, Sent
from transforms.outputs.settings import OutputSettings

EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"
MAX_SUMMARY = 1_024
PAGERDUTY_SEVERITY = {"CRITICAL": "critical", "HIGH": "error", "MEDIUM": "warning", "LOW": "info", "INFO": "info"}


def pagerduty_event(alert: Mapping[str, Any], routing_key: str) -> dict[str, Any]:
    """The Events API v2 body for one alert document."""
    facts = responder_facts(alert)
    summary = f"[{alert.get('severity', '')}] {alert.get('title', '')}"
    if alert.get("kind") == "update":
        summary += f" (seen {alert.get('count')} times)"
    if len(summary) > MAX_SUMMARY:
        summary = summary[: MAX_SUMMARY - 1] + "…"
    details = {
        "rule_id": alert.get("rule_id"),
        "alert_id": alert.get("alert_id"),
        "count": alert.get("count"),
        "first_seen": alert.get("first_event_time"),
        "last_seen": alert.get("last_event_time"),
        "dedup": alert.get("dedup"),
        "account": facts.account,
        "region": facts.region,
        "actor": facts.actor,
        "source_ip": facts.source_ip,
        "event_name": facts.event_name,
        "description": alert.get("description"),
        "alert_context": alert.get("alert_context") or {},
    }
    links = [{"href": alert[key], "text": key.capitalize()} for key in ("runbook", "reference")
             if str(alert.get(key) or "").startswith(("https://", "http://"))]
    payload = {
        "summary": summary,
        "source": f"aws:{facts.account}:{facts.region}" if facts.account else "iota",
        "severity": PAGERDUTY_SEVERITY.get(str(alert.get("severity")), "warning"),
        "timestamp": alert.get("first_event_time"),
        "component": facts.event_source,
        "group": facts.account,
        "class": alert.get("rule_id"),
        "custom_details": details,
    }
    return {
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": alert["alert_id"],
        "payload": {key: value for key, value in payload.items() if value},
        "links": links,
        "client": "iota",
    }


class PagerDutyOutput(HttpOutput):
    DEFAULT_RATE_LIMIT = 2.0

    def __init__(self, output_id: str, routing_key: str, *, timeout_seconds: float, events_url: str = EVENTS_URL):
        super().__init__(output_id, timeout_seconds=timeout_seconds, secrets=[routing_key])
        self._routing_key = routing_key
        self._url = events_url

    @classmethod
    def from_settings(cls, settings: OutputSettings, timeout_seconds: float) -> "PagerDutyOutput":
        return cls(settings.output_id, settings.secret("routing_key"), timeout_seconds=timeout_seconds,
                   events_url=settings.text("events_url", EVENTS_URL))

    def send(self, alert: Mapping[str, Any], thread_ref: str | None) -> Sent:
        response = self._post_json(self._url, pagerduty_event(alert, self._routing_key))
        return Sent(response.status_code)
