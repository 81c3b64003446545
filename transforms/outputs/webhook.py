"""Generic webhook: the alert document as JSON, optionally signed, with optional extra headers.

Signing (when `signing_secret` is configured) lets the receiver prove the request came
from iota and is fresh: `X-Iota-Timestamp` carries Unix seconds and
`X-Iota-Signature` is `v1=` + hex HMAC-SHA256 over `<timestamp>.<raw body>` with the
shared secret. A receiver recomputes it over the exact bytes it received, compares in
constant time, and rejects old timestamps to stop replays.
"""
from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any, Callable, Mapping

import orjson

from transforms.outputs.base import HttpOutput, Sent
from transforms.outputs.settings import OutputSettings

SIGNATURE_HEADER = "X-Iota-Signature"
TIMESTAMP_HEADER = "X-Iota-Timestamp"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"v1={digest}"


class WebhookOutput(HttpOutput):
    DEFAULT_RATE_LIMIT = None

    def __init__(self, output_id: str, url: str, *, timeout_seconds: float, signing_secret: str | None = None,
                 headers: Mapping[str, str] | None = None, secret_header_values: tuple[str, ...] = (),
                 clock: Callable[[], float] = time.time):
        super().__init__(output_id, timeout_seconds=timeout_seconds,
                         secrets=[url, signing_secret or "", *secret_header_values])
        self._url = url
        self._signing_secret = signing_secret
        self._headers = dict(headers or {})
        self._clock = clock

    @classmethod
    def from_settings(cls, settings: OutputSettings, timeout_seconds: float) -> "WebhookOutput":
        headers, secret_values = settings.headers("headers")
        return cls(settings.output_id, settings.secret("url"), timeout_seconds=timeout_seconds,
                   signing_secret=settings.secret("signing_secret", required=False),
                   headers=headers, secret_header_values=tuple(secret_values))

    def send(self, alert: Mapping[str, Any], thread_ref: str | None) -> Sent:
        body = orjson.dumps(alert, option=orjson.OPT_SORT_KEYS)
        headers = dict(self._headers)
        if self._signing_secret:
            timestamp = str(int(self._clock()))
            headers[TIMESTAMP_HEADER] = timestamp
            headers[SIGNATURE_HEADER] = sign(self._signing_secret, timestamp, body)
        response = self._post(self._url, body, headers)
        return Sent(response.status_code)
