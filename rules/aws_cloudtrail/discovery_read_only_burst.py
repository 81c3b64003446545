from iota_cloudtrail_helpers import account, actor, context

ENUMERATION_PREFIXES = ("List", "Describe", "Get")
# Long-lived credentials: the ones most often stolen, and rarely the identity of a busy
# workload (workloads run as roles, whose steady Describe/Get traffic would flood dedup).
KEY_HOLDERS = {"IAMUser", "Root"}


def rule(event):
    if event.get("readOnly") is not True or not event.get("eventName", "").startswith(ENUMERATION_PREFIXES):
        return False
    # Data events (S3 GetObject, Lambda Invoke...) read data, they do not map the account.
    if event.get("managementEvent") is False:
        return False
    # Console page loads ("AWS Internal") are a person browsing, not a sweep.
    return event.deep_get("userIdentity", "type") in KEY_HOLDERS and event.get("userAgent") != "AWS Internal"


def unique(event):
    # Distinct APIs across services: inventory tools sweep dozens, applications repeat a few.
    return f"{event.get('eventSource')}:{event.get('eventName')}"


def title(event):
    return f"{actor(event)} swept many different List/Describe/Get APIs in account {account(event)}"


def dedup(event):
    return event.deep_get("userIdentity", "arn", default=account(event))


def alert_context(event):
    return context(event)
