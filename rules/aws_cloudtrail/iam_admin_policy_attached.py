from iota_cloudtrail_helpers import ADMIN_POLICY_ARNS, account, actor, context, policy_target, succeeded

ATTACH_EVENTS = {"AttachUserPolicy", "AttachRolePolicy", "AttachGroupPolicy"}


def rule(event):
    return (
        event.get("eventName") in ATTACH_EVENTS
        and succeeded(event)
        and event.deep_get("requestParameters", "policyArn") in ADMIN_POLICY_ARNS
    )


def title(event):
    policy = event.deep_get("requestParameters", "policyArn", default="").rsplit("/", 1)[-1]
    return f"{actor(event)} attached {policy} to {policy_target(event)} in account {account(event)}"


def dedup(event):
    return f"{account(event)}:{policy_target(event)}"


def alert_context(event):
    return context(event, target=policy_target(event), policyArn=event.deep_get("requestParameters", "policyArn"))
