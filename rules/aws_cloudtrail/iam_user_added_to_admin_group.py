import re

from iota_cloudtrail_helpers import account, actor, context, succeeded

ADMIN_GROUP = re.compile(r"admin|root|superuser|poweruser", re.IGNORECASE)


def rule(event):
    return (
        event.get("eventName") == "AddUserToGroup"
        and succeeded(event)
        and bool(ADMIN_GROUP.search(event.deep_get("requestParameters", "groupName", default="")))
    )


def title(event):
    params = event.get("requestParameters") or {}
    return f"{actor(event)} added {params.get('userName')} to IAM group {params.get('groupName')} in account {account(event)}"


def dedup(event):
    return f"{account(event)}:{event.deep_get('requestParameters', 'userName')}"


def alert_context(event):
    params = event.get("requestParameters") or {}
    return context(event, userName=params.get("userName"), groupName=params.get("groupName"))
