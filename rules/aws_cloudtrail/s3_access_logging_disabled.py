from iota_cloudtrail_helpers import account, actor, context, succeeded


def rule(event):
    if event.get("eventName") != "PutBucketLogging" or not succeeded(event):
        return False
    # An empty BucketLoggingStatus (no LoggingEnabled element) switches access logging off.
    status = event.deep_get("requestParameters", "BucketLoggingStatus", default={})
    return not status.get("LoggingEnabled")


def title(event):
    bucket = event.deep_get("requestParameters", "bucketName", default="<unknown bucket>")
    return f"{actor(event)} turned off server access logging for S3 bucket {bucket} in account {account(event)}"


def dedup(event):
    return event.deep_get("requestParameters", "bucketName", default=account(event))


def alert_context(event):
    return context(event, bucketName=event.deep_get("requestParameters", "bucketName"))
