from iota_cloudtrail_helpers import account, actor, context, succeeded


def rule(event):
    return event.get("eventName") == "ScheduleKeyDeletion" and succeeded(event)


def title(event):
    key = event.deep_get("requestParameters", "keyId", default="<unknown key>")
    days = event.deep_get("requestParameters", "pendingWindowInDays", default=30)
    return f"{actor(event)} scheduled KMS key {key} for deletion in {days} days (account {account(event)})"


def dedup(event):
    return event.deep_get("responseElements", "keyId") or event.deep_get("requestParameters", "keyId", default="")


def alert_context(event):
    return context(
        event,
        keyId=event.deep_get("requestParameters", "keyId"),
        deletionDate=event.deep_get("responseElements", "deletionDate"),
    )
