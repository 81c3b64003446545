from iota_cloudtrail_helpers import account, context


def rule(event):
    return (
        event.deep_get("userIdentity", "type") == "Root"
        and event.get("eventType") == "AwsApiCall"
        and event.get("readOnly") is False
        and not event.deep_get("userIdentity", "invokedBy")
    )


def title(event):
    return f"Root user called {event.get('eventName')} in account {account(event)}"


def dedup(event):
    return f"{account(event)}:{event.get('eventName')}"


def alert_context(event):
    return context(event)
