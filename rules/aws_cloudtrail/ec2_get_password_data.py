from iota_cloudtrail_helpers import account, actor, context, succeeded


def rule(event):
    return event.get("eventName") == "GetPasswordData" and succeeded(event) and event.deep_get("userIdentity", "type") != "AWSService"


def title(event):
    instance = event.deep_get("requestParameters", "instanceId", default="<unknown instance>")
    return f"{actor(event)} retrieved the Windows administrator password of {instance} in account {account(event)}"


def dedup(event):
    return f"{event.deep_get('userIdentity', 'arn')}:{event.deep_get('requestParameters', 'instanceId')}"


def alert_context(event):
    return context(event, instanceId=event.deep_get("requestParameters", "instanceId"))
