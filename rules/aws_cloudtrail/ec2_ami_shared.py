from iota_cloudtrail_helpers import account, actor, context, shared_with, succeeded


def _added(event):
    return shared_with(event, "launchPermission")


def rule(event):
    return event.get("eventName") == "ModifyImageAttribute" and succeeded(event) and bool(_added(event))


def title(event):
    image = event.deep_get("requestParameters", "imageId", default="<unknown image>")
    return f"{actor(event)} shared AMI {image} with {', '.join(_added(event))} (account {account(event)})"


def severity(event):
    return "CRITICAL" if "public" in _added(event) else "DEFAULT"


def dedup(event):
    return event.deep_get("requestParameters", "imageId", default=account(event))


def alert_context(event):
    return context(event, imageId=event.deep_get("requestParameters", "imageId"), sharedWith=_added(event))
