from iota_cloudtrail_helpers import account, actor, context, succeeded

MFA_REMOVAL_EVENTS = {"DeactivateMFADevice", "DeleteVirtualMFADevice"}


def rule(event):
    return event.get("eventName") in MFA_REMOVAL_EVENTS and succeeded(event)


def _target(event):
    params = event.get("requestParameters") or {}
    return params.get("userName") or params.get("serialNumber") or "<unknown>"


def title(event):
    return f"{actor(event)} removed an MFA device ({_target(event)}) in account {account(event)}"


def severity(event):
    serial = event.deep_get("requestParameters", "serialNumber", default="")
    return "HIGH" if serial.endswith(":mfa/root-account-mfa-device") or event.deep_get("userIdentity", "type") == "Root" else "DEFAULT"


def dedup(event):
    return f"{account(event)}:{_target(event)}"


def alert_context(event):
    return context(event, target=_target(event), serialNumber=event.deep_get("requestParameters", "serialNumber"))
