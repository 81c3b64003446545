from iota_cloudtrail_helpers import account, context

# Browsers and the AWS console itself. A successful console sign-in from anything
# else means a script drove the sign-in (stolen-credential tooling, session hijacks).
BROWSER_MARKERS = ("Mozilla/", "AWS Internal", "Opera/")


def rule(event):
    if event.get("eventName") != "ConsoleLogin":
        return False
    if event.deep_get("responseElements", "ConsoleLogin") != "Success":
        return False
    agent = event.get("userAgent") or ""
    return not any(marker in agent for marker in BROWSER_MARKERS)


def title(event):
    who = event.deep_get("userIdentity", "userName") or event.deep_get("userIdentity", "arn", default="unknown")
    return f"Console sign-in by {who} in account {account(event)} from non-browser client {event.get('userAgent')!r}"


def dedup(event):
    return f"{event.deep_get('userIdentity', 'arn')}:{event.get('userAgent')}"


def alert_context(event):
    return context(event)
