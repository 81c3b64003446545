from iota_cloudtrail_helpers import account, actor, context, public_acl_grantees, succeeded


def rule(event):
    return event.get("eventName") == "PutBucketAcl" and succeeded(event) and bool(public_acl_grantees(event))


def title(event):
    bucket = event.deep_get("requestParameters", "bucketName", default="<unknown bucket>")
    return f"{actor(event)} made S3 bucket {bucket} public through its ACL in account {account(event)}"


def dedup(event):
    return event.deep_get("requestParameters", "bucketName", default=account(event))


def alert_context(event):
    return context(
        event,
        bucketName=event.deep_get("requestParameters", "bucketName"),
        publicGrantees=public_acl_grantees(event),
    )
