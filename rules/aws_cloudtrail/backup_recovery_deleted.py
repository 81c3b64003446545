from iota_cloudtrail_helpers import account, actor, context, succeeded

DELETING_EVENTS = {"DeleteBackupVault", "DeleteRecoveryPoint", "DeleteBackupPlan", "DeleteBackupVaultLockConfiguration"}


def rule(event):
    return event.get("eventSource") == "backup.amazonaws.com" and event.get("eventName") in DELETING_EVENTS and succeeded(event)


def _target(event):
    params = event.get("requestParameters") or {}
    return params.get("recoveryPointArn") or params.get("backupVaultName") or params.get("backupPlanId") or "<unknown>"


def title(event):
    return f"{actor(event)} {event.get('eventName')} on {_target(event)} in account {account(event)}"


def dedup(event):
    return f"{event.deep_get('userIdentity', 'arn')}:{event.get('eventName')}"


def alert_context(event):
    return context(event, target=_target(event))
