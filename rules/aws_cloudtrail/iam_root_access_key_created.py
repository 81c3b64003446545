from iota_cloudtrail_helpers import account, context, succeeded


def rule(event):
    # A root caller with no userName parameter creates a key for the root user itself.
    return (
        event.get("eventName") == "CreateAccessKey"
        and event.deep_get("userIdentity", "type") == "Root"
        and not event.deep_get("requestParameters", "userName")
        and succeeded(event)
    )


def title(event):
    return f"An access key was created for the root user of account {account(event)}"


def dedup(event):
    return account(event)


def alert_context(event):
    return context(event, accessKeyId=event.deep_get("responseElements", "accessKey", "accessKeyId"))
