from iota_cloudtrail_helpers import account, actor, context, succeeded


def _added(event):
    """("public", None) or ("account", id) for each permission the request adds."""
    items = event.deep_get("requestParameters", "createVolumePermission", "add", "items", default=[])
    shared = []
    for item in items:
        if item.get("group") == "all":
            shared.append("public")
        elif item.get("userId"):
            shared.append(item.get("userId"))
    return shared


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
