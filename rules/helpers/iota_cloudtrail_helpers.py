"""Helpers shared by iota's bundled CloudTrail rules (not part of Panther's interface)."""
from __future__ import annotations

import functools
import ipaddress
import json
from typing import Any

from panther_aws_helpers import aws_rule_context
from transforms.rules_engine.event import deep_get, deep_walk, json_default, unwrap

ADMIN_POLICY_ARNS = frozenset(
    {
        "arn:aws:iam::aws:policy/AdministratorAccess",
        "arn:aws:iam::aws:policy/IAMFullAccess",
        "arn:aws:iam::aws:policy/PowerUserAccess",
    }
)
PUBLIC_GROUP_URIS = frozenset(
    {
        "http://acs.amazonaws.com/groups/global/AllUsers",
        "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
    }
)


def actor(event: Any) -> str:
    """Who acted, as a responder would name them: user name, role/session, or root."""
    identity_type = deep_get(event, "userIdentity", "type")
    if identity_type == "Root":
        return "root"
    if identity_type == "AssumedRole":
        arn = deep_get(event, "userIdentity", "arn", default="")
        return arn.split(":assumed-role/", 1)[-1] if ":assumed-role/" in arn else arn
    if identity_type == "AWSService":
        return deep_get(event, "userIdentity", "invokedBy", default="an AWS service")
    return (
        deep_get(event, "userIdentity", "userName")
        or deep_get(event, "userIdentity", "arn")
        or deep_get(event, "userIdentity", "principalId", default="<unknown actor>")
    )


def account(event: Any) -> str:
    return event.get("recipientAccountId") or deep_get(event, "userIdentity", "accountId", default="<unknown account>")


def succeeded(event: Any) -> bool:
    """The call went through (no errorCode), so the change it asked for happened."""
    return not event.get("errorCode") and not event.get("errorMessage")


def is_aws_service_call(event: Any) -> bool:
    """Made by an AWS service on the account's behalf, not by a person or workload."""
    return deep_get(event, "userIdentity", "type") == "AWSService" or str(event.get("sourceIPAddress", "")).endswith(
        ".amazonaws.com"
    )


def context(event: Any, **extra: Any) -> dict:
    """aws_rule_context plus rule-specific fields."""
    result = aws_rule_context(event)
    result.update(extra)
    return result


def is_world_cidr(cidr: Any) -> bool:
    return cidr in ("0.0.0.0/0", "::/0")


def is_public_ip(address: Any) -> bool:
    """A routable internet address (not private, loopback, link-local or an AWS service name)."""
    if type(address) is str:
        return _public_address_text(address)
    return _public_address(address)


@functools.lru_cache(maxsize=4096)
def _public_address_text(address: str) -> bool:
    """is_public_ip for a string, remembered: parsing and range checks cost microseconds,
    and a trail's source addresses repeat."""
    return _public_address(address)


def _public_address(address: Any) -> bool:
    try:
        parsed = ipaddress.ip_address(address)
    except (TypeError, ValueError):
        return False
    return parsed.is_global


def policy_document(text: Any) -> dict:
    """A policy document from requestParameters, which CloudTrail writes as a JSON string."""
    if isinstance(text, str):
        try:
            parsed = json.loads(text)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}
    if hasattr(text, "keys"):
        return json.loads(json.dumps(unwrap(text), default=json_default))
    return {}


def statements(document: dict) -> list[dict]:
    found = document.get("Statement", [])
    return [found] if isinstance(found, dict) else [s for s in found if isinstance(s, dict)]


def principal_is_public(principal: Any) -> bool:
    """A policy Principal that lets anyone in: "*" or {"AWS": "*"} (alone or in a list)."""
    if principal == "*":
        return True
    if isinstance(principal, dict):
        aws = principal.get("AWS")
        values = aws if isinstance(aws, list) else [aws]
        return "*" in values
    return False


def allows_public_access(document: dict) -> bool:
    """Some Allow statement grants a public principal without a narrowing Condition."""
    return any(
        s.get("Effect") == "Allow" and principal_is_public(s.get("Principal")) and not s.get("Condition")
        for s in statements(document)
    )


def grants_full_admin(document: dict) -> bool:
    """Some Allow statement grants every action on every resource."""
    for statement in statements(document):
        if statement.get("Effect") != "Allow":
            continue
        actions = statement.get("Action", [])
        resources = statement.get("Resource", [])
        actions = actions if isinstance(actions, list) else [actions]
        resources = resources if isinstance(resources, list) else [resources]
        if "*" in actions and "*" in resources:
            return True
    return False


def public_acl_grantees(event: Any) -> list[str]:
    """AllUsers / AuthenticatedUsers group URIs granted in a PutBucketAcl / PutObjectAcl request."""
    uris = deep_walk(
        event, "requestParameters", "AccessControlPolicy", "AccessControlList", "Grant", "Grantee", "URI", default=[]
    )
    uris = list(uris) if not isinstance(uris, str) else [uris]
    found = [uri for uri in uris if uri in PUBLIC_GROUP_URIS]
    for header in ("x-amz-acl",):
        canned = deep_walk(event, "requestParameters", header, default=[])
        canned = [canned] if isinstance(canned, str) else list(canned)
        found.extend(f"canned ACL {value}" for value in canned if value in ("public-read", "public-read-write", "authenticated-read"))
    return found


def shared_with(event: Any, permission: str) -> list[str]:
    """Who a Modify*Attribute call adds to `permission` (launchPermission,
    createVolumePermission): "public" for group all, else account ids and organization ARNs."""
    items = event.deep_get("requestParameters", permission, "add", "items", default=[]) or []
    grantees = []
    for item in items:
        if item.get("group") == "all":
            grantees.append("public")
        else:
            grantee = item.get("userId") or item.get("organizationArn") or item.get("organizationalUnitArn")
            if grantee:
                grantees.append(grantee)
    return grantees


def policy_target(event: Any) -> str:
    """The IAM user, role or group an Attach*/Put*Policy call acts on, e.g. "role Admin"."""
    params = event.get("requestParameters") or {}
    for key, kind in (("userName", "user"), ("roleName", "role"), ("groupName", "group")):
        if params.get(key):
            return f"{kind} {params.get(key)}"
    return "<unknown principal>"
