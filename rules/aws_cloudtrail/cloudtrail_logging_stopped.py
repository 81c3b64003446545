from iota_cloudtrail_helpers import account, actor, context, succeeded

STOPPING_EVENTS = {"StopLogging", "DeleteTrail"}


def rule(event):
    return event.get("eventName") in STOPPING_EVENTS and succeeded(event)


def title(event):
    trail = event.deep_get("requestParameters", "name", default="<unknown trail>")
    verb = "deleted" if event.get("eventName") == "DeleteTrail" else "stopped logging on"
    return f"{actor(event)} {verb} CloudTrail trail {trail} in account {account(event)}"


def dedup(event):
    return f"{account(event)}:{event.deep_get('requestParameters', 'name')}"


def alert_context(event):
    return context(event, trail=event.deep_get("requestParameters", "name"))
