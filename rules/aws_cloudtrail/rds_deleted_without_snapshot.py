from iota_cloudtrail_helpers import account, actor, context, succeeded


def rule(event):
    return (
        event.get("eventName") in ("DeleteDBInstance", "DeleteDBCluster")
        and succeeded(event)
        and event.deep_get("requestParameters", "skipFinalSnapshot") is True
    )


def _database(event):
    params = event.get("requestParameters") or {}
    return params.get("dBInstanceIdentifier") or params.get("dBClusterIdentifier") or "<unknown database>"


def title(event):
    return f"{actor(event)} deleted RDS database {_database(event)} without a final snapshot (account {account(event)})"


def dedup(event):
    return _database(event)


def alert_context(event):
    params = event.get("requestParameters") or {}
    return context(event, database=_database(event), deleteAutomatedBackups=params.get("deleteAutomatedBackups"))
