from iota_cloudtrail_helpers import account, actor, context


def rule(event):
    if event.get("eventSource") != "iam.amazonaws.com" or event.get("readOnly") is not True:
        return False
    # The console's own page loads come from "AWS Internal"; tools and scripts do not.
    return event.get("userAgent") != "AWS Internal" and event.deep_get("userIdentity", "type") != "AWSService"


def unique(event):
    return event.get("eventName")


def title(event):
    return f"{actor(event)} enumerated IAM with many different List/Get calls in account {account(event)}"


def dedup(event):
    return event.deep_get("userIdentity", "arn", default=account(event))


def alert_context(event):
    return context(event)
