"""Generic webhook (signature, headers) and PagerDuty Events v2 (dedup_key) against a local server."""
from __future__ import annotations

import hashlib
import hmac
import json

from tests.alert_documents import console_login_alert, update_of
from tests.http_recorder import Reply, http_recorder  # noqa: F401
from transforms.outputs.delivery import deliver
from transforms.outputs.pagerduty import PagerDutyOutput
from transforms.outputs.rate_limit import RateLimiter
from transforms.outputs.retry import RetryPolicy
from transforms.outputs.webhook import WebhookOutput

SIGNING_SECRET = "whsec_9f8e7d6c5b4a39281706f5e4d3c2b1a0"
ROUTING_KEY = "R0UT1NGKEY0123456789ABCDEFGHIJKL"
QUICK_RETRIES = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05)


def send(output, alert):
    return deliver(output, alert, policy=QUICK_RETRIES, limiter=RateLimiter(None))


def test_webhook_posts_the_alert_document_with_a_verifiable_signature(http_recorder):
    output = WebhookOutput("siem", http_recorder.url + "/hooks/iota", timeout_seconds=2,
                           signing_secret=SIGNING_SECRET, headers={"X-Team": "secops"})
    alert = console_login_alert()

    assert send(output, alert).delivered

    [request] = http_recorder.requests_to("/hooks/iota")
    assert request.json() == alert
    timestamp = request.headers["x-iota-timestamp"]
    expected = hmac.new(SIGNING_SECRET.encode(), timestamp.encode() + b"." + request.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(request.headers["x-iota-signature"], f"v1={expected}")
    assert request.headers["x-team"] == "secops"
    assert request.headers["content-type"].startswith("application/json")


def test_webhook_signature_does_not_verify_with_another_secret_or_a_changed_body(http_recorder):
    output = WebhookOutput("siem", http_recorder.url + "/hooks/iota", timeout_seconds=2,
                           signing_secret=SIGNING_SECRET)
    send(output, console_login_alert())
    [request] = http_recorder.requests
    timestamp = request.headers["x-iota-timestamp"]

    def signature(secret: str, body: bytes) -> str:
        return "v1=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()

    assert request.headers["x-iota-signature"] != signature("another-secret", request.body)
    tampered = json.dumps({**request.json(), "severity": "LOW"}).encode()
    assert request.headers["x-iota-signature"] != signature(SIGNING_SECRET, tampered)


def test_webhook_without_signing_secret_sends_no_signature(http_recorder):
    send(WebhookOutput("siem", http_recorder.url + "/hooks/iota", timeout_seconds=2), console_login_alert())
    assert "x-iota-signature" not in http_recorder.requests[0].headers


def test_pagerduty_trigger_uses_alert_id_as_dedup_key_and_maps_severity(http_recorder):
    http_recorder.respond_with(lambda request: Reply(202, {"status": "success", "message": "Event processed"}))
    output = PagerDutyOutput("oncall", ROUTING_KEY, timeout_seconds=2, events_url=http_recorder.url + "/v2/enqueue")
    alert = console_login_alert(severity="CRITICAL")

    assert send(output, alert).delivered

    event = http_recorder.requests_to("/v2/enqueue")[0].json()
    assert event["routing_key"] == ROUTING_KEY and event["event_action"] == "trigger"
    assert event["dedup_key"] == alert["alert_id"]
    payload = event["payload"]
    assert payload["severity"] == "critical"
    assert payload["source"] == "aws:123456789012:us-east-1"
    assert payload["summary"].startswith("[CRITICAL] Console login without MFA")
    assert payload["custom_details"]["alert_context"] == alert["alert_context"]
    assert payload["custom_details"]["actor"] == "arn:aws:iam::123456789012:user/alice"
    assert {link["text"] for link in event["links"]} == {"Runbook", "Reference"}


def test_pagerduty_retry_and_update_reuse_one_dedup_key_so_one_incident(http_recorder):
    http_recorder.respond_with(lambda request: Reply(202, {"status": "success"}))
    http_recorder.script(Reply(502, "Bad Gateway"))
    output = PagerDutyOutput("oncall", ROUTING_KEY, timeout_seconds=2, events_url=http_recorder.url + "/v2/enqueue")
    alert = console_login_alert()

    first = send(output, alert)
    send(output, update_of(alert, 9, "2025-01-01T12:50:00.000000Z"))

    assert first.attempts == 2
    keys = [request.json()["dedup_key"] for request in http_recorder.requests]
    assert keys == [alert["alert_id"]] * 3
    assert http_recorder.requests[-1].json()["payload"]["summary"].endswith("(seen 9 times)")


def test_pagerduty_invalid_event_is_not_retried_and_keeps_the_answer(http_recorder):
    http_recorder.respond_with(lambda request: Reply(400, {"status": "invalid event",
                                                           "errors": ["'routing_key' is invalid"]}))
    output = PagerDutyOutput("oncall", ROUTING_KEY, timeout_seconds=2, events_url=http_recorder.url + "/v2/enqueue")

    outcome = send(output, console_login_alert())

    assert not outcome.delivered and outcome.attempts == 1 and outcome.status == 400
    assert "routing_key" in outcome.response_body and ROUTING_KEY not in repr(outcome)
