from iota_cloudtrail_helpers import account, actor, context, succeeded

PROFILE_EVENTS = {"CreateLoginProfile", "UpdateLoginProfile"}


def rule(event):
    if event.get("eventName") not in PROFILE_EVENTS or not succeeded(event):
        return False
    # Users changing their own password at first sign-in are routine.
    return event.deep_get("requestParameters", "userName") != event.deep_get("userIdentity", "userName")


def title(event):
    target = event.deep_get("requestParameters", "userName", default="<unknown user>")
    verb = "gave" if event.get("eventName") == "CreateLoginProfile" else "reset"
    return f"{actor(event)} {verb} IAM user {target} a console password in account {account(event)}"


def dedup(event):
    return f"{account(event)}:{event.deep_get('requestParameters', 'userName')}"


def alert_context(event):
    return context(
        event,
        targetUser=event.deep_get("requestParameters", "userName"),
        passwordResetRequired=event.deep_get("requestParameters", "passwordResetRequired"),
    )
