import re

from iota_cloudtrail_helpers import account, actor, context, succeeded

# Accelerated families favoured for cryptocurrency mining on stolen accounts.
GPU_FAMILY = re.compile(r"^(p2|p3|p3dn|p4d|p4de|p5|g3|g3s|g4dn|g4ad|g5|g5g|g6|gr6|dl1|trn1|inf2)\.")


def rule(event):
    return (
        event.get("eventName") == "RunInstances"
        and succeeded(event)
        and bool(GPU_FAMILY.match(event.deep_get("requestParameters", "instanceType", default="")))
    )


def _count(event):
    items = event.deep_get("requestParameters", "instancesSet", "items", default=[])
    return sum(int(item.get("maxCount") or 1) for item in items) or 1


def title(event):
    instance_type = event.deep_get("requestParameters", "instanceType")
    return f"{actor(event)} launched {_count(event)} GPU instance(s) of type {instance_type} in {event.get('awsRegion')} (account {account(event)})"


def severity(event):
    return "HIGH" if _count(event) >= 5 else "DEFAULT"


def dedup(event):
    return f"{event.deep_get('userIdentity', 'arn')}:{event.get('awsRegion')}"


def alert_context(event):
    return context(event, instanceType=event.deep_get("requestParameters", "instanceType"), requested=_count(event))
