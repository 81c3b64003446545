"""Slack bot token: `chat.postMessage` to a channel, updates as thread replies.

The first message's `ts` comes back as the `thread_ref`; the pipeline keeps it in the
alert's state (and a dead letter keeps it too), and an update for the same alert is
posted with `thread_ts` set to it. Without it (the alert itself never made it) the
update is a stand-alone follow-up that names the original alert.

The Web API answers HTTP 200 with `{"ok": false, "error": ...}` for most failures:
server-side errors are retried, configuration errors (invalid_auth,
channel_not_found, not_in_channel, ...) go straight to the dead-letter store.
"""
from __future__ import annotations

from typing import Any, Mapping

from transforms.outputs.base import DeliveryFailure, HttpOutput, Sent
from transforms.outputs.settings import OutputSettings
from transforms.outputs.slack_blocks import alert_message

SLACK_API_URL = "https://slack.com/api"
TRANSIENT_ERRORS = frozenset({"internal_error", "fatal_error", "service_unavailable", "request_timeout",
                              "ratelimited"})


class SlackBotOutput(HttpOutput):
    DEFAULT_RATE_LIMIT = 1.0

    def __init__(self, output_id: str, token: str, channel: str, *, timeout_seconds: float,
                 api_url: str = SLACK_API_URL):
        super().__init__(output_id, timeout_seconds=timeout_seconds, secrets=[token])
        self._token = token
        self._channel = channel
        self._post_message_url = api_url.rstrip("/") + "/chat.postMessage"

    @classmethod
    def from_settings(cls, settings: OutputSettings, timeout_seconds: float) -> "SlackBotOutput":
        return cls(settings.output_id, settings.secret("token"), settings.text("channel"),
                   timeout_seconds=timeout_seconds, api_url=settings.text("api_url", SLACK_API_URL))

    def send(self, alert: Mapping[str, Any], thread_ref: str | None) -> Sent:
        message = {"channel": self._channel, **alert_message(alert)}
        is_update = alert.get("kind") == "update"
        if is_update and thread_ref:
            message["thread_ts"] = thread_ref
        response = self._post_json(self._post_message_url, message,
                                   headers={"Authorization": f"Bearer {self._token}"})
        try:
            answer = response.json()
        except ValueError:
            raise DeliveryFailure("Slack answered with something other than JSON", retryable=True,
                                  status=response.status_code, body=self._reported_body(response)) from None
        if not answer.get("ok"):
            error = str(answer.get("error", "unknown_error"))
            raise DeliveryFailure(f"Slack refused the message: {error}", retryable=error in TRANSIENT_ERRORS,
                                  status=response.status_code, body=self._reported_body(response))
        return Sent(response.status_code, thread_ref=thread_ref if is_update else answer.get("ts"))
