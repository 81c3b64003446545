from iota_cloudtrail_helpers import account, actor, context, succeeded

BYPASS_HEADER = "x-amz-bypass-governance-retention"


def _bypassed(event):
    return str(event.deep_get("requestParameters", BYPASS_HEADER, default="")).lower() == "true"


def rule(event):
    if not succeeded(event) or event.get("eventSource") != "s3.amazonaws.com":
        return False
    if event.get("eventName") in ("DeleteObject", "DeleteObjects", "PutObjectRetention"):
        return _bypassed(event)
    if event.get("eventName") == "PutObjectLockConfiguration":
        # Removing the default retention rule leaves new objects unprotected.
        return not event.deep_get("requestParameters", "ObjectLockConfiguration", "Rule")
    return False


def title(event):
    bucket = event.deep_get("requestParameters", "bucketName", default="<unknown bucket>")
    if event.get("eventName") == "PutObjectLockConfiguration":
        return f"{actor(event)} removed the default Object Lock retention of S3 bucket {bucket}"
    return f"{actor(event)} bypassed Object Lock governance retention on S3 bucket {bucket} ({event.get('eventName')})"


def dedup(event):
    return event.deep_get("requestParameters", "bucketName", default=account(event))


def alert_context(event):
    return context(event, bucketName=event.deep_get("requestParameters", "bucketName"), key=event.deep_get("requestParameters", "key"))
