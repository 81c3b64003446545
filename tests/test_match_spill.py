"""Match spill: documents wait in a file, dedup reads back only the window openers."""
import orjson
import pytest
from apache_beam.options.pipeline_options import PipelineOptions

from tests.test_dedup import match, match_document, summary
from transforms.dedup import decide_in_order, dedup_key, match_ref
from transforms.match_spill import SpilledMatch, SpillReader, inline, new_spill_folder, spill, spill_file
from transforms.storage import remove_tree, write_object


def spilled(tmp_path, minutes, **fields):
    """Refs for matches at `minutes`, spilled to one file as detect does for a batch."""
    documents = [match_document(m, **fields) for m in minutes]
    refs_by_key = {dedup_key(documents[0]): [match_ref(d) for d in documents]}
    url = spill_file(str(tmp_path), "s3://trail/AWSLogs/123456789012/CloudTrail/us-east-1/2025/01/01/a.json.gz", 0)
    write_object(url, spill(refs_by_key, url), PipelineOptions())
    return url, next(iter(refs_by_key.values()))


class CountingReader(SpillReader):
    def __init__(self):
        super().__init__(PipelineOptions())
        self.reads = []

    def __call__(self, payload):
        self.reads.append(payload)
        return super().__call__(payload)


def test_spilled_refs_point_at_their_documents_in_a_json_lines_file(tmp_path):
    url, refs = spilled(tmp_path, [0, 10, 59])
    lines = open(url, "rb").read().splitlines()
    assert [orjson.loads(line)["event"]["p_row_id"] for line in lines] == ["row-0000", "row-0010", "row-0059"]
    reader = SpillReader(PipelineOptions())
    for ref, line in zip(refs, lines):
        assert isinstance(ref[3], SpilledMatch) and ref[3].url == url
        assert reader(ref[3]) == line


def test_dedup_reads_back_only_the_matches_that_open_windows(tmp_path):
    _, refs = spilled(tmp_path, [0, 10, 59, 60, 61, 130])
    reader = CountingReader()
    documents = decide_in_order(refs, reader)
    assert summary(documents) == [
        ("alert", 1, "10:00", "10:00"), ("update", 3, "10:00", "10:59"),
        ("alert", 1, "11:00", "11:00"), ("update", 2, "11:00", "11:01"),
        ("alert", 1, "12:10", "12:10")]
    assert [payload.offset for payload in reader.reads] == [refs[0][3].offset, refs[3][3].offset, refs[5][3].offset]


def test_spilled_and_inline_matches_give_the_same_alerts(tmp_path):
    minutes = [0, 5, 20, 70]
    _, refs = spilled(tmp_path, minutes, threshold=2)
    inline_refs = [match(m, threshold=2) for m in minutes]
    assert decide_in_order(refs, SpillReader(PipelineOptions())) == decide_in_order(inline_refs)


def test_a_spilled_match_without_a_reader_is_a_clear_error(tmp_path):
    _, refs = spilled(tmp_path, [0])
    with pytest.raises(TypeError, match="spilled to"):
        inline(refs[0][3])
    with pytest.raises(TypeError, match="spilled to"):
        decide_in_order(refs)


def test_a_spill_file_cut_short_is_reported_not_misread(tmp_path):
    url, refs = spilled(tmp_path, [0, 10])
    with open(url, "r+b") as handle:
        handle.truncate(refs[1][3].offset + 5)
    with pytest.raises(IOError, match="cut short"):
        SpillReader(PipelineOptions())(refs[1][3])


def test_each_run_spills_to_its_own_folder_which_is_removed_whole(tmp_path):
    first, second = new_spill_folder(str(tmp_path)), new_spill_folder(str(tmp_path))
    assert first != second and first.startswith(str(tmp_path / "_work")) and first.endswith("/")
    write_object(spill_file(first, "s3://trail/a.json.gz", 0), b"{}\n", PipelineOptions())
    assert remove_tree(first, PipelineOptions()) is True
    assert not (tmp_path / "_work" / first.rstrip("/").rsplit("/", 1)[1]).exists()
    assert remove_tree(second, PipelineOptions()) is False
