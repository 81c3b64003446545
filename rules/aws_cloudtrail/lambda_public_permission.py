from iota_cloudtrail_helpers import account, actor, context, succeeded


def rule(event):
    if event.get("eventName") != "AddPermission20150331v2" or not succeeded(event):
        return False
    params = event.get("requestParameters") or {}
    # Function URLs with AuthType NONE and "*" principals let anyone invoke the function.
    return params.get("principal") == "*" and not params.get("sourceArn") and not params.get("sourceAccount")


def title(event):
    function = event.deep_get("requestParameters", "functionName", default="<unknown function>")
    return f"{actor(event)} made Lambda function {function} invocable by anyone in account {account(event)}"


def dedup(event):
    return f"{account(event)}:{event.deep_get('requestParameters', 'functionName')}"


def alert_context(event):
    params = event.get("requestParameters") or {}
    return context(
        event,
        functionName=params.get("functionName"),
        action=params.get("action"),
        functionUrlAuthType=params.get("functionUrlAuthType"),
    )
