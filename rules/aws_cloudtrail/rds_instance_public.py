from iota_cloudtrail_helpers import account, actor, context, succeeded


def rule(event):
    return (
        event.get("eventName") in ("CreateDBInstance", "ModifyDBInstance")
        and succeeded(event)
        and event.deep_get("requestParameters", "publiclyAccessible") is True
    )


def title(event):
    instance = event.deep_get("requestParameters", "dBInstanceIdentifier", default="<unknown instance>")
    return f"{actor(event)} made RDS instance {instance} publicly accessible (account {account(event)})"


def dedup(event):
    return event.deep_get("requestParameters", "dBInstanceIdentifier", default=account(event))


def alert_context(event):
    return context(event, dbInstance=event.deep_get("requestParameters", "dBInstanceIdentifier"))
