from iota_cloudtrail_helpers import account, actor, context, succeeded

STOPPING_EVENTS = {"StopConfigurationRecorder", "DeleteConfigurationRecorder", "DeleteDeliveryChannel"}


def rule(event):
    return event.get("eventSource") == "config.amazonaws.com" and event.get("eventName") in STOPPING_EVENTS and succeeded(event)


def title(event):
    return f"{actor(event)} turned AWS Config recording off ({event.get('eventName')}) in {event.get('awsRegion')} of account {account(event)}"


def dedup(event):
    return f"{account(event)}:{event.get('awsRegion')}"


def alert_context(event):
    params = event.get("requestParameters") or {}
    return context(
        event,
        recorder=params.get("configurationRecorderName"),
        deliveryChannel=params.get("deliveryChannelName"),
    )
