from iota_cloudtrail_helpers import account, actor, context, succeeded


def rule(event):
    return event.get("eventName") == "DisableKey" and event.get("eventSource") == "kms.amazonaws.com" and succeeded(event)


def title(event):
    key = event.deep_get("requestParameters", "keyId", default="<unknown key>")
    return f"{actor(event)} disabled KMS key {key} in account {account(event)}"


def dedup(event):
    return event.deep_get("requestParameters", "keyId", default=account(event))


def alert_context(event):
    return context(event, keyId=event.deep_get("requestParameters", "keyId"))
