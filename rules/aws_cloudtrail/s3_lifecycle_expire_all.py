from iota_cloudtrail_helpers import account, actor, context, succeeded

MAX_DAYS = 1


def _rules(event):
    found = event.deep_get("requestParameters", "LifecycleConfiguration", "Rule", default=[])
    return [found] if hasattr(found, "keys") else list(found)


def _purging(lifecycle_rule):
    if lifecycle_rule.get("Status") != "Enabled":
        return False
    days = lifecycle_rule.deep_get("Expiration", "Days")
    prefix = lifecycle_rule.deep_get("Filter", "Prefix", default=lifecycle_rule.get("Prefix", ""))
    return days is not None and int(days) <= MAX_DAYS and not prefix


def rule(event):
    return event.get("eventName") == "PutBucketLifecycle" and succeeded(event) and any(_purging(r) for r in _rules(event))


def title(event):
    bucket = event.deep_get("requestParameters", "bucketName", default="<unknown bucket>")
    return f"{actor(event)} set a lifecycle rule that expires every object in S3 bucket {bucket} within a day"


def dedup(event):
    return event.deep_get("requestParameters", "bucketName", default=account(event))


def alert_context(event):
    return context(event, bucketName=event.deep_get("requestParameters", "bucketName"))
