from iota_cloudtrail_helpers import account, actor, context, succeeded


def rule(event):
    return (
        event.get("eventName") == "GetSecretValue"
        and succeeded(event)
        and event.deep_get("userIdentity", "type") != "AWSService"
    )


def unique(event):
    # Threshold counts distinct secrets: one service re-reading its own secret is not a sweep.
    return event.deep_get("requestParameters", "secretId", default="<unknown secret>")


def title(event):
    return f"{actor(event)} read many different Secrets Manager secrets in account {account(event)}"


def dedup(event):
    return event.deep_get("userIdentity", "arn", default=account(event))


def alert_context(event):
    return context(event, secretId=event.deep_get("requestParameters", "secretId"))
