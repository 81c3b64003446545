from iota_cloudtrail_helpers import account, actor, context, succeeded

# Calls that hand an IAM role to new compute (they require iam:PassRole), and where
# the role sits in the request.
ROLE_FIELDS = {
    "CreateFunction20150331": ("role",),
    "RunInstances": ("iamInstanceProfile", "arn"),
    "AssociateIamInstanceProfile": ("iamInstanceProfile", "arn"),
    "CreateStack": ("roleARN",),
    "CreateDevEndpoint": ("roleArn",),
    "CreateNotebookInstance": ("roleArn",),
    "CreateProject": ("serviceRole",),
}
HUMAN_IDENTITIES = {"IAMUser", "Root"}


def _role(event):
    path = ROLE_FIELDS.get(event.get("eventName"), ())
    role = event.deep_get("requestParameters", *path) if path else None
    if role is None and event.get("eventName") in ("RunInstances", "AssociateIamInstanceProfile"):
        role = event.deep_get("requestParameters", "iamInstanceProfile", "name")
    return role


def rule(event):
    if event.get("eventName") not in ROLE_FIELDS or not succeeded(event):
        return False
    # Pipelines pass roles all day through assumed roles; a long-lived user key doing it is the escalation path.
    return event.deep_get("userIdentity", "type") in HUMAN_IDENTITIES and _role(event) is not None


def title(event):
    return f"{actor(event)} passed role {_role(event)} to new compute via {event.get('eventName')} in account {account(event)}"


def severity(event):
    return "HIGH" if "admin" in str(_role(event)).lower() else "DEFAULT"


def dedup(event):
    return f"{event.deep_get('userIdentity', 'arn')}:{_role(event)}"


def alert_context(event):
    return context(event, passedRole=_role(event))
