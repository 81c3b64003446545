from iota_cloudtrail_helpers import account, actor, context, succeeded

DELETING_EVENTS = {"DeleteLogGroup", "DeleteLogStream"}


def rule(event):
    if event.get("eventSource") != "logs.amazonaws.com" or not succeeded(event):
        return False
    if event.get("eventName") == "PutRetentionPolicy":
        # Shrinking retention to a day erases history almost as fast as deleting it.
        return (event.deep_get("requestParameters", "retentionInDays") or 0) == 1
    return event.get("eventName") in DELETING_EVENTS


def title(event):
    group = event.deep_get("requestParameters", "logGroupName", default="<unknown log group>")
    return f"{actor(event)} destroyed log history in CloudWatch log group {group} ({event.get('eventName')})"


def dedup(event):
    return f"{account(event)}:{event.deep_get('requestParameters', 'logGroupName')}"


def alert_context(event):
    params = event.get("requestParameters") or {}
    return context(event, logGroupName=params.get("logGroupName"), logStreamName=params.get("logStreamName"))
