from iota_cloudtrail_helpers import account, actor, context, grants_full_admin, policy_document, succeeded

INLINE_EVENTS = {"PutUserPolicy", "PutRolePolicy", "PutGroupPolicy"}


def _target(event):
    params = event.get("requestParameters") or {}
    for key, kind in (("userName", "user"), ("roleName", "role"), ("groupName", "group")):
        if params.get(key):
            return f"{kind} {params.get(key)}"
    return "<unknown principal>"


def rule(event):
    if event.get("eventName") not in INLINE_EVENTS or not succeeded(event):
        return False
    return grants_full_admin(policy_document(event.deep_get("requestParameters", "policyDocument")))


def title(event):
    return f"{actor(event)} gave {_target(event)} full administrator rights with an inline policy in account {account(event)}"


def dedup(event):
    return f"{account(event)}:{_target(event)}"


def alert_context(event):
    return context(event, target=_target(event), policyName=event.deep_get("requestParameters", "policyName"))
