from iota_cloudtrail_helpers import account, context

# Federated sign-ins (SAML, IAM Identity Center) arrive as AssumedRole identities and
# authenticate at the identity provider, so MFAUsed is always "No" for them.
PASSWORD_IDENTITIES = {"IAMUser", "Root"}


def rule(event):
    return (
        event.get("eventName") == "ConsoleLogin"
        and event.deep_get("responseElements", "ConsoleLogin") == "Success"
        and event.deep_get("userIdentity", "type") in PASSWORD_IDENTITIES
        and event.deep_get("additionalEventData", "MFAUsed") == "No"
    )


def title(event):
    who = event.deep_get("userIdentity", "userName", default="root")
    return f"{who} signed in to the console of account {account(event)} without MFA"


def severity(event):
    return "HIGH" if event.deep_get("userIdentity", "type") == "Root" else "DEFAULT"


def dedup(event):
    return event.deep_get("userIdentity", "arn", default=account(event))


def alert_context(event):
    return context(event, loginTo=event.deep_get("additionalEventData", "LoginTo"))
