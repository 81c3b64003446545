"""Recovering dedup windows from the journal a killed live run left behind."""
import json
from datetime import datetime, timedelta, timezone

from tests.test_dedup import match, match_document
from transforms.dedup import AlertWindows, dedup_key
from transforms.match_journal import DedupJournal, _write, match_entry, prune, recover, sent_entry

NOW = int(datetime(2025, 1, 1, 10, 45, tzinfo=timezone.utc).timestamp() * 1_000_000)
KEY = dedup_key(match_document(0))


def journal_of(refs, key=KEY):
    """Entries as a live run writes them: each match (whole), then what dedup sent for it."""
    entries, windows = [], AlertWindows()
    for ref in refs:
        entries.append(match_entry(key, ref, whole=True))
        entries += [sent_entry(d) for d in windows.observe(ref)]
    return entries


def test_an_open_window_is_rebuilt_with_its_count_and_the_alert_already_sent():
    state = recover(journal_of([match(0), match(10), match(30)]), NOW).windows[KEY]
    assert (state["current"]["count"], state["current"]["alerted_count"]) == (3, 1)
    assert AlertWindows(state).owed() == []
    assert [(d["kind"], d["count"]) for d in AlertWindows(state).close()] == [("update", 3)]


def test_an_alert_written_but_not_journaled_as_sent_is_owed_again_under_the_same_id():
    recovered = AlertWindows(recover([match_entry(KEY, match(0), whole=True)], NOW).windows[KEY])
    [owed] = recovered.owed()
    assert (owed["kind"], owed["count"]) == ("alert", 1)
    assert owed["alert_id"] == journal_of([match(0)])[1]["alert_id"]


def test_a_redelivered_match_is_counted_once():
    recovery = recover(journal_of([match(0), match(10)]) + [match_entry(KEY, match(10), whole=True)], NOW)
    assert recovery.windows[KEY]["current"]["count"] == 2
    assert recovery.counted == {(KEY, "row-0000"), (KEY, "row-0010")}


def test_counting_matches_journaled_slim_rebuild_the_same_window():
    first, *more = [match(m, unique=f"api-{m}") for m in (0, 10, 20)]
    entries = [match_entry(KEY, first, whole=True)] + [match_entry(KEY, ref, whole=False) for ref in more]
    assert all("p" not in entry for entry in entries[1:])
    state = recover(entries, NOW).windows[KEY]
    assert (state["current"]["count"], sorted(state["current"]["uniques"])) == (3, ["api-0", "api-10", "api-20"])
    assert state["current"]["first"] == first[3]


def test_windows_that_ended_long_ago_are_forgotten_and_compacted_away():
    old, recent = match(0, dedup="old-trail"), match(100, dedup="recent-trail")  # windows end 11:00 and 12:40
    later = NOW + int(timedelta(days=1, minutes=75).total_seconds() * 1_000_000)  # a day after 12:00
    entries = journal_of([old], key="k-old") + journal_of([recent], key="k-recent")
    recovery = recover(entries, later, retention=timedelta(days=1))
    assert list(recovery.windows) == ["k-recent"]
    assert [e["key"] for e in recovery.entries if e["entry"] == "match"] == ["k-recent"]


def test_matches_of_windows_before_the_last_closed_one_are_not_kept():
    recovery = recover(journal_of([match(0), match(70), match(140)]), NOW)
    assert [e["r"] for e in recovery.entries if e["entry"] == "match"] == ["row-0110", "row-0220"]


def test_opening_the_journal_compacts_it_into_one_file(tmp_path):
    directory = str(tmp_path / "journal")
    assert DedupJournal.open(directory).recovery.windows == {}
    for entry in journal_of([match(0), match(5)]):
        _write(directory, "matches", [entry], expires_micros=NOW)
    reopened = DedupJournal.open(directory, retention=timedelta(days=365 * 100))
    assert reopened.recovery.windows[KEY]["current"]["count"] == 2
    assert len(list((tmp_path / "journal").glob("*.jsonl"))) == 1


def test_pruning_deletes_only_files_whose_windows_all_ended_before_the_retention(tmp_path):
    directory = str(tmp_path / "journal")
    hour = 3600 * 1_000_000
    _write(directory, "matches", [match_entry(KEY, match(0), whole=True)], expires_micros=NOW - 3 * hour)
    _write(directory, "matches", [match_entry(KEY, match(5), whole=True)], expires_micros=NOW - hour // 2)
    assert prune(directory, NOW, retention=timedelta(hours=2)) == 1
    [left] = (tmp_path / "journal").glob("*.jsonl")
    assert json.loads(left.read_text())["r"] == "row-0005"
