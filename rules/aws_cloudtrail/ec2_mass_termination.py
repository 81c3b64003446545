from iota_cloudtrail_helpers import account, actor, context, succeeded


def _instances(event):
    return [item.get("instanceId") for item in event.deep_get("requestParameters", "instancesSet", "items", default=[])]


def rule(event):
    return event.get("eventName") == "TerminateInstances" and succeeded(event) and event.deep_get("userIdentity", "type") != "AWSService"


def unique(event):
    return ",".join(sorted(_instances(event))) or event.get("eventID", "")


def title(event):
    return f"{actor(event)} is terminating many EC2 instances in {event.get('awsRegion')} of account {account(event)}"


def dedup(event):
    return f"{event.deep_get('userIdentity', 'arn')}:{event.get('awsRegion')}"


def alert_context(event):
    return context(event, instanceIds=_instances(event))
