from iota_cloudtrail_helpers import account, actor, context, succeeded

SCP_EVENTS = {"DetachPolicy", "DeletePolicy", "DisablePolicyType"}


def rule(event):
    return event.get("eventSource") == "organizations.amazonaws.com" and event.get("eventName") in SCP_EVENTS and succeeded(event)


def title(event):
    params = event.get("requestParameters") or {}
    policy = params.get("policyId") or params.get("policyType") or "<unknown policy>"
    target = params.get("targetId") or params.get("rootId")
    where = f" from {target}" if target else ""
    return f"{actor(event)} removed organization guardrail {policy}{where} ({event.get('eventName')})"


def dedup(event):
    params = event.get("requestParameters") or {}
    return f"{params.get('policyId') or params.get('policyType')}:{params.get('targetId') or params.get('rootId')}"


def alert_context(event):
    return context(event)
