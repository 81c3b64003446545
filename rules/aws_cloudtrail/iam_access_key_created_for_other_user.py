from iota_cloudtrail_helpers import account, actor, context, succeeded


def rule(event):
    if event.get("eventName") != "CreateAccessKey" or not succeeded(event):
        return False
    target = event.deep_get("requestParameters", "userName")
    if not target or event.deep_get("userIdentity", "type") == "Root":
        return False
    return target != event.deep_get("userIdentity", "userName")


def title(event):
    target = event.deep_get("requestParameters", "userName")
    return f"{actor(event)} created an access key for IAM user {target} in account {account(event)}"


def dedup(event):
    return f"{account(event)}:{event.deep_get('requestParameters', 'userName')}"


def alert_context(event):
    return context(
        event,
        targetUser=event.deep_get("requestParameters", "userName"),
        accessKeyId=event.deep_get("responseElements", "accessKey", "accessKeyId"),
    )
