from iota_cloudtrail_helpers import account, actor, allows_public_access, context, policy_document, succeeded


def rule(event):
    if event.get("eventName") != "PutBucketPolicy" or not succeeded(event):
        return False
    return allows_public_access(policy_document(event.deep_get("requestParameters", "bucketPolicy")))


def title(event):
    bucket = event.deep_get("requestParameters", "bucketName", default="<unknown bucket>")
    return f"{actor(event)} set a bucket policy that lets anyone access S3 bucket {bucket} (account {account(event)})"


def dedup(event):
    return event.deep_get("requestParameters", "bucketName", default=account(event))


def alert_context(event):
    return context(event, bucketName=event.deep_get("requestParameters", "bucketName"))
