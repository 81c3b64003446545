from iota_cloudtrail_helpers import account, actor, context, succeeded

DELETE_EVENTS = {"DeletePublicAccessBlock", "DeleteAccountPublicAccessBlock"}
PUBLIC_ACCESS_BLOCK_EVENTS = {
    "DeletePublicAccessBlock",
    "DeleteAccountPublicAccessBlock",
    "PutPublicAccessBlock",
    "PutAccountPublicAccessBlock",
}
SETTINGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


def _disabled(event):
    if event.get("eventName") in DELETE_EVENTS:
        return list(SETTINGS)
    configuration = event.deep_get("requestParameters", "PublicAccessBlockConfiguration", default={})
    return [setting for setting in SETTINGS if configuration.get(setting) is False]


def rule(event):
    if event.get("eventName") not in PUBLIC_ACCESS_BLOCK_EVENTS or not succeeded(event):
        return False
    return bool(_disabled(event))


def _scope(event):
    bucket = event.deep_get("requestParameters", "bucketName")
    return f"bucket {bucket}" if bucket else f"account {account(event)}"


def title(event):
    return f"{actor(event)} turned off S3 Block Public Access ({', '.join(_disabled(event))}) for {_scope(event)}"


def severity(event):
    return "HIGH" if "Account" in event.get("eventName", "") else "DEFAULT"


def dedup(event):
    return _scope(event)


def alert_context(event):
    return context(event, scope=_scope(event), disabled=_disabled(event))
