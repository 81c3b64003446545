"""Slack incoming webhook: the Block Kit message POSTed to the webhook URL (the secret).

An incoming webhook cannot thread, so an update is a follow-up message naming the
original alert. Slack answers 200 "ok", 4xx with a reason in the body
(invalid_payload, no_service, channel_is_archived: not retried), 429 with Retry-After.
"""
from __future__ import annotations

from typing import Any, Mapping

from transforms.outputs.base import HttpOutput, Sent
from transforms.outputs.settings import OutputSettings
from transforms.outputs.slack_blocks import alert_message


class SlackWebhookOutput(HttpOutput):
    DEFAULT_RATE_LIMIT = 1.0

    def __init__(self, output_id: str, webhook_url: str, *, timeout_seconds: float):
        super().__init__(output_id, timeout_seconds=timeout_seconds, secrets=[webhook_url])
        self._url = webhook_url

    @classmethod
    def from_settings(cls, settings: OutputSettings, timeout_seconds: float) -> "SlackWebhookOutput":
        return cls(settings.output_id, settings.secret("webhook_url"), timeout_seconds=timeout_seconds)

    def send(self, alert: Mapping[str, Any], thread_ref: str | None) -> Sent:
        response = self._post_json(self._url, alert_message(alert))
        return Sent(response.status_code)
