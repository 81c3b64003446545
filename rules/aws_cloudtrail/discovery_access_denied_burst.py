from iota_cloudtrail_helpers import account, actor, context

DENIED_CODES = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "Client.UnauthorizedOperation"}


def rule(event):
    return event.get("errorCode") in DENIED_CODES and event.deep_get("userIdentity", "type") != "AWSService"


def unique(event):
    # Distinct APIs: a permissions probe tries many calls, a misconfigured job retries one.
    return f"{event.get('eventSource')}:{event.get('eventName')}"


def title(event):
    return f"{actor(event)} was denied many different API calls in account {account(event)} (permission probing)"


def dedup(event):
    return event.deep_get("userIdentity", "arn", default=account(event))


def alert_context(event):
    return context(event, errorCode=event.get("errorCode"), errorMessage=event.get("errorMessage"))
