from iota_cloudtrail_helpers import account, actor, context, grants_full_admin, policy_document, policy_target, succeeded

INLINE_EVENTS = {"PutUserPolicy", "PutRolePolicy", "PutGroupPolicy"}


def rule(event):
    if event.get("eventName") not in INLINE_EVENTS or not succeeded(event):
        return False
    return grants_full_admin(policy_document(event.deep_get("requestParameters", "policyDocument")))


def title(event):
    return f"{actor(event)} gave {policy_target(event)} full administrator rights with an inline policy in account {account(event)}"


def dedup(event):
    return f"{account(event)}:{policy_target(event)}"


def alert_context(event):
    return context(event, target=policy_target(event), policyName=event.deep_get("requestParameters", "policyName"))
