"""Rule-evaluation cost of the bundled pack: indexed engine vs every rule on every event.

    python benchmarks/rule_benchmark.py [--events 100000] [--seed 7]
    python benchmarks/rule_benchmark.py --trail /tmp/trail     # files from benchmarks/cloudtrail_gen.py

Without --trail it generates a realistic CloudTrail mix (mostly read-only service
traffic: AssumeRole, Decrypt, GetObject, Describe*, with a few percent of the pack's
own test events mixed in so rules really fire) and adds the p_ fields by hand; with
--trail it reads every .json.gz under the folder and normalises the records as the
pipeline does. It then times `RuleEngine.evaluate` over the same records with and
without the index on one core, in CPU time (the minimum of --repeats passes: other
processes on the machine do not count), and the same again with the match document
detect builds for every match. Both engines must produce the same matches and errors;
the script checks that.
"""
from __future__ import annotations

import argparse
import gc
import gzip
import hashlib
import random
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from transforms.rules_engine import BUNDLED_RULES_DIR, RuleEngine, load_rule_bundle  # noqa: E402
from transforms.rules_engine.cache import InMemoryCacheStore, using_store  # noqa: E402

ACCOUNT = "123456789012"
REGIONS = ["us-east-1", "us-east-1", "us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2"]
AGENTS = [
    "aws-sdk-go-v2/1.25.2 os/linux lang/go#1.21.8 md/GOOS#linux md/GOARCH#amd64 api/sts#1.28.4",
    "Boto3/1.34.64 md/Botocore#1.34.64 ua/2.0 os/linux#5.10.210-201.852.amzn2.x86_64 md/arch#x86_64 lang/python#3.11.8 "
    "md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.64",
    "aws-cli/2.15.30 Python/3.11.8 Darwin/23.3.0 exe/x86_64 prompt/off command/s3.cp",
    "AWS Internal",
    "aws-sdk-java/1.12.680 Linux/5.10.213-201.855.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.10+8-LTS java/17.0.10 vendor/Amazon.com_Inc.",
]
ROLE_SESSIONS = [
    ("app-backend", "aws-go-sdk-1709547161"),
    ("data-pipeline", "botocore-session-1709547161"),
    ("github-deploy", "GitHubActions-8231"),
    ("eks-node", "i-0f9e8d7c6b5a43210"),
    ("web-tier-instance", "i-0a1b2c3d4e5f67890"),
]
# (eventSource, eventName, readOnly, weight): roughly the shape of a busy production trail.
TRAFFIC = [
    ("sts.amazonaws.com", "AssumeRole", True, 18),
    ("kms.amazonaws.com", "Decrypt", True, 14),
    ("kms.amazonaws.com", "GenerateDataKey", True, 6),
    ("s3.amazonaws.com", "GetObject", True, 12),
    ("s3.amazonaws.com", "PutObject", False, 6),
    ("s3.amazonaws.com", "ListBuckets", True, 2),
    ("ec2.amazonaws.com", "DescribeInstances", True, 8),
    ("ec2.amazonaws.com", "DescribeSecurityGroups", True, 3),
    ("ec2.amazonaws.com", "DescribeVolumes", True, 3),
    ("logs.amazonaws.com", "CreateLogStream", False, 4),
    ("ssm.amazonaws.com", "GetParameter", True, 4),
    ("secretsmanager.amazonaws.com", "GetSecretValue", True, 3),
    ("sts.amazonaws.com", "GetCallerIdentity", True, 3),
    ("iam.amazonaws.com", "GetRole", True, 2),
    ("iam.amazonaws.com", "ListRoles", True, 1),
    ("lambda.amazonaws.com", "Invoke", False, 3),
    ("dynamodb.amazonaws.com", "DescribeTable", True, 2),
    ("ecr.amazonaws.com", "GetAuthorizationToken", True, 2),
    ("cloudtrail.amazonaws.com", "LookupEvents", True, 1),
    ("signin.amazonaws.com", "ConsoleLogin", False, 1),
    ("ec2.amazonaws.com", "RunInstances", False, 1),
    ("ec2.amazonaws.com", "TerminateInstances", False, 1),
]


def _identity(rng: random.Random) -> dict:
    role, session = rng.choice(ROLE_SESSIONS)
    return {
        "type": "AssumedRole",
        "principalId": f"AROAQ3EGRTCF{role.upper()[:8]}:{session}",
        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{session}",
        "accountId": ACCOUNT,
        "accessKeyId": "ASIAQ3EGRTCF" + hashlib.md5(session.encode()).hexdigest()[:8].upper(),
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": "AROAQ3EGRTCFGH5KD2LMN",
                "arn": f"arn:aws:iam::{ACCOUNT}:role/{role}",
                "accountId": ACCOUNT,
                "userName": role,
            },
            "webIdFederationData": {},
            "attributes": {"creationDate": "2025-03-04T09:55:02Z", "mfaAuthenticated": "false"},
        },
    }


def _address(arn: str) -> str:
    """Each workload calls from one address: a private one (VPC endpoint) or its NAT gateway's."""
    digest = hashlib.md5(arn.encode()).digest()
    return f"10.0.{digest[0]}.{digest[1]}" if digest[2] < 150 else f"3.91.{digest[0]}.{digest[1]}"


def _request(source: str, name: str, rng: random.Random) -> dict | None:
    if source == "s3.amazonaws.com" and name != "ListBuckets":
        bucket = rng.choice(["acme-invoices", "acme-data-lake", "acme-config"])
        return {"bucketName": bucket, "Host": f"{bucket}.s3.us-east-1.amazonaws.com", "key": f"2025/03/04/part-{rng.randrange(9999):04d}.parquet"}
    if source == "kms.amazonaws.com":
        return {
            "keyId": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/3f2b9c1d-7e4a-4b8f-a6c5-0d9e8f7a6b5c",
            "encryptionAlgorithm": "SYMMETRIC_DEFAULT",
            "encryptionContext": {"aws:s3:arn": "arn:aws:s3:::acme-data-lake/2025/03/04/part-0001.parquet"},
        }
    if name == "AssumeRole":
        return {"roleArn": f"arn:aws:iam::{ACCOUNT}:role/data-pipeline", "roleSessionName": "botocore-session-1709547161", "durationSeconds": 3600}
    if name == "DescribeInstances":
        return {"instancesSet": {}, "filterSet": {"items": [{"name": "tag:team", "valueSet": {"items": [{"value": "payments"}]}}]}}
    if name == "GetParameter":
        return {"name": "/prod/app/db-host", "withDecryption": rng.random() < 0.3}
    if name == "GetSecretValue":
        return {"secretId": f"prod/app/secret-{rng.randrange(40)}"}
    if name == "TerminateInstances":
        return {"instancesSet": {"items": [{"instanceId": f"i-0{rng.randrange(16**15):015x}"}]}}
    if name == "RunInstances":
        return {
            "instancesSet": {"items": [{"imageId": "ami-0c7217cdde317cfec", "minCount": 1, "maxCount": 1}]},
            "instanceType": rng.choice(["m7i.large", "c7g.xlarge", "t3.micro"]),
            "iamInstanceProfile": {"arn": f"arn:aws:iam::{ACCOUNT}:instance-profile/web-tier"},
        }
    return None


def generate(count: int, rng: random.Random, fixtures: list[dict]) -> list[dict]:
    """`count` normalised records: weighted background traffic plus ~2% pack test events."""
    population = [(s, n, r) for s, n, r, w in TRAFFIC for _ in range(w)]
    records = []
    for index in range(count):
        if fixtures and rng.random() < 0.02:
            record = dict(rng.choice(fixtures))
        else:
            source, name, read_only = rng.choice(population)
            identity = _identity(rng)
            record = {
                "eventVersion": "1.09",
                "userIdentity": identity,
                "eventTime": f"2025-03-04T10:{index // 6000 % 60:02d}:{index // 100 % 60:02d}Z",
                "eventSource": source,
                "eventName": name,
                "awsRegion": rng.choice(REGIONS),
                "sourceIPAddress": _address(identity["arn"]),
                "userAgent": rng.choice(AGENTS),
                "requestParameters": _request(source, name, rng),
                "responseElements": None,
                "requestID": hashlib.md5(f"r{index}".encode()).hexdigest(),
                "eventID": hashlib.md5(f"e{index}".encode()).hexdigest(),
                "readOnly": read_only,
                "eventType": "AwsApiCall",
                "managementEvent": source != "s3.amazonaws.com",
                "recipientAccountId": ACCOUNT,
                "eventCategory": "Management" if source != "s3.amazonaws.com" else "Data",
                "tlsDetails": {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256", "clientProvidedHostHeader": source},
            }
            if rng.random() < 0.01:
                record["errorCode"], record["errorMessage"] = "AccessDenied", "User is not authorized to perform this action"
        record.update(
            p_log_type="AWS.CloudTrail",
            p_event_time="2025-03-04T10:12:41.000000Z",
            p_parse_time="2025-03-04T10:20:00.000000Z",
            p_row_id=hashlib.md5(f"row{index}".encode()).hexdigest(),
            p_source_file="s3://acme-trail/AWSLogs/123456789012/CloudTrail/us-east-1/2025/03/04/file.json.gz",
            p_any_ip_addresses=[record.get("sourceIPAddress", "")],
            p_any_aws_account_ids=[ACCOUNT],
            p_any_aws_arns=[str((record.get("userIdentity") or {}).get("arn", ""))],
            p_any_usernames=[],
        )
        records.append(record)
    return records


def read_trail(folder: Path) -> list[dict]:
    """Every record of the trail's .json.gz files, normalised as the pipeline does."""
    from transforms.normalize import normalise_records

    records = []
    parse_time = datetime.now(timezone.utc)
    for path in sorted(folder.rglob("*.json.gz")):
        document = orjson.loads(gzip.decompress(path.read_bytes()))
        records += normalise_records(str(path), document.get("Records", []), parse_time).records
    return records


def cpu_per_event(engine: RuleEngine, records: list[dict], repeats: int, documents: bool = False,
                  hold_results: bool = False) -> float:
    """CPU µs per event of evaluating every record, the best of `repeats` passes.

    Results are dropped at once, as detect does, unless `hold_results` keeps them all in
    a list (as `[engine.evaluate(r) for r in records]` would: the garbage collector then
    pays for scanning the survivors). With `documents`, each match is also turned into
    what detect hands to dedup (match document, dedup key, match reference whose JSON
    holds the whole event).
    """
    if documents:
        from transforms.dedup import dedup_key, match_ref
        from transforms.detect import match_document
    best = float("inf")
    for _ in range(repeats):
        held = []
        with using_store(InMemoryCacheStore()):  # stateful rules start from nothing on every pass
            started = time.process_time()
            for record in records:
                result = engine.evaluate(record)
                if documents:
                    for match in result.matches:
                        document = match_document(match, record)
                        dedup_key(document), match_ref(document)
                if hold_results:
                    held.append(result)
            best = min(best, time.process_time() - started)
    return best / len(records) * 1e6


def outcome(engine: RuleEngine, records: list[dict]) -> tuple[list, list]:
    """(rule id and dedup of every match, every rule error) of one pass, to check engines agree."""
    keys, errors = [], []
    with using_store(InMemoryCacheStore()):
        for record in records:
            result = engine.evaluate(record)
            keys += [(m.rule_id, m.dedup) for m in result.matches]
            errors += [(e.rule_id, e.function, e.message) for e in result.errors]
    return keys, errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--trail", type=Path, help="a folder of CloudTrail .json.gz files to evaluate instead")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    bundle = load_rule_bundle([BUNDLED_RULES_DIR])
    started = time.perf_counter()
    indexed = RuleEngine(bundle)
    load_seconds = time.perf_counter() - started
    everything = RuleEngine(bundle, use_index=False)
    if args.trail:
        records = read_trail(args.trail)
    else:
        fixtures = [dict(test["Log"]) for rule in indexed.rules for test in rule.tests]
        records = generate(args.events, random.Random(args.seed), fixtures)
    gc.collect()
    gc.freeze()  # the records live through every pass: keep the collector from re-scanning them

    (keys, errors), slow_outcome = outcome(indexed, records), outcome(everything, records)
    if (keys, errors) != slow_outcome:
        print("indexed and unindexed engines disagree", file=sys.stderr)
        return 1
    fast = cpu_per_event(indexed, records, args.repeats)
    slow = cpu_per_event(everything, records, max(1, args.repeats // 2))
    held = cpu_per_event(indexed, records, args.repeats, hold_results=True)
    with_documents = cpu_per_event(indexed, records, args.repeats, documents=True)
    matches, errors = len(keys), len(errors)
    print(f"rules: {len(indexed.rules)} enabled, engine build {load_seconds * 1000:.0f} ms")
    print(f"events: {len(records):,}, matches: {matches:,} ({matches / len(records):.1%} of events), rule errors: {errors}")
    print(f"indexed:      {fast:5.2f} µs/event CPU ({1e6 / fast:,.0f} events/s)")
    print(f"every rule:   {slow:5.2f} µs/event CPU ({1e6 / slow:,.0f} events/s)")
    print(f"speed-up:     {slow / fast:.1f}x (identical matches and errors: yes)")
    print(f"indexed, every result held in a list: {held:5.2f} µs/event CPU")
    print(f"indexed + match documents: {with_documents:5.2f} µs/event CPU "
          f"({(with_documents - fast) / max(matches / len(records), 1e-9):.1f} µs per match)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
