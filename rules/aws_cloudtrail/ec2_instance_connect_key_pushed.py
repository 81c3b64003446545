from iota_cloudtrail_helpers import account, actor, context, succeeded


def rule(event):
    return event.get("eventName") in ("SendSSHPublicKey", "SendSerialConsoleSSHPublicKey") and succeeded(event)


def title(event):
    params = event.get("requestParameters") or {}
    return f"{actor(event)} pushed an SSH key for {params.get('instanceOSUser')} onto {params.get('instanceId')} (account {account(event)})"


def dedup(event):
    return f"{event.deep_get('userIdentity', 'arn')}:{event.deep_get('requestParameters', 'instanceId')}"


def alert_context(event):
    params = event.get("requestParameters") or {}
    return context(event, instanceId=params.get("instanceId"), osUser=params.get("instanceOSUser"))
