from iota_cloudtrail_helpers import account, actor, context

# Substrings that offensive distributions and AWS exploitation frameworks leave in
# the SDK user agent string (the OS release appears in aws-cli and botocore agents).
OFFENSIVE_MARKERS = ("kali", "parrot", "pentoo", "pacu", "cloudgoat", "stratus-red-team", "cloudfox", "weirdAAL")


def _marker(event):
    agent = (event.get("userAgent") or "").lower()
    for marker in OFFENSIVE_MARKERS:
        if marker.lower() in agent:
            return marker
    return None


def rule(event):
    return _marker(event) is not None


def title(event):
    return f"{actor(event)} called {event.get('eventName')} in account {account(event)} with an offensive-tool user agent ({_marker(event)})"


def dedup(event):
    return f"{event.deep_get('userIdentity', 'arn')}:{_marker(event)}"


def alert_context(event):
    return context(event, marker=_marker(event))
