from iota_cloudtrail_helpers import account, actor, context, succeeded

# (eventSource, eventName) pairs that switch off a detective security service.
DISABLING_CALLS = {
    ("macie2.amazonaws.com", "DisableMacie"),
    ("inspector2.amazonaws.com", "Disable"),
    ("detective.amazonaws.com", "DeleteGraph"),
    ("access-analyzer.amazonaws.com", "DeleteAnalyzer"),
}
SOURCES = {"macie2.amazonaws.com", "inspector2.amazonaws.com", "detective.amazonaws.com", "access-analyzer.amazonaws.com"}


def rule(event):
    if event.get("eventSource") not in SOURCES or not succeeded(event):
        return False
    return (event.get("eventSource"), event.get("eventName")) in DISABLING_CALLS


def _service(event):
    return event.get("eventSource", "").split(".", 1)[0]


def title(event):
    return f"{actor(event)} turned off {_service(event)} ({event.get('eventName')}) in {event.get('awsRegion')} of account {account(event)}"


def dedup(event):
    return f"{account(event)}:{event.get('awsRegion')}:{_service(event)}"


def alert_context(event):
    return context(event, service=_service(event))
