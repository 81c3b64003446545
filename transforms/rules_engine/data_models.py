"""Data models: how `event.udm(name)` finds a standard field in each log type.

The built-in model covers AWS.CloudTrail. A rule folder may bring its own
`AnalysisType: datamodel` YAML (Panther's format: `Mappings` of `Name` to a `Path`
or a `Method` in the model's Python file); it replaces the built-in model for its
LogTypes.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

from transforms.rules_engine.event import deep_get

Resolver = Callable[[Any], Any]


def _actor_user(event: Any) -> Any:
    identity_type = deep_get(event, "userIdentity", "type")
    if identity_type == "Root":
        return deep_get(event, "userIdentity", "userName", default="root")
    if identity_type in ("AssumedRole", "FederatedUser"):
        return deep_get(event, "userIdentity", "sessionContext", "sessionIssuer", "userName") or deep_get(
            event, "userIdentity", "principalId"
        )
    if identity_type == "AWSService":
        return deep_get(event, "userIdentity", "invokedBy")
    return deep_get(event, "userIdentity", "userName") or deep_get(event, "userIdentity", "principalId")


def _event_type(event: Any) -> str | None:
    name = event.get("eventName")
    if name == "ConsoleLogin":
        outcome = deep_get(event, "responseElements", "ConsoleLogin")
        if outcome == "Success":
            return "successful_login"
        if outcome == "Failure":
            return "failed_login"
        return None
    return _EVENT_TYPES.get(name)


_EVENT_TYPES = {
    "CreateUser": "user_account_created",
    "DeleteUser": "user_account_deleted",
    "UpdateUser": "user_account_modified",
    "CreateGroup": "user_group_created",
    "DeleteGroup": "user_group_deleted",
    "AddUserToGroup": "user_group_modified",
    "RemoveUserFromGroup": "user_group_modified",
    "DeactivateMFADevice": "mfa_disabled",
    "DeleteVirtualMFADevice": "mfa_disabled",
    "AttachUserPolicy": "user_role_modified",
    "DetachUserPolicy": "user_role_modified",
    "PutUserPolicy": "user_role_modified",
    "DeleteRole": "user_role_deleted",
}


def _user(event: Any) -> Any:
    """The user acted upon (an IAM user name in the request), not the actor."""
    return deep_get(event, "requestParameters", "userName")


def _user_account_id(event: Any) -> Any:
    return deep_get(event, "userIdentity", "accountId") or event.get("recipientAccountId")


AWS_CLOUDTRAIL: Mapping[str, Resolver] = {
    "actor_user": _actor_user,
    "actor_arn": lambda event: deep_get(event, "userIdentity", "arn"),
    "source_ip": lambda event: event.get("sourceIPAddress"),
    "user_agent": lambda event: event.get("userAgent"),
    "event_type": _event_type,
    "user": _user,
    "user_account_id": _user_account_id,
    "account_id": lambda event: event.get("recipientAccountId"),
    "region": lambda event: event.get("awsRegion"),
    "event_name": lambda event: event.get("eventName"),
}

BUILT_IN: Mapping[str, Mapping[str, Resolver]] = {"AWS.CloudTrail": AWS_CLOUDTRAIL}
