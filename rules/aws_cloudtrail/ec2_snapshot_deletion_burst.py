from iota_cloudtrail_helpers import account, actor, context, succeeded


def rule(event):
    return (
        event.get("eventName") == "DeleteSnapshot"
        and event.get("eventSource") == "ec2.amazonaws.com"
        and succeeded(event)
        and event.deep_get("userIdentity", "type") != "AWSService"
    )


def unique(event):
    return event.deep_get("requestParameters", "snapshotId", default="<unknown snapshot>")


def title(event):
    return f"{actor(event)} deleted many EBS snapshots in {event.get('awsRegion')} of account {account(event)}"


def dedup(event):
    return f"{event.deep_get('userIdentity', 'arn')}:{event.get('awsRegion')}"


def alert_context(event):
    return context(event, snapshotId=unique(event))
