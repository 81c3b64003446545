"""Realistic, deterministic AWS CloudTrail log files for benchmarks, samples and tests.

Writes gzipped ``{"Records": [...]}`` objects under the key layout CloudTrail uses::

    AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/
        <account>_CloudTrail_<region>_YYYYMMDDTHHMMZ_<16 random chars>.json.gz

Each file covers a five-minute delivery window of one account and region, as CloudTrail
delivers them. Records carry the field shapes AWS documents for each service (identity
types, request/response elements, resources, TLS details, errors), about 1.5 KB each on
average. Known attack events can be injected with the exact shapes AWS writes, and
``CloudTrail-Digest`` objects can be added beside the logs. The same seed always gives
byte-identical output.

As a command::

    python -m benchmarks.cloudtrail_gen --out /tmp/trail --events 50000 \\
        --inject root_console_login:3 --inject stop_logging --digests
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import itertools
import random
import string
import sys
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import orjson

DEFAULT_ACCOUNTS = ("111122223333", "444455556666")
DEFAULT_REGIONS = ("us-east-1", "us-west-2", "eu-west-1")
DEFAULT_START = datetime(2025, 1, 1, tzinfo=timezone.utc)
DELIVERY_WINDOW = timedelta(minutes=5)
GLOBAL_REGION = "us-east-1"  # IAM, STS global endpoint and sign-in events land here
TRAIL_NAME = "management-events"

_ALNUM = string.ascii_letters + string.digits
_UPPER_ALNUM = string.ascii_uppercase + string.digits
_B64 = string.ascii_letters + string.digits + "+/"

USER_AGENTS_SDK = (
    "aws-cli/2.15.30 Python/3.11.8 Linux/6.1.79-99.164.amzn2023.x86_64 exe/x86_64.amzn.2023 prompt/off command/s3.cp",
    "aws-cli/2.17.14 Python/3.11.9 Darwin/23.5.0 exe/x86_64 prompt/off command/ec2.describe-instances",
    "Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#5.10.213-201.855.amzn2.x86_64 md/arch#x86_64 "
    "lang/python#3.11.6 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.69",
    "aws-sdk-go-v2/1.25.2 os/linux lang/go#1.21.8 md/GOOS#linux md/GOARCH#amd64 api/sts#1.28.4",
    "aws-sdk-java/2.25.16 Linux/5.10.214-202.855.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.10+7-LTS "
    "Java/17.0.10 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/legacy",
    "APN/1.0 HashiCorp/1.0 Terraform/1.7.5 (+https://www.terraform.io) terraform-provider-aws/5.42.0 "
    "(+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.25.3 os/linux lang/go#1.22.1",
)
USER_AGENT_BROWSER = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
TLS_SUITES = (
    ("TLSv1.3", "TLS_AES_128_GCM_SHA256"),
    ("TLSv1.3", "TLS_AES_256_GCM_SHA384"),
    ("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256"),
)
# Documentation address ranges (RFC 5737) stand in for callers on the internet.
PUBLIC_IPS = tuple(f"{net}.{host}" for net in ("192.0.2", "198.51.100", "203.0.113") for host in (7, 23, 41, 88, 130, 201))
ATTACKER_IP = "203.0.113.66"
ADMIN_POLICY_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"
ALL_USERS_URI = "http://acs.amazonaws.com/groups/global/AllUsers"


def _ct_time(when: datetime) -> str:
    """CloudTrail's eventTime format: whole seconds, UTC, trailing Z."""
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _aws_long_date(when: datetime) -> str:
    """The human date some services put in responseElements ("Jan 1, 2025, 12:00:00 AM")."""
    hour = when.hour % 12 or 12
    return f"{when.strftime('%b')} {when.day}, {when.year}, {hour}:{when.strftime('%M:%S')} {'AM' if when.hour < 12 else 'PM'}"


@dataclass
class Principal:
    """One caller in an account: the userIdentity block plus how it usually calls."""

    identity: dict
    user_agents: tuple[str, ...]
    source_ips: tuple[str, ...]
    session_minute: int = 0  # its role sessions renew hourly at this minute

    def session_start(self, when: datetime) -> datetime:
        """When the session in use at `when` was created: one session per hour, as SDKs refresh them."""
        start = when.replace(minute=self.session_minute, second=0)
        return start if start <= when else start - timedelta(hours=1)

    @property
    def signs_in_to_console(self) -> bool:
        return USER_AGENT_BROWSER in self.user_agents


@dataclass
class AccountCast:
    """The stable set of principals, buckets, keys and functions of one account."""

    account: str
    roles: list[Principal] = field(default_factory=list)
    users: list[Principal] = field(default_factory=list)
    buckets: list[str] = field(default_factory=list)
    kms_keys: list[str] = field(default_factory=list)
    functions: list[str] = field(default_factory=list)
    instances: list[str] = field(default_factory=list)
    security_groups: list[str] = field(default_factory=list)
    detector_id: str = ""


@dataclass(frozen=True)
class FilePlan:
    """One log file to write: which account and region, which window, how many events."""

    account: str
    region: str
    window_start: datetime
    events: int


@dataclass(frozen=True)
class WrittenTrail:
    """What `write_trail` produced."""

    log_files: list[Path]
    digest_files: list[Path]
    events: int
    injected: dict[str, int]
    uncompressed_bytes: int


class CloudTrailGenerator:
    """Builds CloudTrail records from a seeded random source; same seed, same records."""

    def __init__(self, seed: int = 0, accounts: Sequence[str] = DEFAULT_ACCOUNTS) -> None:
        self.rng = random.Random(seed)
        self.accounts = list(accounts)
        self.casts = {account: self._make_cast(account) for account in self.accounts}
        background: list[tuple[float, Callable[[AccountCast, str, datetime], dict], bool]] = [
            # (weight, maker, logged only in us-east-1 as a global service event)
            (16.0, self._s3_get_object, False),
            (6.0, self._s3_put_object, False),
            (3.0, self._s3_head_object, False),
            (9.0, self._sts_assume_role, False),
            (6.0, self._sts_get_caller_identity, False),
            (9.0, self._kms_decrypt, False),
            (4.0, self._kms_generate_data_key, False),
            (12.0, self._ec2_describe, False),
            (5.0, self._iam_read, True),
            (6.0, self._lambda_invoke, False),
            (4.0, self._logs_call, False),
            (5.0, self._ssm_call, False),
            (0.4, self._console_login_with_mfa, True),
        ]
        self._makers = {
            in_global_region: (
                [maker for _, maker, is_global in background if in_global_region or not is_global],
                list(itertools.accumulate(w for w, _, is_global in background if in_global_region or not is_global)),
            )
            for in_global_region in (True, False)
        }

    # ----------------------------------------------------------------- random pieces
    def _chars(self, alphabet: str, length: int) -> str:
        return "".join(self.rng.choices(alphabet, k=length))

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _hex(self, length: int) -> str:
        return f"{self.rng.getrandbits(length * 4):0{length}x}"

    def _request_id(self) -> str:
        return self._uuid()

    def _s3_request_id(self) -> str:
        return self._chars(_UPPER_ALNUM, 16)

    def _key_id(self, prefix: str) -> str:
        return prefix + self._chars(_UPPER_ALNUM, 16)

    def _tls(self, host: str) -> dict:
        version, suite = self.rng.choice(TLS_SUITES)
        return {"tlsVersion": version, "cipherSuite": suite, "clientProvidedHostHeader": host}

    # ----------------------------------------------------------------- the cast
    def _make_cast(self, account: str) -> AccountCast:
        cast = AccountCast(account=account)
        cli, cli_mac, boto3, go, java, terraform = USER_AGENTS_SDK
        role_specs = (  # role, session name, clients it uses, calls from inside the VPC
            ("AWSReservedSSO_AdministratorAccess_6a1b2c3d4e5f6a7b", "alice@example.com", (USER_AGENT_BROWSER, cli_mac), False),
            ("AWSReservedSSO_ReadOnlyAccess_0f9e8d7c6b5a4f3e", "bob@example.com", (USER_AGENT_BROWSER,), False),
            ("github-actions-deploy", "GitHubActions", (terraform, cli), False),
            ("orders-processor-lambda-role", "orders-processor", (boto3,), False),
            ("eks-node-group-NodeInstanceRole-1KX0EXAMPLE", "i-0a1b2c3d4e5f60718", (go, java), True),
            ("app-server-instance-role", "i-0f1e2d3c4b5a69788", (java, boto3), True),
        )
        for role_name, session, agents, in_vpc in role_specs:
            role_id = self._key_id("AROA")
            identity = {
                "type": "AssumedRole",
                "principalId": f"{role_id}:{session}",
                "arn": f"arn:aws:sts::{account}:assumed-role/{role_name}/{session}",
                "accountId": account,
                "accessKeyId": self._key_id("ASIA"),
                "sessionContext": {
                    "sessionIssuer": {
                        "type": "Role",
                        "principalId": role_id,
                        "arn": f"arn:aws:iam::{account}:role/"
                        + ("aws-reserved/sso.amazonaws.com/" if role_name.startswith("AWSReservedSSO") else "")
                        + role_name,
                        "accountId": account,
                        "userName": role_name,
                    },
                    "webIdFederationData": {},
                    "attributes": {"creationDate": "", "mfaAuthenticated": "false"},
                },
            }
            if session.startswith("i-"):
                identity["sessionContext"]["ec2RoleDelivery"] = "2.0"
            if in_vpc:
                ips = (f"10.0.{self.rng.randint(1, 60)}.{self.rng.randint(2, 250)}",)
            else:
                ips = tuple(self.rng.sample(PUBLIC_IPS, 3))
            cast.roles.append(Principal(identity, agents, ips, self.rng.randrange(60)))
        for user_name, agents in (("terraform-ci", (terraform,)), ("backup-exporter", (cli,)), ("carol.admin", (USER_AGENT_BROWSER, cli_mac))):
            identity = {
                "type": "IAMUser",
                "principalId": self._key_id("AIDA"),
                "arn": f"arn:aws:iam::{account}:user/{user_name}",
                "accountId": account,
                "accessKeyId": self._key_id("AKIA"),
                "userName": user_name,
            }
            cast.users.append(Principal(identity, agents, tuple(self.rng.sample(PUBLIC_IPS, 2))))
        cast.buckets = [f"{name}-{account}" for name in ("orders-data", "analytics-raw", "app-assets", "terraform-state")]
        cast.kms_keys = [self._uuid() for _ in range(3)]
        cast.functions = ["orders-processor", "thumbnail-resizer", "nightly-report"]
        cast.instances = [f"i-0{self._hex(16)}" for _ in range(5)]
        cast.security_groups = [f"sg-0{self._hex(16)}" for _ in range(4)]
        cast.detector_id = self._hex(32)
        return cast

    def _caller(self, cast: AccountCast, when: datetime, kinds: str = "roles+users") -> tuple[Principal, dict]:
        """A principal of the account and its userIdentity as of `when` (a fresh dict)."""
        pool = cast.roles + cast.users if kinds == "roles+users" else cast.roles
        principal = self.rng.choice(pool)
        return principal, self._identity_at(principal, principal.session_start(when))

    @staticmethod
    def _identity_at(principal: Principal, session_created: datetime) -> dict:
        identity = dict(principal.identity)
        if "sessionContext" in identity:
            context = dict(identity["sessionContext"])
            context["attributes"] = dict(context["attributes"], creationDate=_ct_time(session_created))
            identity["sessionContext"] = context
        return identity

    # ----------------------------------------------------------------- record skeleton
    def _record(
        self,
        account: str,
        identity: dict,
        when: datetime,
        region: str,
        source: str,
        name: str,
        *,
        source_ip: str,
        user_agent: str,
        read_only: bool,
        request: dict | None,
        response: dict | None = None,
        additional: dict | None = None,
        resources: list[dict] | None = None,
        data_event: bool = False,
        tls: dict | None = None,
        extra: Mapping[str, object] | None = None,
    ) -> dict:
        """A record with CloudTrail's fields in the order AWS writes them."""
        record: dict = {
            "eventVersion": "1.10" if data_event else "1.09",
            "userIdentity": identity,
            "eventTime": _ct_time(when),
            "eventSource": source,
            "eventName": name,
            "awsRegion": region,
            "sourceIPAddress": source_ip,
            "userAgent": user_agent,
            "requestParameters": request,
            "responseElements": response,
        }
        if additional is not None:
            record["additionalEventData"] = additional
        record["requestID"] = self._s3_request_id() if source == "s3.amazonaws.com" else self._request_id()
        record["eventID"] = self._uuid()
        record["readOnly"] = read_only
        if resources:
            record["resources"] = resources
        record["eventType"] = "AwsApiCall"
        record["managementEvent"] = not data_event
        record["recipientAccountId"] = account
        if extra:
            record.update(extra)
        record["eventCategory"] = "Data" if data_event else "Management"
        if tls is not None:
            record["tlsDetails"] = tls
        return record

    def _call(
        self, cast: AccountCast, principal: Principal, identity: dict, when: datetime, region: str,
        source: str, name: str, *, host: str | None = None, **fields,
    ) -> dict:
        """A call a principal made over the public endpoint (its IP, its client, TLS)."""
        return self._record(
            cast.account, identity, when, region, source, name,
            source_ip=self.rng.choice(principal.source_ips),
            user_agent=self.rng.choice(principal.user_agents),
            tls=self._tls(host or f"{source.split('.')[0]}.{region}.amazonaws.com"),
            **fields,
        )

    def _maybe_error(self, record: dict, service_action: str, s3_style: bool = False) -> dict:
        """Turn about 3% of calls into the failures CloudTrail records (errors follow userAgent)."""
        roll = self.rng.random()
        if roll >= 0.032:
            return record
        if roll < 0.025:
            if s3_style:
                code, message = "AccessDenied", "Access Denied"
            else:
                code = "Client.UnauthorizedOperation" if record["eventSource"] == "ec2.amazonaws.com" else "AccessDenied"
                message = (
                    f"User: {record['userIdentity'].get('arn')} is not authorized to perform: {service_action} "
                    "because no identity-based policy allows the action"
                )
        else:
            code, message = ("SlowDown", "Please reduce your request rate.") if s3_style else (
                "ThrottlingException", "Rate exceeded")
        reordered: dict = {}
        for key, value in record.items():
            reordered[key] = value
            if key == "userAgent":
                reordered["errorCode"] = code
                reordered["errorMessage"] = message
        reordered["responseElements"] = None
        reordered.pop("additionalEventData", None) if not s3_style else None
        return reordered

    # ----------------------------------------------------------------- background events
    def _s3_object_event(self, cast: AccountCast, region: str, when: datetime, name: str) -> dict:
        principal, identity = self._caller(cast, when)
        bucket = self.rng.choice(cast.buckets)
        key = "/".join(
            (
                self.rng.choice(("incoming", "processed", "exports", "static/img", "reports/daily")),
                when.strftime("%Y/%m/%d"),
                f"{self._hex(12)}.{self.rng.choice(('json', 'parquet', 'csv.gz', 'png'))}",
            )
        )
        host = f"{bucket}.s3.{region}.amazonaws.com"
        tls = self._tls(host)
        size = float(self.rng.randint(200, 4_000_000))
        response = None
        additional = {"SignatureVersion": "SigV4", "CipherSuite": tls["cipherSuite"],
                      "bytesTransferredIn": size if name == "PutObject" else 0.0}
        if name == "PutObject":
            response = {
                "x-amz-server-side-encryption": "aws:kms",
                "x-amz-server-side-encryption-aws-kms-key-id": f"arn:aws:kms:{region}:{cast.account}:key/{cast.kms_keys[0]}",
                "x-amz-version-id": self._chars(_ALNUM + "._", 32),
            }
            additional["SSEApplied"] = "SSE_KMS"
        additional |= {"AuthenticationMethod": "AuthHeader", "x-amz-id-2": self._chars(_B64, 76),
                       "bytesTransferredOut": size if name == "GetObject" else 0.0}
        source_ip = self.rng.choice(principal.source_ips)
        in_vpc = source_ip.startswith("10.")
        record = self._record(
            cast.account, identity, when, region, "s3.amazonaws.com", name,
            source_ip=source_ip,
            user_agent=self.rng.choice(principal.user_agents),
            read_only=name != "PutObject",
            request={"bucketName": bucket, "Host": host, "key": key},
            response=response,
            additional=additional,
            resources=[
                {"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::{bucket}/{key}"},
                {"accountId": cast.account, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}"},
            ],
            data_event=True,
            tls=tls,
            extra={"vpcEndpointId": "vpce-0a1b2c3d4e5f60718", "vpcEndpointAccountId": cast.account} if in_vpc else None,
        )
        return self._maybe_error(record, f"s3:{name}", s3_style=True)

    def _s3_get_object(self, cast: AccountCast, region: str, when: datetime) -> dict:
        return self._s3_object_event(cast, region, when, "GetObject")

    def _s3_put_object(self, cast: AccountCast, region: str, when: datetime) -> dict:
        return self._s3_object_event(cast, region, when, "PutObject")

    def _s3_head_object(self, cast: AccountCast, region: str, when: datetime) -> dict:
        return self._s3_object_event(cast, region, when, "HeadObject")

    def _sts_assume_role(self, cast: AccountCast, region: str, when: datetime) -> dict:
        target = self.rng.choice(cast.roles[2:])
        issuer = target.identity["sessionContext"]["sessionIssuer"]
        session_name = target.identity["arn"].rsplit("/", 1)[1]
        fields = dict(
            read_only=True,
            request={"roleArn": issuer["arn"], "roleSessionName": session_name, "durationSeconds": 3600},
            response={
                "credentials": {
                    "accessKeyId": self._key_id("ASIA"),
                    "sessionToken": self._chars(_B64, self.rng.randint(560, 900)) + "=",
                    "expiration": _aws_long_date(when + timedelta(hours=1)),
                },
                "assumedRoleUser": {"assumedRoleId": f"{issuer['principalId']}:{session_name}", "arn": target.identity["arn"]},
            },
            resources=[{"accountId": cast.account, "type": "AWS::IAM::Role", "ARN": issuer["arn"]}],
        )
        if self.rng.random() < 0.5:  # a service assuming its execution role
            service = "lambda.amazonaws.com" if "lambda" in issuer["userName"] else "ec2.amazonaws.com"
            record = self._record(
                cast.account, {"type": "AWSService", "invokedBy": service}, when, region, "sts.amazonaws.com",
                "AssumeRole", source_ip=service, user_agent=service, extra={"sharedEventID": self._uuid()}, **fields,
            )
        else:
            principal, identity = self._caller(cast, when)
            record = self._call(cast, principal, identity, when, region, "sts.amazonaws.com", "AssumeRole", **fields)
        return self._maybe_error(record, "sts:AssumeRole")

    def _sts_get_caller_identity(self, cast: AccountCast, region: str, when: datetime) -> dict:
        principal, identity = self._caller(cast, when)
        return self._call(cast, principal, identity, when, region, "sts.amazonaws.com", "GetCallerIdentity",
                          read_only=True, request=None)

    def _kms_event(self, cast: AccountCast, region: str, when: datetime, name: str) -> dict:
        key_arn = f"arn:aws:kms:{region}:{cast.account}:key/{self.rng.choice(cast.kms_keys)}"
        resources = [{"accountId": cast.account, "type": "AWS::KMS::Key", "ARN": key_arn}]
        principal, identity = self._caller(cast, when, kinds="roles")
        if self.rng.random() < 0.6:  # S3 calling KMS on the caller's behalf (SSE-KMS)
            context = {"aws:s3:arn": f"arn:aws:s3:::{self.rng.choice(cast.buckets)}/incoming/{self._hex(12)}.json"}
        else:
            context = {"aws:lambda:FunctionArn": f"arn:aws:lambda:{region}:{cast.account}:function:"
                                                 f"{self.rng.choice(cast.functions)}"}
        if name == "GenerateDataKey":
            request = {"keyId": key_arn, "encryptionContext": context, "keySpec": "AES_256"}
        else:
            request = {"encryptionContext": context, "encryptionAlgorithm": "SYMMETRIC_DEFAULT"}
        if "aws:s3:arn" in context:
            record = self._record(
                cast.account, dict(identity, invokedBy="s3.amazonaws.com"), when, region, "kms.amazonaws.com", name,
                source_ip="s3.amazonaws.com", user_agent="s3.amazonaws.com", read_only=True, request=request,
                resources=resources,
            )
        else:
            record = self._call(cast, principal, identity, when, region, "kms.amazonaws.com", name,
                                read_only=True, request=request, resources=resources)
        return self._maybe_error(record, f"kms:{name}")

    def _kms_decrypt(self, cast: AccountCast, region: str, when: datetime) -> dict:
        return self._kms_event(cast, region, when, "Decrypt")

    def _kms_generate_data_key(self, cast: AccountCast, region: str, when: datetime) -> dict:
        return self._kms_event(cast, region, when, "GenerateDataKey")

    def _ec2_describe(self, cast: AccountCast, region: str, when: datetime) -> dict:
        principal, identity = self._caller(cast, when)
        name = self.rng.choice(
            ("DescribeInstances", "DescribeSecurityGroups", "DescribeVolumes", "DescribeSubnets",
             "DescribeNetworkInterfaces", "DescribeInstanceStatus")
        )
        filters = [{"name": "vpc-id", "valueSet": {"items": [{"value": f"vpc-0{self._hex(16)}"}]}}]
        if self.rng.random() < 0.5:
            filters.append({"name": "tag:Environment", "valueSet": {"items": [{"value": "production"}]}})
        request: dict
        if name == "DescribeInstances":
            request = {"instancesSet": {"items": [{"instanceId": i} for i in self.rng.sample(cast.instances, 2)]},
                       "filterSet": {"items": filters}}
        elif name == "DescribeSecurityGroups":
            request = {"securityGroupSet": {}, "securityGroupIdSet": {"items": [{"groupId": cast.security_groups[0]}]},
                       "filterSet": {"items": filters}}
        elif name == "DescribeInstanceStatus":
            request = {"instancesSet": {}, "filterSet": {}, "includeAllInstances": False, "maxResults": 1000}
        else:
            request = {"filterSet": {"items": filters}, "maxResults": 500}
        record = self._call(cast, principal, identity, when, region, "ec2.amazonaws.com", name,
                            read_only=True, request=request)
        return self._maybe_error(record, f"ec2:{name}")

    def _iam_read(self, cast: AccountCast, _region: str, when: datetime) -> dict:
        principal, identity = self._caller(cast, when)
        role = self.rng.choice(cast.roles).identity["sessionContext"]["sessionIssuer"]["userName"]
        name, request = self.rng.choice(
            (
                ("ListRoles", {"maxItems": 1000}),
                ("GetRole", {"roleName": role}),
                ("ListAttachedRolePolicies", {"roleName": role}),
                ("GetPolicy", {"policyArn": f"arn:aws:iam::{cast.account}:policy/{role}-inline-access"}),
                ("ListPolicies", {"scope": "Local", "onlyAttached": False, "maxItems": 100}),
                ("GetAccountSummary", None),
                ("ListUsers", None),
            )
        )
        record = self._call(cast, principal, identity, when, GLOBAL_REGION, "iam.amazonaws.com", name,
                            host="iam.amazonaws.com", read_only=True, request=request)
        return self._maybe_error(record, f"iam:{name}")

    def _lambda_invoke(self, cast: AccountCast, region: str, when: datetime) -> dict:
        principal, identity = self._caller(cast, when, kinds="roles")
        function_arn = f"arn:aws:lambda:{region}:{cast.account}:function:{self.rng.choice(cast.functions)}"
        record = self._call(
            cast, principal, identity, when, region, "lambda.amazonaws.com", "Invoke",
            read_only=False,
            request={"functionName": function_arn, "invocationType": self.rng.choice(("RequestResponse", "Event"))},
            additional={"functionVersion": f"{function_arn}:$LATEST"},
            resources=[{"accountId": cast.account, "type": "AWS::Lambda::Function", "ARN": function_arn}],
            data_event=True,
        )
        return self._maybe_error(record, "lambda:InvokeFunction")

    def _logs_call(self, cast: AccountCast, region: str, when: datetime) -> dict:
        principal, identity = self._caller(cast, when)
        group = f"/aws/lambda/{self.rng.choice(cast.functions)}"
        stream = f"{when.strftime('%Y/%m/%d')}/[$LATEST]{self._hex(32)}"
        name, request, read_only = self.rng.choice(
            (
                ("CreateLogStream", {"logGroupName": group, "logStreamName": stream}, False),
                ("DescribeLogStreams", {"logGroupName": group, "orderBy": "LastEventTime", "descending": True}, True),
                ("FilterLogEvents", {"logGroupName": group, "startTime": 1735689600000, "filterPattern": "ERROR",
                                     "interleaved": True}, True),
                ("DescribeLogGroups", {"logGroupNamePrefix": "/aws/lambda/"}, True),
            )
        )
        record = self._call(cast, principal, identity, when, region, "logs.amazonaws.com", name,
                            read_only=read_only, request=request)
        return self._maybe_error(record, f"logs:{name}")

    def _ssm_call(self, cast: AccountCast, region: str, when: datetime) -> dict:
        principal, identity = self._caller(cast, when, kinds="roles")
        name = self.rng.choice(("GetParameter", "GetParameters", "UpdateInstanceInformation", "DescribeInstanceInformation"))
        instance = self.rng.choice(cast.instances)
        if name == "GetParameter":
            request = {"name": f"/orders/prod/{self.rng.choice(('db-password', 'api-key', 'feature-flags'))}",
                       "withDecryption": True}
        elif name == "GetParameters":
            request = {"names": [f"/orders/prod/{p}" for p in ("db-host", "db-user", "db-password")], "withDecryption": True}
        elif name == "UpdateInstanceInformation":
            octets = (self.rng.randint(1, 60), self.rng.randint(2, 250))
            request = {"instanceId": instance, "agentVersion": "3.3.380.0", "agentStatus": "Active",
                       "platformType": "Linux", "platformName": "Amazon Linux", "platformVersion": "2023",
                       "iPAddress": f"10.0.{octets[0]}.{octets[1]}",
                       "computerName": f"ip-10-0-{octets[0]}-{octets[1]}.ec2.internal",
                       "agentName": "amazon-ssm-agent", "availabilityZone": f"{region}a"}
        else:
            request = {"filters": [{"key": "InstanceIds", "values": [instance]}], "maxResults": 50}
        record = self._call(cast, principal, identity, when, region, "ssm.amazonaws.com", name,
                            read_only=name != "UpdateInstanceInformation", request=request)
        return self._maybe_error(record, f"ssm:{name}")

    def _console_login(self, identity: dict, when: datetime, source_ip: str, mfa: bool, account: str) -> dict:
        additional = {"LoginTo": "https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true",
                      "MobileVersion": "No", "MFAUsed": "Yes" if mfa else "No"}
        if mfa:
            device = "root-account-mfa-device" if identity["type"] == "Root" else identity["userName"]
            additional["MFAIdentifier"] = f"arn:aws:iam::{account}:mfa/{device}"
        record = self._record(
            account, identity, when, GLOBAL_REGION, "signin.amazonaws.com", "ConsoleLogin",
            source_ip=source_ip, user_agent=USER_AGENT_BROWSER, read_only=False, request=None,
            response={"ConsoleLogin": "Success"}, additional=additional, tls=self._tls("signin.aws.amazon.com"),
        )
        del record["requestID"]  # sign-in events carry no requestID
        record["eventType"] = "AwsConsoleSignIn"
        return record

    def _console_user_identity(self, account: str) -> tuple[Principal, dict]:
        user = next(u for u in self.casts[account].users if u.signs_in_to_console)
        return user, {k: v for k, v in user.identity.items() if k != "accessKeyId"}

    def _console_login_with_mfa(self, cast: AccountCast, _region: str, when: datetime) -> dict:
        user, identity = self._console_user_identity(cast.account)
        return self._console_login(identity, when, self.rng.choice(user.source_ips), True, cast.account)

    def background_event(self, account: str, region: str, when: datetime) -> dict:
        """One ordinary event, drawn from a realistic mix of services and callers."""
        makers, cum_weights = self._makers[region == GLOBAL_REGION]
        maker = self.rng.choices(makers, cum_weights=cum_weights)[0]
        return maker(self.casts[account], region, when)

    # ----------------------------------------------------------------- attack events
    def _attacker_call(self, account: str, when: datetime, region: str, source: str, name: str, **fields) -> dict:
        """A write call by the SSO administrator session, from an address the account has not seen."""
        admin = self.casts[account].roles[0]
        identity = self._identity_at(admin, when.replace(minute=0, second=0) - timedelta(minutes=12))
        return self._record(
            account, identity, when, region, source, name, source_ip=ATTACKER_IP,
            user_agent=USER_AGENTS_SDK[1], read_only=False,
            tls=self._tls(fields.pop("host", None) or f"{source.split('.')[0]}.{region}.amazonaws.com"), **fields,
        )

    def _attack_root_console_login(self, account: str, region: str, when: datetime) -> dict:
        identity = {"type": "Root", "principalId": account, "arn": f"arn:aws:iam::{account}:root",
                    "accountId": account, "accessKeyId": ""}
        return self._console_login(identity, when, ATTACKER_IP, True, account)

    def _attack_console_login_without_mfa(self, account: str, region: str, when: datetime) -> dict:
        _, identity = self._console_user_identity(account)
        return self._console_login(identity, when, ATTACKER_IP, False, account)

    def _cloudtrail_change(self, account: str, region: str, when: datetime, name: str) -> dict:
        trail_arn = f"arn:aws:cloudtrail:{region}:{account}:trail/{TRAIL_NAME}"
        return self._attacker_call(
            account, when, region, "cloudtrail.amazonaws.com", name, request={"name": trail_arn}, response=None,
            resources=[{"accountId": account, "type": "AWS::CloudTrail::Trail", "ARN": trail_arn}],
        )

    def _attack_stop_logging(self, account: str, region: str, when: datetime) -> dict:
        return self._cloudtrail_change(account, region, when, "StopLogging")

    def _attack_delete_trail(self, account: str, region: str, when: datetime) -> dict:
        return self._cloudtrail_change(account, region, when, "DeleteTrail")

    def _attack_guardduty_delete_detector(self, account: str, region: str, when: datetime) -> dict:
        detector = self.casts[account].detector_id
        return self._attacker_call(
            account, when, region, "guardduty.amazonaws.com", "DeleteDetector",
            request={"detectorId": detector}, response=None,
            resources=[{"accountId": account, "type": "AWS::GuardDuty::Detector",
                        "ARN": f"arn:aws:guardduty:{region}:{account}:detector/{detector}"}],
        )

    def _attack_attach_admin_policy(self, account: str, region: str, when: datetime) -> dict:
        return self._attacker_call(
            account, when, GLOBAL_REGION, "iam.amazonaws.com", "AttachUserPolicy", host="iam.amazonaws.com",
            request={"userName": "backup-exporter", "policyArn": ADMIN_POLICY_ARN}, response=None,
        )

    def _attack_root_create_access_key(self, account: str, region: str, when: datetime) -> dict:
        identity = {
            "type": "Root", "principalId": account, "arn": f"arn:aws:iam::{account}:root", "accountId": account,
            "accessKeyId": self._key_id("ASIA"),
            "sessionContext": {"attributes": {"creationDate": _ct_time(when - timedelta(minutes=3)),
                                              "mfaAuthenticated": "true"}},
        }
        return self._record(
            account, identity, when, GLOBAL_REGION, "iam.amazonaws.com", "CreateAccessKey",
            source_ip=ATTACKER_IP, user_agent="AWS Internal", read_only=False, request=None,
            response={"accessKey": {"accessKeyId": self._key_id("AKIA"), "status": "Active",
                                    "createDate": _aws_long_date(when)}},
            extra={"sessionCredentialFromConsole": "true"}, tls=self._tls("iam.amazonaws.com"),
        )

    def _s3_bucket_change(self, account: str, region: str, when: datetime, name: str, request: dict) -> dict:
        bucket = request["bucketName"]
        return self._attacker_call(
            account, when, region, "s3.amazonaws.com", name, host=request["Host"], request=request, response=None,
            additional={"SignatureVersion": "SigV4", "CipherSuite": "TLS_AES_128_GCM_SHA256",
                        "bytesTransferredIn": 0.0, "AuthenticationMethod": "AuthHeader",
                        "x-amz-id-2": self._chars(_B64, 76), "bytesTransferredOut": 0.0},
            resources=[{"accountId": account, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}"}],
        )

    def _attack_s3_bucket_policy_public(self, account: str, region: str, when: datetime) -> dict:
        bucket = self.casts[account].buckets[2]
        policy = {
            "Version": "2012-10-17",
            "Statement": [{"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                           "Resource": f"arn:aws:s3:::{bucket}/*"}],
        }
        return self._s3_bucket_change(account, region, when, "PutBucketPolicy", {
            "bucketPolicy": policy, "bucketName": bucket, "Host": f"{bucket}.s3.{region}.amazonaws.com", "policy": "",
        })

    def _attack_s3_bucket_acl_public(self, account: str, region: str, when: datetime) -> dict:
        bucket = self.casts[account].buckets[1]
        owner = self._hex(64)
        xsi = "http://www.w3.org/2001/XMLSchema-instance"
        acl = {
            "AccessControlList": {"Grant": [
                {"Grantee": {"xsi:type": "CanonicalUser", "xmlns:xsi": xsi, "ID": owner}, "Permission": "FULL_CONTROL"},
                {"Grantee": {"xsi:type": "Group", "xmlns:xsi": xsi, "URI": ALL_USERS_URI}, "Permission": "READ"},
            ]},
            "xmlns": "http://s3.amazonaws.com/doc/2006-03-01/",
            "Owner": {"ID": owner},
        }
        return self._s3_bucket_change(account, region, when, "PutBucketAcl", {
            "bucketName": bucket, "Host": f"{bucket}.s3.{region}.amazonaws.com", "acl": "", "AccessControlPolicy": acl,
        })

    def _attack_security_group_open_world(self, account: str, region: str, when: datetime) -> dict:
        group = self.casts[account].security_groups[0]
        return self._attacker_call(
            account, when, region, "ec2.amazonaws.com", "AuthorizeSecurityGroupIngress",
            request={"groupId": group, "ipPermissions": {"items": [{
                "ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "groups": {},
                "ipRanges": {"items": [{"cidrIp": "0.0.0.0/0", "description": "temp debug"}]},
                "ipv6Ranges": {}, "prefixListIds": {}}]}},
            response={"requestId": self._uuid(), "_return": True, "securityGroupRuleSet": {"items": [{
                "groupOwnerId": account, "groupId": group, "securityGroupRuleId": f"sgr-0{self._hex(16)}",
                "isEgress": False, "ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "cidrIpv4": "0.0.0.0/0",
                "description": "temp debug"}]}},
        )

    def _attack_kms_schedule_key_deletion(self, account: str, region: str, when: datetime) -> dict:
        key_id = self.casts[account].kms_keys[0]
        key_arn = f"arn:aws:kms:{region}:{account}:key/{key_id}"
        return self._attacker_call(
            account, when, region, "kms.amazonaws.com", "ScheduleKeyDeletion",
            request={"keyId": key_id, "pendingWindowInDays": 7},
            response={"keyId": key_arn, "deletionDate": _aws_long_date(when + timedelta(days=7)),
                      "keyState": "PendingDeletion", "pendingWindowInDays": 7},
            resources=[{"accountId": account, "type": "AWS::KMS::Key", "ARN": key_arn}],
        )

    def attack_event(self, kind: str, account: str, region: str, when: datetime) -> dict:
        """One attack event of a kind in `ATTACK_KINDS`, shaped as AWS writes it."""
        if kind not in ATTACK_KINDS:
            raise ValueError(f"unknown attack kind {kind!r}; known: {', '.join(ATTACK_KINDS)}")
        return getattr(self, f"_attack_{kind}")(account, region, when)

    # ----------------------------------------------------------------- files
    def plan_files(
        self, total_events: int, events_per_file: int, regions: Sequence[str], start: datetime, hours: float
    ) -> list[FilePlan]:
        """Split `total_events` into files of about `events_per_file`, spread over accounts, regions and time."""
        streams = [(account, region) for account in self.accounts for region in regions]
        sizes: list[int] = []
        remaining = total_events
        while remaining > 0:
            sizes.append(min(remaining, self.rng.randint(events_per_file * 3 // 4, events_per_file * 5 // 4) or 1))
            remaining -= sizes[-1]
        slots = max(1, int(timedelta(hours=hours) / DELIVERY_WINDOW))
        files_per_stream = -(-len(sizes) // len(streams))
        plans: list[FilePlan] = []
        for index, count in enumerate(sizes):
            account, region = streams[index % len(streams)]
            # each stream's files spread evenly over the span, with some jitter
            slot = (index // len(streams)) * slots // files_per_stream
            slot += self.rng.randrange(max(1, slots // files_per_stream))
            plans.append(FilePlan(account, region, start + min(slot, slots - 1) * DELIVERY_WINDOW, count))
        return plans

    def file_records(self, plan: FilePlan) -> list[dict]:
        """Background records for one planned file, in event-time order as CloudTrail mostly writes them."""
        offsets = sorted(self.rng.random() * DELIVERY_WINDOW.total_seconds() for _ in range(plan.events))
        return [
            self.background_event(plan.account, plan.region, plan.window_start + timedelta(seconds=offset))
            for offset in offsets
        ]

    def log_key(self, plan: FilePlan) -> str:
        """The object key CloudTrail would deliver this file under."""
        delivered = plan.window_start + DELIVERY_WINDOW + timedelta(minutes=self.rng.randint(0, 9))
        return (
            f"AWSLogs/{plan.account}/CloudTrail/{plan.region}/{delivered:%Y/%m/%d}/"
            f"{plan.account}_CloudTrail_{plan.region}_{delivered:%Y%m%dT%H%M}Z_{self._chars(_ALNUM, 16)}.json.gz"
        )


ATTACK_KINDS = (
    "root_console_login",
    "console_login_without_mfa",
    "stop_logging",
    "delete_trail",
    "guardduty_delete_detector",
    "attach_admin_policy",
    "root_create_access_key",
    "s3_bucket_policy_public",
    "s3_bucket_acl_public",
    "security_group_open_world",
    "kms_schedule_key_deletion",
)
# Events that CloudTrail logs in us-east-1 whatever region the caller used.
_GLOBAL_ATTACKS = {"root_console_login", "console_login_without_mfa", "attach_admin_policy", "root_create_access_key"}


def _digest_document(account: str, region: str, start: datetime, end: datetime,
                     files: Sequence[tuple[str, bytes, list[dict]]], bucket: str) -> dict:
    """A CloudTrail-Digest body listing the hourly log files it covers."""
    times = [r["eventTime"] for _, _, records in files for r in records]
    return {
        "awsAccountId": account,
        "digestStartTime": _ct_time(start),
        "digestEndTime": _ct_time(end),
        "digestS3Bucket": bucket,
        "digestS3Object": "",
        "digestPublicKeyFingerprint": hashlib.md5(account.encode()).hexdigest(),
        "digestSignatureAlgorithm": "SHA256withRSA",
        "newestEventTime": max(times) if times else None,
        "oldestEventTime": min(times) if times else None,
        "previousDigestS3Bucket": None,
        "previousDigestS3Object": None,
        "previousDigestHashValue": None,
        "previousDigestHashAlgorithm": None,
        "previousDigestSignature": None,
        "logFiles": [
            {
                "s3Bucket": bucket,
                "s3Object": key,
                "hashValue": hashlib.sha256(gzip.decompress(body)).hexdigest(),
                "hashAlgorithm": "SHA-256",
                "newestEventTime": max(r["eventTime"] for r in records),
                "oldestEventTime": min(r["eventTime"] for r in records),
            }
            for key, body, records in files
        ],
    }


def write_trail(
    out_dir: Path | str,
    total_events: int,
    *,
    seed: int = 0,
    events_per_file: int = 400,
    accounts: Sequence[str] = DEFAULT_ACCOUNTS,
    regions: Sequence[str] = DEFAULT_REGIONS,
    start: datetime = DEFAULT_START,
    hours: float = 24.0,
    attacks: Mapping[str, int] | None = None,
    digests: bool = False,
    bucket: str = "org-cloudtrail-logs",
) -> WrittenTrail:
    """Write a CloudTrail bucket's worth of log files (and optional digests) under `out_dir`.

    `attacks` maps an attack kind to how many times it happens; the repeats of one kind
    go into the same file, minutes apart, by the same actor, so a deduplicating detector
    sees one incident with a count. Injected events add to `total_events`.
    """
    out = Path(out_dir)
    gen = CloudTrailGenerator(seed, accounts)
    plans = gen.plan_files(total_events, events_per_file, regions, start, hours)
    injections: dict[int, list[tuple[str, int]]] = {}
    for kind, count in (attacks or {}).items():
        if kind not in ATTACK_KINDS:
            raise ValueError(f"unknown attack kind {kind!r}; known: {', '.join(ATTACK_KINDS)}")
        wanted_region = GLOBAL_REGION if kind in _GLOBAL_ATTACKS else None
        candidates = [i for i, p in enumerate(plans) if wanted_region in (None, p.region)] or list(range(len(plans)))
        injections.setdefault(gen.rng.choice(candidates), []).append((kind, count))

    log_files: list[Path] = []
    digest_inputs: dict[tuple[str, str, datetime], list[tuple[str, bytes, list[dict]]]] = {}
    events = 0
    raw_bytes = 0
    for index, plan in enumerate(plans):
        records = gen.file_records(plan)
        for kind, count in injections.get(index, []):
            for repeat in range(count):
                when = plan.window_start + timedelta(seconds=20 + repeat * 250 / max(count, 1))
                position = gen.rng.randint(0, len(records))
                records.insert(position, gen.attack_event(kind, plan.account, plan.region, when))
        key = gen.log_key(plan)
        body_json = orjson.dumps({"Records": records})
        body = gzip.compress(body_json, compresslevel=6, mtime=0)
        path = out / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        log_files.append(path)
        events += len(records)
        raw_bytes += len(body_json)
        if digests:
            hour = plan.window_start.replace(minute=0, second=0)
            digest_inputs.setdefault((plan.account, plan.region, hour), []).append((key, body, records))

    digest_files: list[Path] = []
    for (account, region, hour), files in sorted(digest_inputs.items()):
        end = hour + timedelta(hours=1)
        key = (
            f"AWSLogs/{account}/CloudTrail-Digest/{region}/{end:%Y/%m/%d}/"
            f"{account}_CloudTrail-Digest_{region}_{TRAIL_NAME}_{region}_{end:%Y%m%dT%H%M%S}Z.json.gz"
        )
        document = _digest_document(account, region, hour, end, files, bucket)
        document["digestS3Object"] = key
        path = out / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(gzip.compress(orjson.dumps(document), mtime=0))
        digest_files.append(path)
    return WrittenTrail(log_files, digest_files, events, dict(attacks or {}), raw_bytes)


def _parse_injection(text: str) -> tuple[str, int]:
    kind, _, count = text.partition(":")
    if kind not in ATTACK_KINDS:
        raise argparse.ArgumentTypeError(f"unknown attack kind {kind!r}; known: {', '.join(ATTACK_KINDS)}")
    try:
        return kind, int(count or 1)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"count in {text!r} is not a number") from err


def _parse_time(text: str) -> datetime:
    when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, type=Path, help="folder to write AWSLogs/... under")
    parser.add_argument("--events", type=int, default=10_000, help="background events to write (default 10000)")
    parser.add_argument("--events-per-file", type=int, default=400, help="average events per log file (default 400)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--accounts", nargs="+", default=list(DEFAULT_ACCOUNTS))
    parser.add_argument("--regions", nargs="+", default=list(DEFAULT_REGIONS))
    parser.add_argument("--start", type=_parse_time, default=DEFAULT_START, help="first window (ISO-8601, UTC)")
    parser.add_argument("--hours", type=float, default=24.0, help="hours of activity to spread files over")
    parser.add_argument("--inject", type=_parse_injection, action="append", default=[], metavar="KIND[:COUNT]",
                        help=f"add attack events; KIND one of: {', '.join(ATTACK_KINDS)}")
    parser.add_argument("--digests", action="store_true", help="also write CloudTrail-Digest objects")
    args = parser.parse_args(list(argv) if argv is not None else None)
    written = write_trail(
        args.out, args.events, seed=args.seed, events_per_file=args.events_per_file, accounts=args.accounts,
        regions=args.regions, start=args.start, hours=args.hours, attacks=dict(args.inject), digests=args.digests,
    )
    print(
        f"wrote {written.events} events in {len(written.log_files)} log files"
        f" ({written.uncompressed_bytes / max(written.events, 1):.0f} B/event uncompressed)"
        f" and {len(written.digest_files)} digest files under {args.out}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
