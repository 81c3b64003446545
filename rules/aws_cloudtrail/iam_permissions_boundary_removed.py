from iota_cloudtrail_helpers import account, actor, context, succeeded

BOUNDARY_EVENTS = {"DeleteUserPermissionsBoundary", "DeleteRolePermissionsBoundary"}


def rule(event):
    return event.get("eventName") in BOUNDARY_EVENTS and succeeded(event)


def _target(event):
    params = event.get("requestParameters") or {}
    return params.get("userName") or params.get("roleName") or "<unknown>"


def title(event):
    return f"{actor(event)} removed the permissions boundary from {_target(event)} in account {account(event)}"


def dedup(event):
    return f"{account(event)}:{_target(event)}"


def alert_context(event):
    return context(event, target=_target(event))
