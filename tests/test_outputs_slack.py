"""Slack outputs against a local HTTP server: message shape, escaping, limits, follow-ups, threading."""
from __future__ import annotations

from typing import Any, Iterator

from tests.alert_documents import console_login_alert, update_of
from tests.http_recorder import RecordedRequest, Reply, http_recorder  # noqa: F401
from transforms.outputs.delivery import deliver
from transforms.outputs.rate_limit import RateLimiter
from transforms.outputs.retry import RetryPolicy
from transforms.outputs.slack_blocks import TRUNCATION_MARKER, alert_message, fit_mrkdwn
from transforms.outputs.slack_bot import SlackBotOutput
from transforms.outputs.slack_webhook import SlackWebhookOutput

WEBHOOK_PATH = "/services/T0001/B0001/XXXXXXXXXXXXXXXXXXXXXXXX"
BOT_TOKEN = "xoxb-1111-2222-secretsecretsecret"
QUICK_RETRIES = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05)


def block_kit_violations(message: dict[str, Any]) -> list[str]:
    """Every way `message` breaks Slack's documented Block Kit limits."""
    problems = []
    blocks = message["blocks"]
    if len(blocks) > 50:
        problems.append(f"{len(blocks)} blocks > 50")
    for index, block in enumerate(blocks):
        kind = block["type"]
        if kind == "header":
            if block["text"]["type"] != "plain_text" or len(block["text"]["text"]) > 150:
                problems.append(f"block {index}: header text over 150 or not plain_text")
        elif kind == "section":
            if "text" in block and len(block["text"]["text"]) > 3000:
                problems.append(f"block {index}: section text over 3000")
            fields = block.get("fields", [])
            if len(fields) > 10:
                problems.append(f"block {index}: {len(fields)} fields > 10")
            problems += [f"block {index}: field over 2000" for field in fields if len(field["text"]) > 2000]
            if "text" not in block and not fields:
                problems.append(f"block {index}: section with neither text nor fields")
        elif kind == "context":
            if not 1 <= len(block["elements"]) <= 10:
                problems.append(f"block {index}: context needs 1 to 10 elements")
            problems += [f"block {index}: context text over 3000"
                         for element in block["elements"] if len(element["text"]) > 3000]
        elif kind == "actions":
            if len(block["elements"]) > 25:
                problems.append(f"block {index}: more than 25 actions")
            for element in block["elements"]:
                if len(element["text"]["text"]) > 75 or len(element.get("url", "")) > 3000:
                    problems.append(f"block {index}: button text over 75 or url over 3000")
        else:
            problems.append(f"block {index}: unexpected block type {kind}")
    return problems


def mrkdwn_texts(message: dict[str, Any]) -> Iterator[dict[str, Any]]:
    def walk(node: Any) -> Iterator[dict[str, Any]]:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                yield node
            for value in node.values():
                yield from walk(value)
        elif isinstance(node, list):
            for item in node:
                yield from walk(item)
    return walk(message["blocks"])


def webhook_output(server) -> SlackWebhookOutput:
    return SlackWebhookOutput("soc-slack", server.url + WEBHOOK_PATH, timeout_seconds=2)


def send(output, alert, thread_ref=None):
    return deliver(output, alert, policy=QUICK_RETRIES, limiter=RateLimiter(None), thread_ref=thread_ref)


def test_webhook_message_gives_responders_the_facts_they_act_on(http_recorder):
    outcome = send(webhook_output(http_recorder), console_login_alert())

    assert outcome.delivered and outcome.attempts == 1
    [request] = http_recorder.requests_to(WEBHOOK_PATH)
    message = request.json()
    assert block_kit_violations(message) == []
    assert message["blocks"][0]["text"]["text"].startswith(":large_orange_circle: HIGH: Console login without MFA")
    fields = "\n".join(field["text"] for field in message["blocks"][1]["fields"])
    for fact in ("AWS.Console.LoginWithoutMFA", "2025-01-01 12:03:27 UTC", "123456789012", "us-east-1",
                 "arn:aws:iam::123456789012:user/alice", "203.0.113.45", "ConsoleLogin (signin.amazonaws.com)"):
        assert fact in fields
    context_fields = [field["text"] for block in message["blocks"] for field in block.get("fields", [])]
    assert "*mfa_used*\nNo" in context_fields
    buttons = {b["text"]["text"]: b["url"] for b in message["blocks"][-2]["elements"]}
    assert buttons == {"Runbook": "https://wiki.example.com/runbooks/console-login-without-mfa",
                       "Reference": "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa.html"}
    assert message["unfurl_links"] is False and "[HIGH]" in message["text"]


def test_attacker_controlled_event_text_cannot_ping_a_channel_or_plant_a_link(http_recorder):
    alert = console_login_alert(alert_context={"errorMessage": "<http://evil.example/login|Reset your password>",
                                               "userName": "<!channel> & <@U024BE7LH>"})
    alert["event"]["userIdentity"]["arn"] = "arn:aws:iam::123456789012:user/<!here>"

    send(webhook_output(http_recorder), alert)

    message = http_recorder.requests[0].json()
    texts = [node["text"] for node in mrkdwn_texts(message)] + [message["text"]]
    assert all("<" not in text and ">" not in text for text in texts)
    joined = "\n".join(texts)
    assert "&lt;!channel&gt; &amp; &lt;@U024BE7LH&gt;" in joined
    assert "&lt;http://evil.example/login|Reset your password&gt;" in joined
    assert "user/&lt;!here&gt;" in joined
    assert all(node["verbatim"] is True for node in mrkdwn_texts(message))


def test_oversized_alert_is_cut_to_slack_limits_with_a_marker_not_rejected():
    alert = console_login_alert(
        title="T" * 400,
        description="<" * 5000,
        runbook="Step " * 2000,
        alert_context={f"key{i:02d}": "v" * 4000 for i in range(60)},
    )

    message = alert_message(alert)

    assert block_kit_violations(message) == []
    assert message["blocks"][0]["text"]["text"].endswith(TRUNCATION_MARKER)
    description = message["blocks"][2]["text"]["text"]
    assert description.endswith(TRUNCATION_MARKER) and "&lt" + TRUNCATION_MARKER not in description
    all_fields = [field["text"] for block in message["blocks"] for field in block.get("fields", [])]
    assert "*More context*\n21 more fields in the alert archive" in all_fields


def test_truncation_never_leaves_half_an_entity():
    cut = fit_mrkdwn("&" * 100, 20)
    assert len(cut) <= 20 and cut.endswith(TRUNCATION_MARKER)
    assert cut[: -len(TRUNCATION_MARKER)] in ("", "&amp;")


def test_update_is_a_follow_up_naming_the_original_alert(http_recorder):
    alert = console_login_alert()
    send(webhook_output(http_recorder), update_of(alert, count=14, last_event_time="2025-01-01T12:58:02.000000Z"))

    message = http_recorder.requests[0].json()
    assert block_kit_violations(message) == []
    assert message["blocks"][0]["text"]["text"].startswith(":repeat: Update: Console login without MFA")
    body = message["blocks"][1]["text"]["text"]
    assert "was seen 14 times" in body and "to 2025-01-01 12:58:02 UTC" in body
    assert alert["alert_id"] in message["blocks"][2]["elements"][0]["text"]
    assert message["text"].startswith("Update: Console login without MFA")


def slack_api(server) -> None:
    """Answer chat.postMessage the way Slack does, with a fresh message ts each time."""
    def answer(request: RecordedRequest) -> Reply:
        number = len(server.requests)
        return Reply(200, {"ok": True, "channel": "C0123456789", "ts": f"1735732800.{number:06d}"})
    server.respond_with(answer)


def test_bot_token_update_is_a_thread_reply_to_the_alert_message(http_recorder):
    slack_api(http_recorder)
    output = SlackBotOutput("soc-threads", BOT_TOKEN, "C0123456789", timeout_seconds=2, api_url=http_recorder.url)
    alert = console_login_alert()

    first = send(output, alert)
    second = send(output, update_of(alert, 5, "2025-01-01T12:40:00.000000Z"), thread_ref=first.thread_ref)

    posted, reply = [request.json() for request in http_recorder.requests_to("/chat.postMessage")]
    assert first.thread_ref == "1735732800.000001"
    assert "thread_ts" not in posted and posted["channel"] == "C0123456789"
    assert reply["thread_ts"] == first.thread_ref
    assert second.thread_ref == first.thread_ref
    assert http_recorder.requests[0].headers["authorization"] == f"Bearer {BOT_TOKEN}"
    assert block_kit_violations(posted) == [] and block_kit_violations(reply) == []


def test_bot_token_configuration_error_is_dead_lettered_at_once_without_the_token(http_recorder):
    http_recorder.respond_with(lambda request: Reply(200, {"ok": False, "error": "channel_not_found"}))
    output = SlackBotOutput("soc-threads", BOT_TOKEN, "C0BADBAD", timeout_seconds=2, api_url=http_recorder.url)

    outcome = send(output, console_login_alert())

    assert not outcome.delivered and outcome.attempts == 1
    assert "channel_not_found" in outcome.error
    assert BOT_TOKEN not in repr(outcome)


def test_bot_token_transient_slack_error_is_retried(http_recorder):
    slack_api(http_recorder)
    http_recorder.script(Reply(200, {"ok": False, "error": "internal_error"}))
    output = SlackBotOutput("soc-threads", BOT_TOKEN, "C0123456789", timeout_seconds=2, api_url=http_recorder.url)

    outcome = send(output, console_login_alert())

    assert outcome.delivered and outcome.attempts == 2 and outcome.thread_ref
