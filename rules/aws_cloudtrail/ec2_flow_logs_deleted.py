from iota_cloudtrail_helpers import account, actor, context, succeeded


def _flow_log_ids(event):
    ids = event.deep_walk("requestParameters", "DeleteFlowLogsRequest", "FlowLogId", "content", default=[])
    return [ids] if isinstance(ids, str) else list(ids)


def rule(event):
    return event.get("eventName") == "DeleteFlowLogs" and succeeded(event)


def title(event):
    ids = ", ".join(_flow_log_ids(event)) or "flow logs"
    return f"{actor(event)} deleted VPC {ids} in {event.get('awsRegion')} of account {account(event)}"


def dedup(event):
    return f"{account(event)}:{event.get('awsRegion')}"


def alert_context(event):
    return context(event, flowLogIds=_flow_log_ids(event))
