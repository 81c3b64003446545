"""The one interface every alert output implements, and the HTTP POST they share.

An output turns an alert document into one request to one destination. It either
returns a `Sent` or raises `DeliveryFailure`, which says whether trying again can
help; *when* and *how often* to try again is the retry policy's business, never the
output's. Secrets (webhook URLs, tokens, routing keys) are scrubbed from every
failure message and response body an output reports.
"""
from __future__ import annotations

import email.utils
import time
from dataclasses import dataclass
from datetime import timezone
from typing import Any, Iterable, Mapping, Protocol
from urllib.parse import urlsplit

import orjson
import requests

REDACTED = "[redacted]"
MAX_REPORTED_BODY_CHARS = 2_000


class DeliveryFailure(Exception):
    """A send that did not reach its destination.

    `retryable` is False for answers that another attempt cannot change (a 4xx other
    than 429: bad payload, revoked token, unknown channel); those go to the dead-letter
    store at once with the response body so the misconfiguration is visible.
    """

    def __init__(self, reason: str, *, retryable: bool, status: int | None = None,
                 body: str = "", retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.status = status
        self.body = body
        self.retry_after = retry_after

    @property
    def rate_limited(self) -> bool:
        return self.status == 429


@dataclass(frozen=True)
class Sent:
    """A destination's acceptance. `thread_ref` names the posted message (Slack `ts`) so updates can reply to it."""

    status: int
    thread_ref: str | None = None


class Output(Protocol):
    """One configured destination for alerts."""

    output_id: str

    def send(self, alert: Mapping[str, Any], thread_ref: str | None) -> Sent:
        """Deliver one alert document (or update) once; raise DeliveryFailure if it was not accepted."""

    def close(self) -> None:
        """Release connections."""


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replace every secret, and the path and query of secret URLs, with a marker."""
    for secret in secrets:
        if not secret:
            continue
        text = text.replace(secret, REDACTED)
        parts = urlsplit(secret)
        if parts.scheme and parts.netloc:
            for piece in (parts.path, parts.query):
                if len(piece) > 1:
                    text = text.replace(piece, REDACTED)
    return text


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delay-seconds or an HTTP date (RFC 9110)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


class HttpOutput:
    """Base for outputs that POST JSON: one pooled session, a timeout, and secret-safe failures."""

    def __init__(self, output_id: str, *, timeout_seconds: float, secrets: Iterable[str]):
        self.output_id = output_id
        self._timeout = timeout_seconds
        self._secrets = tuple(s for s in secrets if s)
        self._session = requests.Session()

    def close(self) -> None:
        self._session.close()

    def _redact(self, text: str) -> str:
        return redact(text, self._secrets)

    def _post_json(self, url: str, document: Any, headers: Mapping[str, str] | None = None) -> requests.Response:
        return self._post(url, orjson.dumps(document), headers)

    def _post(self, url: str, body: bytes, headers: Mapping[str, str] | None = None) -> requests.Response:
        """POST a JSON body; anything but a 2xx answer becomes a DeliveryFailure."""
        all_headers = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
        try:
            response = self._session.post(url, data=body, headers=all_headers,
                                          timeout=self._timeout, allow_redirects=False)
        except requests.Timeout:
            raise DeliveryFailure(f"no answer within {self._timeout:g}s", retryable=True) from None
        except requests.ConnectionError as error:
            raise DeliveryFailure(f"connection failed: {self._redact(str(error))}", retryable=True) from None
        except requests.RequestException as error:
            raise DeliveryFailure(f"request not sent: {self._redact(str(error))}", retryable=False) from None
        if 200 <= response.status_code < 300:
            return response
        raise self._failure_for(response)

    def _reported_body(self, response: requests.Response) -> str:
        return self._redact(response.text[:MAX_REPORTED_BODY_CHARS])

    def _failure_for(self, response: requests.Response) -> DeliveryFailure:
        status = response.status_code
        body = self._reported_body(response)
        if status == 429:
            return DeliveryFailure("rate limited (HTTP 429)", retryable=True, status=status, body=body,
                                   retry_after=parse_retry_after(response.headers.get("Retry-After")))
        if status >= 500 or status == 408:
            return DeliveryFailure(f"server error (HTTP {status})", retryable=True, status=status, body=body)
        return DeliveryFailure(f"rejected (HTTP {status})", retryable=False, status=status, body=body)

