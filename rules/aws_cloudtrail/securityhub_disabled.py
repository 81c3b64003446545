from iota_cloudtrail_helpers import account, actor, context, succeeded

DISABLING_EVENTS = {
    "DisableSecurityHub",
    "BatchDisableStandards",
    "DisableImportFindingsForProduct",
    "DisassociateFromAdministratorAccount",
    "DisassociateFromMasterAccount",
    "DeleteMembers",
    "DisassociateMembers",
}


def rule(event):
    return (
        event.get("eventSource") == "securityhub.amazonaws.com"
        and event.get("eventName") in DISABLING_EVENTS
        and succeeded(event)
    )


def title(event):
    return f"{actor(event)} weakened Security Hub with {event.get('eventName')} in {event.get('awsRegion')} of account {account(event)}"


def dedup(event):
    return f"{account(event)}:{event.get('awsRegion')}"


def alert_context(event):
    return context(event)
