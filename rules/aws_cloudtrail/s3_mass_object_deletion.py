from iota_cloudtrail_helpers import account, actor, context, succeeded

DELETE_EVENTS = {"DeleteObject", "DeleteObjects"}


def rule(event):
    return (
        event.get("eventSource") == "s3.amazonaws.com"
        and event.get("eventName") in DELETE_EVENTS
        and succeeded(event)
        and event.deep_get("userIdentity", "type") != "AWSService"
    )


def _bucket(event):
    return event.deep_get("requestParameters", "bucketName", default="<unknown bucket>")


def title(event):
    return f"{actor(event)} is deleting objects from S3 bucket {_bucket(event)} in bulk (account {account(event)})"


def dedup(event):
    return f"{event.deep_get('userIdentity', 'arn')}:{_bucket(event)}"


def alert_context(event):
    return context(event, bucketName=_bucket(event), key=event.deep_get("requestParameters", "key"))
