from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from records_factory import paper, record
from tracker.changes import Change, ChangeKind, diff
from tracker.plausibility import implausible_reason


def test_metric_change_has_old_new_and_delta() -> None:
    changes = diff(record(citations=754), record(citations=790))
    assert changes == [Change(kind=ChangeKind.METRIC_CHANGED, metric="citations", old=754, new=790)]
    assert changes[0].delta == 36


def test_new_metric_is_a_change_from_none() -> None:
    after = record()
    after = after.model_copy(update={"metrics": {**after.metrics, "ai_score": 60}})
    [change] = diff(record(), after)
    assert (change.metric, change.old, change.new, change.delta) == ("ai_score", None, 60, None)


def test_added_removed_and_changed_papers() -> None:
    before = record(papers=3)
    renamed = paper(2, title="A Study of Topic 2, Revised", authors=["Ada Lovelace"])
    after = before.model_copy(update={"papers": [paper(1), renamed, paper(4)]})
    changes = {(c.kind, c.paper_key): c for c in diff(before, after)}
    assert set(changes) == {
        (ChangeKind.PAPER_CHANGED, "title:a study of topic 2"),
        (ChangeKind.PAPER_ADDED, "title:a study of topic 4"),
        (ChangeKind.PAPER_REMOVED, "title:a study of topic 3"),
    }
    changed = changes[(ChangeKind.PAPER_CHANGED, "title:a study of topic 2")]
    assert changed.fields == ("title", "authors")
    assert changed.old == {
        "title": "A Study of Topic 2",
        "authors": ["Ada Lovelace", "Alan Turing"],
    }
    assert changed.new == {"title": "A Study of Topic 2, Revised", "authors": ["Ada Lovelace"]}
    added = changes[(ChangeKind.PAPER_ADDED, "title:a study of topic 4")]
    assert added.new["published"] == "2024-01-04"


@given(st.integers(0, 12), st.integers(0, 10_000), st.randoms(use_true_random=False))
def test_a_snapshot_never_differs_from_itself_or_its_reordering(
    papers: int, citations: int, rng: object
) -> None:
    snapshot = record(papers=papers, citations=citations)
    shuffled = list(snapshot.papers)
    rng.shuffle(shuffled)  # type: ignore[attr-defined]
    assert diff(snapshot, snapshot) == []
    assert diff(snapshot, snapshot.model_copy(update={"papers": shuffled})) == []


@given(st.sets(st.integers(1, 15)), st.sets(st.integers(1, 15)))
def test_added_and_removed_papers_are_the_set_differences(old: set[int], new: set[int]) -> None:
    before = record(papers=0).model_copy(update={"papers": [paper(n) for n in sorted(old)]})
    after = record(papers=0).model_copy(update={"papers": [paper(n) for n in sorted(new)]})
    changes = diff(before, after)
    added = {c.paper_key for c in changes if c.kind is ChangeKind.PAPER_ADDED}
    removed = {c.paper_key for c in changes if c.kind is ChangeKind.PAPER_REMOVED}
    assert added == {f"title:a study of topic {n}" for n in new - old}
    assert removed == {f"title:a study of topic {n}" for n in old - new}
    assert len(changes) == len(added) + len(removed)


def test_plausibility_flags_broken_snapshots() -> None:
    before = record(papers=24)
    assert implausible_reason(before, record(papers=24, citations=790)) is None
    assert implausible_reason(before, record(papers=20)) is None
    assert implausible_reason(before, record(papers=0)) == (
        "no papers on the page where there were 24"
    )
    assert implausible_reason(before, record(papers=3)) == (
        "only 3 papers on the page where there were 24"
    )
    lost_metric = record(papers=24).model_copy(update={"metrics": {"citations": 100}})
    assert implausible_reason(before, lost_metric) == (
        "metrics vanished from the page: h_index, paper_count"
    )
    assert implausible_reason(None, record(papers=24)) is None


def test_plausibility_flags_a_collapsed_count_but_not_a_correction() -> None:
    before = record(papers=24, citations=790, h_index=12)
    assert implausible_reason(before, record(papers=24, citations=3, h_index=12)) == (
        "citations fell from 790 to 3"
    )
    assert implausible_reason(before, record(papers=24, citations=790, h_index=1)) == (
        "h_index fell from 12 to 1"
    )
    assert implausible_reason(before, record(papers=24, citations=700, h_index=11)) is None
    small = record(papers=24, citations=8, h_index=2)
    assert implausible_reason(small, record(papers=24, citations=1, h_index=1)) is None
