from iota_cloudtrail_helpers import account, actor, context, succeeded

SHARE_EVENTS = {"ModifyDBSnapshotAttribute", "ModifyDBClusterSnapshotAttribute"}


def _snapshot(event):
    params = event.get("requestParameters") or {}
    return params.get("dBSnapshotIdentifier") or params.get("dBClusterSnapshotIdentifier") or "<unknown snapshot>"


def _added(event):
    values = event.deep_get("requestParameters", "valuesToAdd", default=[])
    return ["public" if value == "all" else value for value in values]


def rule(event):
    return (
        event.get("eventName") in SHARE_EVENTS
        and succeeded(event)
        and event.deep_get("requestParameters", "attributeName") == "restore"
        and bool(_added(event))
    )


def title(event):
    return f"{actor(event)} shared RDS snapshot {_snapshot(event)} with {', '.join(_added(event))} (account {account(event)})"


def severity(event):
    return "CRITICAL" if "public" in _added(event) else "DEFAULT"


def dedup(event):
    return _snapshot(event)


def alert_context(event):
    return context(event, snapshot=_snapshot(event), sharedWith=_added(event))
