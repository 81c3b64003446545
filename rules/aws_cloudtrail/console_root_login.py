from iota_cloudtrail_helpers import account, context


def rule(event):
    return (
        event.get("eventName") == "ConsoleLogin"
        and event.deep_get("userIdentity", "type") == "Root"
        and event.deep_get("responseElements", "ConsoleLogin") == "Success"
    )


def title(event):
    return f"Root user signed in to the console of account {account(event)} from {event.get('sourceIPAddress')}"


def dedup(event):
    return f"{account(event)}:{event.get('sourceIPAddress')}"


def alert_context(event):
    return context(event, mfaUsed=event.deep_get("additionalEventData", "MFAUsed"))
