from iota_cloudtrail_helpers import account, actor, context, is_world_cidr, succeeded

# Remote administration and database ports that should never face the whole internet.
SENSITIVE_PORTS = {22, 3389, 5432, 3306, 1433, 6379, 9200, 27017, 5985, 5986}


def _world_rules(event):
    """(protocol, from port, to port, cidr) for each rule of the request open to everyone."""
    opened = []
    for permission in event.deep_get("requestParameters", "ipPermissions", "items", default=[]):
        cidrs = [r.get("cidrIp") for r in permission.deep_get("ipRanges", "items", default=[])]
        cidrs += [r.get("cidrIpv6") for r in permission.deep_get("ipv6Ranges", "items", default=[])]
        for cidr in cidrs:
            if is_world_cidr(cidr):
                opened.append((permission.get("ipProtocol"), permission.get("fromPort"), permission.get("toPort"), cidr))
    return opened


def _exposes_sensitive_port(opened):
    for protocol, low, high, _ in opened:
        if protocol == "-1" or low is None or high is None:
            return True
        if any(low <= port <= high for port in SENSITIVE_PORTS):
            return True
    return False


def _describe(protocol, low, high):
    if protocol == "-1":
        return "all traffic"
    return f"{protocol}/{low}" if low == high else f"{protocol}/{low}-{high}"


def rule(event):
    return event.get("eventName") == "AuthorizeSecurityGroupIngress" and succeeded(event) and bool(_world_rules(event))


def title(event):
    group = event.deep_get("requestParameters", "groupId", default="<unknown group>")
    ports = ", ".join(sorted({_describe(p, lo, hi) for p, lo, hi, _ in _world_rules(event)}))
    return f"{actor(event)} opened security group {group} to the internet ({ports}) in account {account(event)}"


def severity(event):
    return "HIGH" if _exposes_sensitive_port(_world_rules(event)) else "DEFAULT"


def dedup(event):
    return f"{account(event)}:{event.deep_get('requestParameters', 'groupId')}"


def alert_context(event):
    opened = [{"protocol": p, "fromPort": lo, "toPort": hi, "cidr": c} for p, lo, hi, c in _world_rules(event)]
    return context(event, groupId=event.deep_get("requestParameters", "groupId"), openedRules=opened)
