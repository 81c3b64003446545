from iota_cloudtrail_helpers import account, actor, context, shared_with, succeeded


def _added(event):
    return shared_with(event, "createVolumePermission")


def rule(event):
    return event.get("eventName") == "ModifySnapshotAttribute" and succeeded(event) and bool(_added(event))


def title(event):
    snapshot = event.deep_get("requestParameters", "snapshotId", default="<unknown snapshot>")
    return f"{actor(event)} shared EBS snapshot {snapshot} with {', '.join(_added(event))} (account {account(event)})"


def severity(event):
    return "CRITICAL" if "public" in _added(event) else "DEFAULT"


def dedup(event):
    return event.deep_get("requestParameters", "snapshotId", default=account(event))


def alert_context(event):
    return context(event, snapshotId=event.deep_get("requestParameters", "snapshotId"), sharedWith=_added(event))
