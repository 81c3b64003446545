from iota_cloudtrail_helpers import account, actor, context, succeeded

# Infrastructure-as-code tools whose user agents mark an expected, reviewed change.
PROVISIONING_AGENTS = ("Terraform", "cloudformation.amazonaws.com", "aws-cdk", "Pulumi")


def rule(event):
    if event.get("eventName") != "CreateUser" or not succeeded(event):
        return False
    agent = event.get("userAgent") or ""
    return not any(tool in agent for tool in PROVISIONING_AGENTS)


def title(event):
    user = event.deep_get("requestParameters", "userName", default="<unknown>")
    return f"{actor(event)} created IAM user {user} by hand in account {account(event)}"


def severity(event):
    return "HIGH" if event.deep_get("userIdentity", "type") == "Root" else "DEFAULT"


def dedup(event):
    return f"{account(event)}:{event.deep_get('requestParameters', 'userName')}"


def alert_context(event):
    return context(event, newUser=event.deep_get("requestParameters", "userName"))
