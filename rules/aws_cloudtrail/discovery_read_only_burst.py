from iota_cloudtrail_helpers import account, actor, context

ENUMERATION_PREFIXES = ("List", "Describe", "Get")


def rule(event):
    if event.get("readOnly") is not True or not event.get("eventName", "").startswith(ENUMERATION_PREFIXES):
        return False
    # Console page loads ("AWS Internal") and AWS services reading on your behalf are not reconnaissance.
    return event.get("userAgent") != "AWS Internal" and event.deep_get("userIdentity", "type") != "AWSService"


def unique(event):
    # Distinct APIs across services: inventory tools sweep dozens, applications repeat a few.
    return f"{event.get('eventSource')}:{event.get('eventName')}"


def title(event):
    return f"{actor(event)} swept many different List/Describe/Get APIs in account {account(event)}"


def dedup(event):
    return event.deep_get("userIdentity", "arn", default=account(event))


def alert_context(event):
    return context(event)
