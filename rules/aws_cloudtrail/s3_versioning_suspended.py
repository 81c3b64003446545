from iota_cloudtrail_helpers import account, actor, context, succeeded


def _changes(event):
    configuration = event.deep_get("requestParameters", "VersioningConfiguration", default={})
    changes = []
    if configuration.get("Status") == "Suspended":
        changes.append("versioning suspended")
    if configuration.get("MfaDelete") == "Disabled":
        changes.append("MFA delete disabled")
    return changes


def rule(event):
    return event.get("eventName") == "PutBucketVersioning" and succeeded(event) and bool(_changes(event))


def title(event):
    bucket = event.deep_get("requestParameters", "bucketName", default="<unknown bucket>")
    return f"{actor(event)} weakened recovery on S3 bucket {bucket} ({', '.join(_changes(event))}) in account {account(event)}"


def dedup(event):
    return event.deep_get("requestParameters", "bucketName", default=account(event))


def alert_context(event):
    return context(event, bucketName=event.deep_get("requestParameters", "bucketName"), changes=_changes(event))
