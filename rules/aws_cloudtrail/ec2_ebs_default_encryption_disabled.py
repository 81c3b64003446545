from iota_cloudtrail_helpers import account, actor, context, succeeded


def rule(event):
    return event.get("eventName") == "DisableEbsEncryptionByDefault" and succeeded(event)


def title(event):
    return f"{actor(event)} turned off default EBS encryption in {event.get('awsRegion')} of account {account(event)}"


def dedup(event):
    return f"{account(event)}:{event.get('awsRegion')}"


def alert_context(event):
    return context(event)
