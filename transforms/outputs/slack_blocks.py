"""Block Kit messages for alerts and their updates, within Slack's documented limits.

Limits (Slack Block Kit reference): at most 50 blocks per message; a header's
plain_text at most 150 characters; a section's text at most 3,000 characters; a
section's fields at most 10, each at most 2,000 characters; a context block at most
10 elements; a button's text at most 75 characters and its URL at most 3,000.
Anything longer is cut and marked, never rejected.

Event-derived text is escaped (`&`, `<`, `>` become entities, as Slack's formatting
guide asks) and sent with `verbatim: true`, so a user name like `<!channel>` or an
error message like `<http://evil|click me>` shows as text instead of pinging a
channel or becoming a link, and URLs inside events are not auto-linked.
"""
from __future__ import annotations

from typing import Any, Mapping

import orjson

from transforms.outputs.alert_fields import display_time, responder_facts

MAX_BLOCKS = 50
MAX_HEADER_TEXT = 150
MAX_SECTION_TEXT = 3_000
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2_000
MAX_CONTEXT_ELEMENTS = 10
MAX_BUTTON_TEXT = 75
MAX_BUTTON_URL = 3_000
MAX_FALLBACK_TEXT = 3_000
MAX_CONTEXT_SECTIONS = 4
TRUNCATION_MARKER = "… [truncated]"

SEVERITY_EMOJI = {
    "CRITICAL": ":red_circle:",
    "HIGH": ":large_orange_circle:",
    "MEDIUM": ":large_yellow_circle:",
    "LOW": ":large_blue_circle:",
    "INFO": ":white_circle:",
}


def escape(text: str) -> str:
    """Slack's three control characters as entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def fit_mrkdwn(text: str, limit: int) -> str:
    """Escaped `text` cut to `limit` characters, never splitting an entity."""
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    cut = escaped[: limit - len(TRUNCATION_MARKER)]
    ampersand = cut.rfind("&")
    if ampersand != -1 and ";" not in cut[ampersand:]:
        cut = cut[:ampersand]
    return cut + TRUNCATION_MARKER


def fit_plain(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - len(TRUNCATION_MARKER)] + TRUNCATION_MARKER


def alert_message(alert: Mapping[str, Any]) -> dict[str, Any]:
    """The Slack message (`text` fallback + `blocks`) for an alert or, when kind is "update", its follow-up."""
    blocks = _update_blocks(alert) if alert.get("kind") == "update" else _alert_blocks(alert)
    return {
        "text": fit_mrkdwn(_fallback_text(alert), MAX_FALLBACK_TEXT),
        "blocks": blocks[:MAX_BLOCKS],
        "unfurl_links": False,
        "unfurl_media": False,
    }


def _fallback_text(alert: Mapping[str, Any]) -> str:
    if alert.get("kind") == "update":
        return (f"Update: {alert.get('title', '')} seen {alert.get('count')} times, "
                f"last at {display_time(alert.get('last_event_time'))}")
    return f"[{alert.get('severity', '')}] {alert.get('title', '')} ({alert.get('rule_id', '')})"


def _alert_blocks(alert: Mapping[str, Any]) -> list[dict[str, Any]]:
    severity = str(alert.get("severity", ""))
    facts = responder_facts(alert)
    event = f"{facts.event_name} ({facts.event_source})" if facts.event_source else facts.event_name
    seen = str(alert.get("count", ""))
    if alert.get("unique_count") is not None:
        seen += f" ({alert['unique_count']} unique)"
    blocks: list[dict[str, Any]] = [
        _header(f"{SEVERITY_EMOJI.get(severity, '')} {severity}: {alert.get('title', '')}".strip()),
        _fields_section([
            ("Rule", str(alert.get("rule_id", ""))),
            ("Matches", seen),
            ("First seen", display_time(alert.get("first_event_time"))),
            ("Last seen", display_time(alert.get("last_event_time"))),
            ("Account", facts.account),
            ("Region", facts.region),
            ("Actor", facts.actor),
            ("Source IP", facts.source_ip),
            ("Event", event),
        ]),
    ]
    if alert.get("description"):
        blocks.append(_text_section(str(alert["description"])))
    blocks.extend(_context_sections(alert.get("alert_context") or {}))
    links = []
    for label in ("Runbook", "Reference"):
        value = str(alert.get(label.lower()) or "")
        if _is_link(value):
            links.append(_button(label, value))
        elif value:
            blocks.append(_text_section(value, label=label))
    if links:
        blocks.append({"type": "actions", "elements": links})
    blocks.append(_identity_context(alert))
    return blocks


def _update_blocks(alert: Mapping[str, Any]) -> list[dict[str, Any]]:
    summary = (f"{alert.get('title', '')} ({alert.get('rule_id', '')}) was seen {alert.get('count')} times "
               f"from {display_time(alert.get('first_event_time'))} to {display_time(alert.get('last_event_time'))}.")
    return [
        _header(f":repeat: Update: {alert.get('title', '')}"),
        _text_section(summary),
        _identity_context(alert),
    ]


def _header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": fit_plain(text, MAX_HEADER_TEXT), "emoji": True}}


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def _text_section(text: str, label: str | None = None) -> dict[str, Any]:
    prefix = f"*{label}*\n" if label else ""
    return {"type": "section", "text": _mrkdwn(prefix + fit_mrkdwn(text, MAX_SECTION_TEXT - len(prefix)))}


def _field(label: str, value: str) -> dict[str, Any]:
    prefix = f"*{fit_mrkdwn(label, 100)}*\n"
    return _mrkdwn(prefix + fit_mrkdwn(value or "-", MAX_FIELD_TEXT - len(prefix)))


def _fields_section(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    return {"type": "section", "fields": [_field(label, value) for label, value in pairs[:MAX_FIELDS]]}


def _context_sections(context: Mapping[str, Any]) -> list[dict[str, Any]]:
    """alert_context as label/value fields, ten per section; what does not fit is counted, not dropped silently."""
    pairs = [(str(key), value if isinstance(value, str) else orjson.dumps(value, default=str).decode())
             for key, value in context.items()]
    room = MAX_CONTEXT_SECTIONS * MAX_FIELDS
    if len(pairs) > room:
        left_out = len(pairs) - (room - 1)
        pairs = pairs[: room - 1] + [("More context", f"{left_out} more fields in the alert archive")]
    return [_fields_section(pairs[start:start + MAX_FIELDS]) for start in range(0, len(pairs), MAX_FIELDS)]


def _identity_context(alert: Mapping[str, Any]) -> dict[str, Any]:
    text = (f"alert {alert.get('alert_id', '')} · dedup {alert.get('dedup', '')} · window "
            f"{display_time(alert.get('window_start'))} to {display_time(alert.get('window_end'))}")
    return {"type": "context", "elements": [_mrkdwn(fit_mrkdwn(text, MAX_SECTION_TEXT))]}


def _is_link(value: str) -> bool:
    return (value.startswith(("https://", "http://")) and len(value) <= MAX_BUTTON_URL
            and not any(c.isspace() for c in value))


def _button(label: str, url: str) -> dict[str, Any]:
    return {"type": "button", "text": {"type": "plain_text", "text": fit_plain(label, MAX_BUTTON_TEXT)}, "url": url}
