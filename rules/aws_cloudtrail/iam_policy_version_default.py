from iota_cloudtrail_helpers import account, actor, context, grants_full_admin, policy_document, succeeded


def _admin_version(event):
    return grants_full_admin(policy_document(event.deep_get("requestParameters", "policyDocument")))


def rule(event):
    if not succeeded(event):
        return False
    if event.get("eventName") == "SetDefaultPolicyVersion":
        return True
    return event.get("eventName") == "CreatePolicyVersion" and event.deep_get("requestParameters", "setAsDefault") is True


def title(event):
    policy = event.deep_get("requestParameters", "policyArn", default="<unknown policy>")
    return f"{actor(event)} switched managed policy {policy} to a new default version in account {account(event)}"


def severity(event):
    return "HIGH" if event.get("eventName") == "CreatePolicyVersion" and _admin_version(event) else "DEFAULT"


def dedup(event):
    return event.deep_get("requestParameters", "policyArn", default=account(event))


def alert_context(event):
    return context(
        event,
        policyArn=event.deep_get("requestParameters", "policyArn"),
        versionId=event.deep_get("requestParameters", "versionId") or event.deep_get("responseElements", "policyVersion", "versionId"),
    )
