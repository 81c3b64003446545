from iota_cloudtrail_helpers import account, actor, context, succeeded


def rule(event):
    return event.get("eventName") == "LeaveOrganization" and succeeded(event)


def title(event):
    return f"{actor(event)} took account {account(event)} out of its AWS Organization"


def dedup(event):
    return account(event)


def alert_context(event):
    return context(event)
