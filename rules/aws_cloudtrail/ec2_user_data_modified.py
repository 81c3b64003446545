from iota_cloudtrail_helpers import account, actor, context, succeeded


def rule(event):
    return (
        event.get("eventName") == "ModifyInstanceAttribute"
        and succeeded(event)
        and event.deep_get("requestParameters", "userData") is not None
    )


def title(event):
    instance = event.deep_get("requestParameters", "instanceId", default="<unknown instance>")
    return f"{actor(event)} replaced the user data of EC2 instance {instance} in account {account(event)}"


def dedup(event):
    return event.deep_get("requestParameters", "instanceId", default=account(event))


def alert_context(event):
    return context(event, instanceId=event.deep_get("requestParameters", "instanceId"))
