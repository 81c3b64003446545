"""`iota test`: running rule YAML tests from the command line, and what it prints on failure."""
from __future__ import annotations

import argparse
import io
import textwrap
from pathlib import Path

import pytest
import yaml

from pipeline import rule_tests
from tests.cloudtrail import IAM_USER_CONSOLE_LOGIN as LOGIN

LOGOUT = dict(LOGIN, eventName="ConsoleLogout", responseElements=None)


def run(*argv: str) -> tuple[int, str]:
    parser = argparse.ArgumentParser(prog="iota test")
    rule_tests.add_arguments(parser)
    out = io.StringIO()
    code = rule_tests.main(parser.parse_args(list(argv)), out=out)
    return code, out.getvalue()


def write_rule(folder: Path, stem: str, python: str, tests: list[dict], **spec) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{stem}.py").write_text(textwrap.dedent(python))
    full = {
        "AnalysisType": "rule",
        "RuleID": stem,
        "Enabled": True,
        "Filename": f"{stem}.py",
        "LogTypes": ["AWS.CloudTrail"],
        "Severity": "Medium",
        "Tests": tests,
        **spec,
    }
    (folder / f"{stem}.yml").write_text(yaml.safe_dump(full))


def test_bundled_pack_passes_with_two_tests_minimum():
    code, output = run("--minimum-tests", "2")
    assert code == 0, output
    passed, failed = output.strip().splitlines()[-1].split(", ")
    assert int(passed.split()[0]) >= 120 and failed == "0 failed"


def test_failures_show_expected_actual_and_the_rule_outputs(tmp_path):
    write_rule(
        tmp_path,
        "login",
        """
        def rule(event):
            return event.get("eventName") == "ConsoleLogin"

        def title(event):
            return "login by " + event.deep_get("userIdentity", "userName")

        def alert_context(event):
            return {"ip": event.get("sourceIPAddress")}
        """,
        [
            {"Name": "logout wrongly expected", "ExpectedResult": True, "Log": LOGOUT},
            {"Name": "login wrongly not expected", "ExpectedResult": False, "Log": LOGIN},
            {"Name": "logout", "ExpectedResult": False, "Log": LOGOUT},
        ],
    )
    code, output = run("--rules", str(tmp_path))
    assert code == 1
    assert "FAIL login :: logout wrongly expected\n  expected True, got False" in output
    assert "FAIL login :: login wrongly not expected\n  expected False, got True" in output
    assert "title:    login by alice" in output
    assert 'alert_context: {"ip": "198.51.100.23"}' in output
    assert output.strip().endswith("1 passed, 2 failed")


def test_a_raising_function_fails_the_test_with_its_traceback(tmp_path):
    write_rule(
        tmp_path,
        "fragile",
        """
        def rule(event):
            return event.get("eventName") == "ConsoleLogin"

        def dedup(event):
            return event["requestParameters"]["userName"]
        """,
        [{"Name": "login", "ExpectedResult": True, "Log": LOGIN}],
    )
    code, output = run("--rules", str(tmp_path))
    assert code == 1
    assert "error in dedup(): TypeError" in output
    assert 'return event["requestParameters"]["userName"]' in output
    assert output.strip().endswith("0 passed, 1 failed")


def test_mocks_replace_module_names_for_one_test(tmp_path):
    write_rule(
        tmp_path,
        "mocked",
        """
        import time

        ALLOWED_USERS = {"alice"}

        def lookup_owner(account):
            raise RuntimeError("would call an external service")

        def rule(event):
            user = event.deep_get("userIdentity", "userName")
            return user not in ALLOWED_USERS and lookup_owner(event.get("recipientAccountId")) == "prod"
        """,
        [
            {
                "Name": "unlisted user in prod",
                "ExpectedResult": True,
                "Mocks": [
                    {"objectName": "lookup_owner", "returnValue": "prod"},
                    {"objectName": "ALLOWED_USERS", "returnValue": ["bob"]},
                ],
                "Log": LOGIN,
            },
            {
                "Name": "listed user",
                "ExpectedResult": False,
                "Mocks": [{"objectName": "lookup_owner", "returnValue": "prod"}],
                "Log": LOGIN,
            },
        ],
    )
    code, output = run("--rules", str(tmp_path))
    assert code == 0, output
    assert output.strip() == "2 passed, 0 failed"


def test_filters_select_rules_by_spec_keys(tmp_path):
    write_rule(tmp_path, "high", "def rule(event):\n    return True\n", [{"Name": "t", "ExpectedResult": True, "Log": LOGIN}], Severity="High")
    write_rule(tmp_path, "low", "def rule(event):\n    return False\n", [{"Name": "t", "ExpectedResult": True, "Log": LOGIN}], Severity="Low")
    assert run("--rules", str(tmp_path), "--filter", "Severity=high,critical") == (0, "1 passed, 0 failed\n")
    assert run("--rules", str(tmp_path), "--filter", "RuleID=low")[0] == 1
    assert run("--rules", str(tmp_path), "--filter", "RuleID=high", "LogTypes=Okta.SystemLog") == (
        1,
        "error: no rules matched the filters\n",
    )
    with pytest.raises(SystemExit):
        run("--filter", "Severity")


def test_minimum_tests_requires_count_and_both_outcomes(tmp_path):
    write_rule(
        tmp_path,
        "one_sided",
        "def rule(event):\n    return True\n",
        [{"Name": "a", "ExpectedResult": True, "Log": LOGIN}, {"Name": "b", "ExpectedResult": True, "Log": LOGOUT}],
    )
    assert run("--rules", str(tmp_path), "--minimum-tests", "1")[0] == 0
    code, output = run("--rules", str(tmp_path), "--minimum-tests", "2")
    assert code == 1
    assert "FAIL one_sided: has no test expected to be false" in output
    code, output = run("--rules", str(tmp_path), "--minimum-tests", "3")
    assert "FAIL one_sided: has 2 test(s), fewer than the minimum of 3" in output


def test_helpers_folder_is_importable_and_import_failures_are_reported(tmp_path):
    helpers = tmp_path / "helpers"
    helpers.mkdir()
    (helpers / "acme.py").write_text("def is_login(event):\n    return event.get('eventName') == 'ConsoleLogin'\n")
    rules = tmp_path / "rules"
    write_rule(rules, "uses_helper", "from acme import is_login\n\ndef rule(event):\n    return is_login(event)\n",
               [{"Name": "login", "ExpectedResult": True, "Log": LOGIN}])
    write_rule(rules, "broken_import", "import acme_missing\n\ndef rule(event):\n    return True\n",
               [{"Name": "login", "ExpectedResult": True, "Log": LOGIN}])
    code, output = run("--rules", str(rules), "--helpers", str(helpers))
    assert code == 1
    assert "FAIL broken_import: cannot import" in output and "No module named 'acme_missing'" in output
    assert output.strip().endswith("1 passed, 1 failed")


def test_unloadable_specs_are_a_clear_error(tmp_path):
    (tmp_path / "bad.yml").write_text("AnalysisType: rule\nRuleID: [unclosed\n")
    code, output = run("--rules", str(tmp_path))
    assert code == 1 and output.startswith("error: ") and "bad.yml" in output
