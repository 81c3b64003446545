from iota_cloudtrail_helpers import account, actor, context, succeeded

TRANSFER_EVENTS = {"TransferDomainToAnotherAwsAccount", "TransferDomain", "DisableDomainTransferLock"}


def rule(event):
    return (
        event.get("eventSource") == "route53domains.amazonaws.com"
        and event.get("eventName") in TRANSFER_EVENTS
        and succeeded(event)
    )


def title(event):
    domain = event.deep_get("requestParameters", "domainName", default="<unknown domain>")
    return f"{actor(event)} {event.get('eventName')} for domain {domain} (account {account(event)})"


def dedup(event):
    return event.deep_get("requestParameters", "domainName", default=account(event))


def alert_context(event):
    params = event.get("requestParameters") or {}
    return context(event, domainName=params.get("domainName"), targetAccount=params.get("accountId"))
