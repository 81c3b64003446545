from iota_cloudtrail_helpers import account, actor, context, succeeded


def rule(event):
    return (
        event.get("eventName") == "GetAccountAuthorizationDetails"
        and succeeded(event)
        and event.deep_get("userIdentity", "type") != "AWSService"
    )


def title(event):
    return f"{actor(event)} downloaded every IAM user, role, group and policy of account {account(event)}"


def dedup(event):
    return event.deep_get("userIdentity", "arn", default=account(event))


def alert_context(event):
    return context(event, filter=event.deep_get("requestParameters", "filter"))
