from iota_cloudtrail_helpers import account, actor, context, succeeded

SAML_EVENTS = {"CreateSAMLProvider", "UpdateSAMLProvider", "CreateOpenIDConnectProvider", "UpdateOpenIDConnectProviderThumbprint"}


def rule(event):
    return event.get("eventSource") == "iam.amazonaws.com" and event.get("eventName") in SAML_EVENTS and succeeded(event)


def title(event):
    name = (
        event.deep_get("requestParameters", "name")
        or event.deep_get("requestParameters", "sAMLProviderArn")
        or event.deep_get("requestParameters", "url")
        or event.deep_get("requestParameters", "openIDConnectProviderArn", default="<unknown provider>")
    )
    return f"{actor(event)} {event.get('eventName')} for identity provider {name} in account {account(event)}"


def dedup(event):
    return f"{account(event)}:{event.get('eventName')}"


def alert_context(event):
    return context(event)
