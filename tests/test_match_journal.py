"""Recovering dedup windows from the journal a killed live run left behind."""
import json
from datetime import datetime, timedelta, timezone

from tests.test_dedup import match
from transforms.dedup import AlertWindows, dedup_key, event_time_micros
from transforms.match_journal import DedupJournal, _write, match_entry, more_entry, prune, recover, sent_entry

NOW = int(datetime(2025, 1, 1, 10, 45, tzinfo=timezone.utc).timestamp() * 1_000_000)


def journal_of(matches, sent_counts=()):
    """Entries as a live run writes them: each match, then what dedup sent for it."""
    entries, windows = [], AlertWindows()
    for m in matches:
        entries.append(match_entry(dedup_key(m), m))
        entries += [sent_entry(d) for d in windows.observe(m)]
    return entries


def test_an_open_window_is_rebuilt_with_its_count_and_the_alert_already_sent():
    recovery = recover(journal_of([match(0), match(10), match(30)]), NOW)
    state = recovery.windows[dedup_key(match(0))]
    assert (state["current"]["count"], state["current"]["alerted_count"]) == (3, 1)
    assert AlertWindows(state).owed() == []
    documents = AlertWindows(state).close()
    assert [(d["kind"], d["count"]) for d in documents] == [("update", 3)]


def test_an_alert_written_but_not_journaled_as_sent_is_owed_again_under_the_same_id():
    entries = [match_entry(dedup_key(match(0)), match(0))]
    recovered = AlertWindows(recover(entries, NOW).windows[dedup_key(match(0))])
    [owed] = recovered.owed()
    assert (owed["kind"], owed["count"]) == ("alert", 1)
    assert owed["alert_id"] == journal_of([match(0)])[1]["alert_id"]


def test_a_redelivered_match_is_counted_once():
    entries = journal_of([match(0), match(10)]) + [match_entry(dedup_key(match(10)), match(10))]
    recovery = recover(entries, NOW)
    assert recovery.windows[dedup_key(match(0))]["current"]["count"] == 2
    assert recovery.counted == {("AWS.CloudTrail.Stopped", "row-0000"), ("AWS.CloudTrail.Stopped", "row-0010")}


def test_windows_that_ended_long_ago_are_forgotten_and_compacted_away():
    old, recent = match(0, dedup="old-trail"), match(100, dedup="recent-trail")  # windows end 11:00 and 12:40
    later = NOW + int(timedelta(days=1, minutes=75).total_seconds() * 1_000_000)  # a day after 12:00
    recovery = recover(journal_of([old]) + journal_of([recent]), later, retention=timedelta(days=1))
    assert list(recovery.windows) == [dedup_key(recent)]
    assert [e["match"]["dedup"] for e in recovery.entries if e["entry"] == "match"] == ["recent-trail"]


def test_matches_of_windows_before_the_last_closed_one_are_not_kept():
    recovery = recover(journal_of([match(0), match(70), match(140)]), NOW)
    kept = [event_time_micros(e["match"]) for e in recovery.entries if e["entry"] == "match"]
    assert kept == [event_time_micros(match(70)), event_time_micros(match(140))]


def test_opening_the_journal_compacts_it_into_one_file(tmp_path):
    directory = str(tmp_path / "journal")
    first = DedupJournal.open(directory)
    assert first.recovery.windows == {}
    (tmp_path / "journal").mkdir()
    for n, entry in enumerate(journal_of([match(0), match(5)])):
        (tmp_path / "journal" / f"{n:020d}-matches-x.jsonl").write_text(__import__("json").dumps(entry) + "\n")
    reopened = DedupJournal.open(directory, retention=timedelta(days=365 * 100))
    assert reopened.recovery.windows[dedup_key(match(0))]["current"]["count"] == 2
    assert len(list((tmp_path / "journal").glob("*.jsonl"))) == 1


def test_counting_matches_journaled_slim_rebuild_the_same_window():
    full, *more = [match(m, unique=f"api-{m}") for m in (0, 10, 20)]
    entries = [match_entry(dedup_key(full), full)] + [more_entry(dedup_key(m), m) for m in more]
    state = recover(entries, NOW).windows[dedup_key(full)]
    assert (state["current"]["count"], sorted(state["current"]["uniques"])) == (3, ["api-0", "api-10", "api-20"])
    assert state["current"]["first"]["event"] == full["event"]


def test_pruning_deletes_only_files_whose_windows_all_ended_before_the_retention(tmp_path):
    directory = str(tmp_path / "journal")
    hour = 3600 * 1_000_000
    _write(directory, "matches", [match_entry("k", match(0))], expires_micros=NOW - 3 * hour)
    _write(directory, "matches", [match_entry("k", match(5))], expires_micros=NOW - hour // 2)
    assert prune(directory, NOW, retention=timedelta(hours=2)) == 1
    [left] = (tmp_path / "journal").glob("*.jsonl")
    assert json.loads(left.read_text())["match"]["event"]["p_row_id"] == "row-0005"
