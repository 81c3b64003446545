from iota_cloudtrail_helpers import account, actor, context, succeeded

# CloudTrail names Lambda API calls with their API version suffix.
CODE_EVENTS = {"UpdateFunctionCode20150331v2", "UpdateFunctionConfiguration20150331v2", "CreateFunction20150331"}
DEPLOYMENT_AGENTS = ("Terraform", "cloudformation.amazonaws.com", "aws-cdk", "aws-sam-cli", "Serverless", "Pulumi")


def _is_code_change(event):
    if event.get("eventName") != "UpdateFunctionConfiguration20150331v2":
        return True
    # A configuration update matters when it swaps layers (code) or the handler.
    params = event.get("requestParameters") or {}
    return "layers" in params or "handler" in params


def rule(event):
    if event.get("eventName") not in CODE_EVENTS or not succeeded(event):
        return False
    agent = event.get("userAgent") or ""
    return _is_code_change(event) and not any(tool in agent for tool in DEPLOYMENT_AGENTS)


def title(event):
    function = event.deep_get("requestParameters", "functionName", default="<unknown function>")
    return f"{actor(event)} changed the code of Lambda function {function} outside the deployment pipeline ({account(event)})"


def dedup(event):
    return f"{account(event)}:{event.deep_get('requestParameters', 'functionName')}"


def alert_context(event):
    params = event.get("requestParameters") or {}
    return context(event, functionName=params.get("functionName"), layers=params.get("layers"), handler=params.get("handler"))
