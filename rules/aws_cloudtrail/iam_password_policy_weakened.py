from iota_cloudtrail_helpers import account, actor, context, succeeded

MINIMUM_LENGTH = 14


def _weaknesses(event):
    if event.get("eventName") == "DeleteAccountPasswordPolicy":
        return ["password policy deleted"]
    params = event.get("requestParameters") or {}
    found = []
    if (params.get("minimumPasswordLength") or 0) < MINIMUM_LENGTH:
        found.append(f"minimum length {params.get('minimumPasswordLength')}")
    for flag in ("requireSymbols", "requireNumbers", "requireUppercaseCharacters", "requireLowercaseCharacters"):
        if params.get(flag) is False:
            found.append(f"{flag} off")
    if not params.get("passwordReusePrevention"):
        found.append("password reuse allowed")
    return found


def rule(event):
    if event.get("eventName") not in ("UpdateAccountPasswordPolicy", "DeleteAccountPasswordPolicy"):
        return False
    return succeeded(event) and bool(_weaknesses(event))


def title(event):
    return f"{actor(event)} weakened the IAM password policy of account {account(event)}: {', '.join(_weaknesses(event))}"


def dedup(event):
    return account(event)


def alert_context(event):
    return context(event, weaknesses=_weaknesses(event))
