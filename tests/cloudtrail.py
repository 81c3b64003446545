"""Small, realistic CloudTrail records for tests (field names and shapes as AWS documents them)."""
from __future__ import annotations

import copy
import gzip
import json

ACCOUNT = "123456789012"


def assumed_role_identity(session: str = "alice", role: str = "Admin") -> dict:
    return {
        "type": "AssumedRole",
        "principalId": f"AROAEXAMPLEROLEID:{session}",
        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{session}",
        "accountId": ACCOUNT,
        "accessKeyId": "ASIAEXAMPLEKEY12345",
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": "AROAEXAMPLEROLEID",
                "arn": f"arn:aws:iam::{ACCOUNT}:role/{role}",
                "accountId": ACCOUNT,
                "userName": role,
            },
            "webIdFederationData": {},
            "attributes": {"creationDate": "2025-01-01T11:00:00Z", "mfaAuthenticated": "false"},
        },
    }


def root_identity() -> dict:
    return {"type": "Root", "principalId": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:root", "accountId": ACCOUNT}


def api_call(event_name: str, event_source: str, event_time: str, *, event_id: str, identity: dict | None = None,
             request: dict | None = None, response: dict | None = None, source_ip: str = "203.0.113.10",
             read_only: bool = False) -> dict:
    return {
        "eventVersion": "1.08",
        "userIdentity": identity or assumed_role_identity(),
        "eventTime": event_time,
        "eventSource": event_source,
        "eventName": event_name,
        "awsRegion": "us-east-1",
        "sourceIPAddress": source_ip,
        "userAgent": "aws-cli/2.15.0 Python/3.11.6 Linux/5.10.205 exe/x86_64.amzn.2",
        "requestParameters": request,
        "responseElements": response,
        "requestID": f"req-{event_id}",
        "eventID": event_id,
        "readOnly": read_only,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Management",
        "tlsDetails": {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256",
                       "clientProvidedHostHeader": f"{event_source.split('.')[0]}.us-east-1.amazonaws.com"},
    }


def describe_instances(event_time: str, event_id: str) -> dict:
    return api_call("DescribeInstances", "ec2.amazonaws.com", event_time, event_id=event_id,
                    request={"instancesSet": {}, "filterSet": {}}, read_only=True)


def stop_logging(event_time: str, event_id: str, trail: str = "management-trail") -> dict:
    return api_call("StopLogging", "cloudtrail.amazonaws.com", event_time, event_id=event_id,
                    request={"name": f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/{trail}"})


def root_console_login(event_time: str, event_id: str, source_ip: str = "198.51.100.7") -> dict:
    record = api_call("ConsoleLogin", "signin.amazonaws.com", event_time, event_id=event_id,
                      identity=root_identity(), response={"ConsoleLogin": "Success"}, source_ip=source_ip)
    record.update({
        "eventType": "AwsConsoleSignIn",
        "userAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
        "additionalEventData": {"LoginTo": "https://console.aws.amazon.com/console/home", "MobileVersion": "No", "MFAUsed": "No"},
    })
    record.pop("tlsDetails")
    return record


def log_file(records: list[dict]) -> bytes:
    """A CloudTrail log object as trails deliver it: gzip of {"Records": [...]}."""
    return gzip.compress(json.dumps({"Records": copy.deepcopy(records)}).encode())


def write_trail_folder(folder, objects: dict[str, list[dict]]) -> None:
    """Log files under a local folder, keyed as a trail delivers them."""
    for key, records in objects.items():
        path = folder / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(log_file(records))


def trail_key(event_time: str, suffix: str, account: str = ACCOUNT, region: str = "us-east-1") -> str:
    day = event_time[:10].replace("-", "/")
    stamp = event_time[:16].replace("-", "").replace(":", "") + "Z"
    return f"AWSLogs/{account}/CloudTrail/{region}/{day}/{account}_CloudTrail_{region}_{stamp}_{suffix}.json.gz"


# Two objects, one hour: a StopLogging repeated (one alert, one update) and a root console login.
SMALL_TRAIL = {
    trail_key("2025-01-01T12:05:00Z", "AAAA"): [describe_instances("2025-01-01T12:00:00Z", "e1"),
                                                stop_logging("2025-01-01T12:01:00Z", "e2")],
    trail_key("2025-01-01T12:35:00Z", "BBBB"): [stop_logging("2025-01-01T12:30:00Z", "e3"),
                                                root_console_login("2025-01-01T12:31:00Z", "e4")],
}


# An IAM user's console sign-in without MFA, as normalised (p_ fields included).
IAM_USER_CONSOLE_LOGIN = {
    "eventVersion": "1.08",
    "userIdentity": {
        "type": "IAMUser",
        "principalId": "AIDAQ3EGRTCFJ5N4W2XYZ",
        "arn": "arn:aws:iam::123456789012:user/alice",
        "accountId": "123456789012",
        "accessKeyId": "",
        "userName": "alice",
    },
    "eventTime": "2025-03-04T10:12:41Z",
    "eventSource": "signin.amazonaws.com",
    "eventName": "ConsoleLogin",
    "awsRegion": "us-east-1",
    "sourceIPAddress": "198.51.100.23",
    "userAgent": "Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0",
    "requestParameters": None,
    "responseElements": {"ConsoleLogin": "Success"},
    "additionalEventData": {"LoginTo": "https://console.aws.amazon.com/console/home", "MobileVersion": "No", "MFAUsed": "No"},
    "eventID": "3e2f6c38-6d0c-4c1b-9a4e-0f0d3b5a7c21",
    "readOnly": False,
    "eventType": "AwsConsoleSignIn",
    "managementEvent": True,
    "recipientAccountId": "123456789012",
    "eventCategory": "Management",
    "p_log_type": "AWS.CloudTrail",
    "p_event_time": "2025-03-04T10:12:41.000000Z",
    "p_any_ip_addresses": ["198.51.100.23"],
}
