from iota_cloudtrail_helpers import ADMIN_POLICY_ARNS, account, actor, context, succeeded

ATTACH_EVENTS = {"AttachUserPolicy", "AttachRolePolicy", "AttachGroupPolicy"}


def rule(event):
    return (
        event.get("eventName") in ATTACH_EVENTS
        and succeeded(event)
        and event.deep_get("requestParameters", "policyArn") in ADMIN_POLICY_ARNS
    )


def _target(event):
    params = event.get("requestParameters") or {}
    for key, kind in (("userName", "user"), ("roleName", "role"), ("groupName", "group")):
        if params.get(key):
            return f"{kind} {params.get(key)}"
    return "<unknown principal>"


def title(event):
    policy = event.deep_get("requestParameters", "policyArn", default="").rsplit("/", 1)[-1]
    return f"{actor(event)} attached {policy} to {_target(event)} in account {account(event)}"


def dedup(event):
    return f"{account(event)}:{_target(event)}"


def alert_context(event):
    return context(event, target=_target(event), policyArn=event.deep_get("requestParameters", "policyArn"))
