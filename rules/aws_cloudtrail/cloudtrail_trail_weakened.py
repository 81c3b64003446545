from iota_cloudtrail_helpers import account, actor, context, succeeded


def _weakenings(event):
    params = event.get("requestParameters") or {}
    found = []
    if event.get("eventName") == "UpdateTrail":
        if params.get("isMultiRegionTrail") is False:
            found.append("trail limited to one region")
        if params.get("includeGlobalServiceEvents") is False:
            found.append("global service events (IAM, STS) excluded")
        if params.get("enableLogFileValidation") is False:
            found.append("log file validation turned off")
        if params.get("kmsKeyId") == "":
            found.append("KMS encryption removed")
        if params.get("s3BucketName"):
            found.append(f"logs redirected to bucket {params.get('s3BucketName')}")
    elif event.get("eventName") == "PutEventSelectors":
        for selector in params.get("eventSelectors") or []:
            if selector.get("includeManagementEvents") is False:
                found.append("management events excluded")
            if selector.get("readWriteType") == "ReadOnly":
                found.append("write events excluded")
    return found


def rule(event):
    return (
        event.get("eventSource") == "cloudtrail.amazonaws.com"
        and event.get("eventName") in ("UpdateTrail", "PutEventSelectors")
        and succeeded(event)
        and bool(_weakenings(event))
    )


def title(event):
    trail = event.deep_get("requestParameters", "name") or event.deep_get("requestParameters", "trailName", default="<unknown trail>")
    return f"{actor(event)} weakened CloudTrail trail {trail}: {'; '.join(_weakenings(event))}"


def dedup(event):
    return f"{account(event)}:{event.deep_get('requestParameters', 'name') or event.deep_get('requestParameters', 'trailName')}"


def alert_context(event):
    return context(event, changes=_weakenings(event))
