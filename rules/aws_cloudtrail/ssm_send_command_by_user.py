from iota_cloudtrail_helpers import account, actor, context, succeeded

SHELL_DOCUMENTS = {"AWS-RunShellScript", "AWS-RunPowerShellScript"}


def rule(event):
    return (
        event.get("eventName") == "SendCommand"
        and succeeded(event)
        and event.deep_get("requestParameters", "documentName") in SHELL_DOCUMENTS
        and event.deep_get("userIdentity", "type") in ("IAMUser", "Root")
    )


def _targets(event):
    ids = event.deep_get("requestParameters", "instanceIds", default=[])
    return list(ids) or ["targets: " + str(event.deep_get("requestParameters", "targets"))]


def title(event):
    return f"{actor(event)} ran shell commands through SSM on {', '.join(_targets(event))} (account {account(event)})"


def severity(event):
    return "HIGH" if len(_targets(event)) >= 10 or event.deep_get("requestParameters", "targets") else "DEFAULT"


def dedup(event):
    return event.deep_get("userIdentity", "arn", default=account(event))


def alert_context(event):
    return context(event, targets=_targets(event), document=event.deep_get("requestParameters", "documentName"))
