from iota_cloudtrail_helpers import account, actor, context, succeeded

READ_EVENTS = {"GetParameter", "GetParameters", "GetParametersByPath"}


def rule(event):
    return (
        event.get("eventName") in READ_EVENTS
        and succeeded(event)
        and event.deep_get("requestParameters", "withDecryption") is True
        and event.deep_get("userIdentity", "type") != "AWSService"
    )


def unique(event):
    params = event.get("requestParameters") or {}
    names = params.get("names")
    if names:
        return ",".join(sorted(names))
    return params.get("name") or params.get("path") or "<unknown parameter>"


def title(event):
    return f"{actor(event)} decrypted many SSM parameters in account {account(event)}"


def dedup(event):
    return event.deep_get("userIdentity", "arn", default=account(event))


def alert_context(event):
    return context(event, parameters=unique(event))
