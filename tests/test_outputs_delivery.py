"""The shared delivery loop: retries, timeouts, 429 pacing, permanent refusals, secret-safe errors."""
from __future__ import annotations

import random
import threading

import pytest

from tests.alert_documents import console_login_alert
from tests.conftest import free_port
from tests.http_recorder import RateLimitedEndpoint, Reply, http_recorder  # noqa: F401
from transforms.outputs.base import DeliveryFailure, parse_retry_after
from transforms.outputs.delivery import DestinationHealth, deliver
from transforms.outputs.rate_limit import RateLimiter
from transforms.outputs.retry import RetryPolicy
from transforms.outputs.slack_webhook import SlackWebhookOutput

WEBHOOK_PATH = "/services/T0001/B0001/ZZZZsecretZZZZ"
QUICK_RETRIES = RetryPolicy(max_attempts=4, base_delay=0.01, max_delay=0.05)


class CountingObserver:
    def __init__(self):
        self.events: list[str] = []

    def sent(self, output_id, latency_seconds):
        self.events.append("sent")

    def retried(self, output_id):
        self.events.append("retried")

    def rate_limited(self, output_id):
        self.events.append("rate_limited")

    def throttled(self, output_id, waited_seconds):
        self.events.append("throttled")

    def dead_lettered(self, output_id):
        self.events.append("dead_lettered")


def slack(server, timeout=2.0):
    return SlackWebhookOutput("soc-slack", server.url + WEBHOOK_PATH, timeout_seconds=timeout)


def test_server_errors_are_retried_until_the_alert_is_accepted(http_recorder):
    http_recorder.script(Reply(500, "internal"), Reply(503, "unavailable"))
    observer = CountingObserver()

    outcome = deliver(slack(http_recorder), console_login_alert(), policy=QUICK_RETRIES,
                      limiter=RateLimiter(None), observer=observer)

    assert outcome.delivered and outcome.attempts == 3
    assert len(http_recorder.requests) == 3
    assert observer.events == ["retried", "retried", "sent"]


def test_a_destination_that_hangs_past_the_timeout_is_retried(http_recorder):
    http_recorder.script(Reply(200, delay=3.0))

    outcome = deliver(slack(http_recorder, timeout=0.3), console_login_alert(), policy=QUICK_RETRIES,
                      limiter=RateLimiter(None))

    assert outcome.delivered and outcome.attempts == 2


def test_every_attempt_failing_ends_undelivered_with_the_last_error(http_recorder):
    http_recorder.respond_with(lambda request: Reply(500, "upstream connect error"))

    outcome = deliver(slack(http_recorder), console_login_alert(), policy=QUICK_RETRIES, limiter=RateLimiter(None))

    assert not outcome.delivered and outcome.attempts == 4
    assert outcome.status == 500 and outcome.response_body == "upstream connect error"


def test_permanent_refusal_is_not_retried_and_keeps_the_response_body(http_recorder):
    http_recorder.respond_with(lambda request: Reply(400, "invalid_payload"))
    observer = CountingObserver()

    outcome = deliver(slack(http_recorder), console_login_alert(), policy=QUICK_RETRIES,
                      limiter=RateLimiter(None), observer=observer)

    assert not outcome.delivered and outcome.attempts == 1
    assert (outcome.status, outcome.response_body) == (400, "invalid_payload")
    assert observer.events == ["dead_lettered"]


def test_429_waits_for_retry_after_and_holds_back_other_senders(http_recorder):
    http_recorder.script(Reply(429, "rate_limited", headers={"Retry-After": "1"}))
    limiter = RateLimiter(None)
    output = slack(http_recorder)
    observer = CountingObserver()

    first = deliver(output, console_login_alert(1), policy=QUICK_RETRIES, limiter=limiter, observer=observer)
    second = deliver(output, console_login_alert(2), policy=QUICK_RETRIES, limiter=limiter)

    assert first.delivered and second.delivered and first.attempts == 2
    refused, retried, other = [request.received_at for request in http_recorder.requests]
    assert retried - refused >= 0.95
    assert other >= retried
    assert observer.events == ["rate_limited", "retried", "throttled", "sent"]


def test_a_burst_through_the_limiter_queues_at_the_destination_rate_and_each_alert_lands_once(http_recorder):
    endpoint = RateLimitedEndpoint(per_second=10)
    accepted: list[str] = []

    def answer(request):
        reply = endpoint(request)
        if reply.status == 200:
            accepted.append(request.json()["blocks"][-1]["elements"][0]["text"])
        return reply

    http_recorder.respond_with(answer)
    limiter = RateLimiter(per_second=10)
    output = slack(http_recorder)
    outcomes = []

    def send(number):
        outcomes.append(deliver(output, console_login_alert(number), policy=QUICK_RETRIES, limiter=limiter))

    threads = [threading.Thread(target=send, args=(number,)) for number in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(outcomes) == 6 and all(outcome.delivered for outcome in outcomes)
    assert len(accepted) == len(set(accepted)) == 6
    arrivals = [request.received_at for request in http_recorder.requests]
    assert max(arrivals) - min(arrivals) >= 0.5
    assert len(arrivals) - 6 <= 2, "the limiter, not the destination's 429s, should do the pacing"


def test_connection_errors_are_retried_and_reported_without_the_webhook_secret():
    url = f"http://127.0.0.1:{free_port()}{WEBHOOK_PATH}"

    outcome = deliver(SlackWebhookOutput("soc-slack", url, timeout_seconds=1), console_login_alert(),
                      policy=RetryPolicy(max_attempts=2, base_delay=0.01), limiter=RateLimiter(None))

    assert not outcome.delivered and outcome.attempts == 2
    assert outcome.error.startswith("connection failed")
    assert "ZZZZsecretZZZZ" not in repr(outcome) and WEBHOOK_PATH not in repr(outcome)


def test_a_destination_echoing_the_secret_url_is_redacted(http_recorder):
    http_recorder.respond_with(lambda request: Reply(404, f"no_service for {request.path}"))

    outcome = deliver(slack(http_recorder), console_login_alert(), policy=QUICK_RETRIES, limiter=RateLimiter(None))

    assert outcome.response_body == "no_service for [redacted]"


def test_backoff_grows_exponentially_with_jitter_and_is_capped():
    policy = RetryPolicy(max_attempts=10, base_delay=1.0, max_delay=8.0)
    failure = DeliveryFailure("server error", retryable=True, status=503)
    rng = random.Random(7)

    delays = [policy.delay_after(failure, attempt, rng) for attempt in range(1, 7)]

    for attempt, delay in enumerate(delays, start=1):
        ceiling = min(8.0, 2 ** (attempt - 1))
        assert ceiling / 2 <= delay <= ceiling


def test_retry_after_beyond_the_policy_limit_dead_letters_instead_of_blocking():
    policy = RetryPolicy(max_retry_after=60)
    long_wait = DeliveryFailure("rate limited", retryable=True, status=429, retry_after=3600)
    short_wait = DeliveryFailure("rate limited", retryable=True, status=429, retry_after=30)

    assert not policy.should_retry(long_wait, 1)
    assert policy.should_retry(short_wait, 1) and policy.delay_after(short_wait, 1) == 30


def test_retry_after_accepts_seconds_and_http_dates():
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    assert parse_retry_after("soon") is None


def test_limiter_spaces_sends_a_little_wider_than_the_limit_and_a_429_holds_everyone():
    now = [100.0]

    def sleep(seconds):
        now[0] += seconds

    limiter = RateLimiter(per_second=1, clock=lambda: now[0], sleep=sleep)

    assert limiter.acquire() == 0
    assert 1.0 < limiter.acquire() <= 1.05
    limiter.hold_for(5)
    assert limiter.acquire() == pytest.approx(5)
    now[0] += 10
    assert limiter.acquire() == 0


def test_once_a_destination_used_up_its_retries_later_alerts_get_one_probe_until_it_recovers(http_recorder):
    available = False
    http_recorder.respond_with(lambda request: Reply(200, "ok") if available else Reply(503, "unavailable"))
    output, limiter, health = slack(http_recorder), RateLimiter(None), DestinationHealth()

    def send(number):
        return deliver(output, console_login_alert(number), policy=QUICK_RETRIES, limiter=limiter, health=health)

    during_outage = [send(number).attempts for number in (1, 2, 3)]
    available = True
    recovered = send(4)
    after = send(5)

    assert during_outage == [4, 1, 1]
    assert recovered.delivered and recovered.attempts == 1 and not health.down
    assert after.delivered and len(http_recorder.requests) == 8


def test_a_refused_alert_does_not_mark_the_destination_down(http_recorder):
    http_recorder.script(Reply(400, "invalid_payload"))
    health = DestinationHealth()

    deliver(slack(http_recorder), console_login_alert(), policy=QUICK_RETRIES, limiter=RateLimiter(None),
            health=health)

    assert not health.down
