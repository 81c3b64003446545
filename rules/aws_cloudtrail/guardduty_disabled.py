from iota_cloudtrail_helpers import account, actor, context, succeeded

# Calls that switch GuardDuty off, or cut this account out of the administrator's view.
DISABLING_EVENTS = {
    "DeleteDetector",
    "DisassociateFromMasterAccount",
    "DisassociateFromAdministratorAccount",
    "StopMonitoringMembers",
    "DeleteMembers",
    "DisassociateMembers",
}


def rule(event):
    if event.get("eventSource") != "guardduty.amazonaws.com" or not succeeded(event):
        return False
    if event.get("eventName") == "UpdateDetector":
        return event.deep_get("requestParameters", "enable") is False
    return event.get("eventName") in DISABLING_EVENTS


def title(event):
    return f"{actor(event)} weakened GuardDuty with {event.get('eventName')} in {event.get('awsRegion')} of account {account(event)}"


def dedup(event):
    return f"{account(event)}:{event.get('awsRegion')}"


def alert_context(event):
    return context(event, detectorId=event.deep_get("requestParameters", "detectorId"))
