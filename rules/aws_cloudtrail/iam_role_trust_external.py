from iota_cloudtrail_helpers import account, actor, context, policy_document, statements, succeeded

TRUST_EVENTS = {"CreateRole", "UpdateAssumeRolePolicy"}


def _trusted_outsiders(event):
    """Principals in an Allow sts:AssumeRole* statement that are public or in another account."""
    document = policy_document(event.deep_get("requestParameters", "assumeRolePolicyDocument")
                               or event.deep_get("requestParameters", "policyDocument"))
    own = account(event)
    outsiders = []
    for statement in statements(document):
        if statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal")
        if principal == "*":
            outsiders.append("*")
            continue
        aws = principal.get("AWS", []) if isinstance(principal, dict) else []
        for entry in aws if isinstance(aws, list) else [aws]:
            if entry == "*":
                outsiders.append("*")
            elif isinstance(entry, str) and own not in entry:
                outsiders.append(entry)
    return outsiders


def rule(event):
    return event.get("eventName") in TRUST_EVENTS and succeeded(event) and bool(_trusted_outsiders(event))


def title(event):
    role = event.deep_get("requestParameters", "roleName", default="<unknown role>")
    return f"{actor(event)} let {', '.join(_trusted_outsiders(event))} assume role {role} in account {account(event)}"


def severity(event):
    return "CRITICAL" if "*" in _trusted_outsiders(event) else "DEFAULT"


def dedup(event):
    return f"{account(event)}:{event.deep_get('requestParameters', 'roleName')}"


def alert_context(event):
    return context(event, roleName=event.deep_get("requestParameters", "roleName"), trusted=_trusted_outsiders(event))
