import re
import time

from iota_cloudtrail_helpers import account, context, is_public_ip
from panther_detection_helpers.caching import add_to_string_set, get_string_set

# Role sessions EC2 creates for instance profiles are named after the instance id.
INSTANCE_SESSION = re.compile(r":(i-[0-9a-f]{8,17})$")
MEMORY_SECONDS = 12 * 3600


def _instance(event):
    if event.deep_get("userIdentity", "type") != "AssumedRole":
        return None
    match = INSTANCE_SESSION.search(event.deep_get("userIdentity", "principalId", default=""))
    return match.group(1) if match else None


def rule(event):
    instance = _instance(event)
    source = event.get("sourceIPAddress")
    if instance is None or not is_public_ip(source):
        return False
    # An instance reaches AWS from one public address (its own or its NAT gateway's).
    # A second address for the same instance's credentials means they were copied off the box;
    # fire when that new address first appears, not on every later call.
    key = f"instance-ips:{instance}"
    if source in get_string_set(key):
        return False
    seen = add_to_string_set(key, source, epoch_seconds=int(time.time()) + MEMORY_SECONDS)
    return len(seen) > 1


def title(event):
    return f"Credentials of EC2 instance {_instance(event)} used from a second address {event.get('sourceIPAddress')} (account {account(event)})"


def dedup(event):
    return _instance(event) or account(event)


def alert_context(event):
    return context(event, instanceId=_instance(event), roleArn=event.deep_get("userIdentity", "sessionContext", "sessionIssuer", "arn"))
