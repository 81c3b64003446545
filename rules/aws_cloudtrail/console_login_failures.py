from iota_cloudtrail_helpers import account, context


def rule(event):
    return event.get("eventName") == "ConsoleLogin" and event.deep_get("responseElements", "ConsoleLogin") == "Failure"


def _who(event):
    # Failed sign-ins for unknown names are logged as HIDDEN_DUE_TO_SECURITY_REASONS.
    return event.deep_get("userIdentity", "userName") or event.deep_get("userIdentity", "type", default="unknown")


def title(event):
    return f"Repeated failed console sign-ins for {_who(event)} in account {account(event)}"


def dedup(event):
    return f"{account(event)}:{_who(event)}"


def alert_context(event):
    return context(event, errorMessage=event.get("errorMessage"))
