from iota_cloudtrail_helpers import account, actor, context, succeeded


def rule(event):
    return event.get("eventName") == "DeleteBucketEncryption" and succeeded(event)


def title(event):
    bucket = event.deep_get("requestParameters", "bucketName", default="<unknown bucket>")
    return f"{actor(event)} deleted the default encryption configuration of S3 bucket {bucket} in account {account(event)}"


def dedup(event):
    return event.deep_get("requestParameters", "bucketName", default=account(event))


def alert_context(event):
    return context(event, bucketName=event.deep_get("requestParameters", "bucketName"))
