from __future__ import annotations

import io
import json
import re
import tracemalloc
from datetime import date
from pathlib import Path

import pytest

from kapwatch.digest.exports import write_exports
from kapwatch.digest.render import (
    build_context,
    read_head,
    render,
    subject,
    write_json,
)
from kapwatch.pipeline import Setup, assess_window
from kapwatch.seeds.articles import Seeds
from kapwatch.sources.base import SourceReport
from kapwatch.sources.records import Record
from kapwatch.store import Store, WindowStudies

WET_ABSTRACT = (
    "BACKGROUND: Ketamine relieves PTSD quickly but the effect fades. "
    "CONCLUSIONS: Ketamine combined with written exposure therapy led to sustained "
    "improvement in PTSD symptoms."
)


def make_digest(
    store: Store,
    seeds: Seeds,
    tmp_path: Path,
    records: list[Record],
    sources: list[SourceReport] | None = None,
) -> dict:
    window = store.open_window(date(2026, 11, 16), date(2026, 11, 22))
    store.add_records(window.id, records)
    studies = assess_window(store, window, seeds)
    context = build_context(
        window,
        studies,
        sources or [SourceReport("pubmed", "pubmed", "ok", 1, 1)],
        seeds,
        seeds.query(),
        store.news_in(window.id),
    )
    files = render(context, tmp_path / "digests")
    return {"context": context, "files": files}


def test_claim_update_with_stance_and_evidence(store: Store, seeds: Seeds, tmp_path: Path) -> None:
    record = Record(
        source="pubmed",
        title="Ketamine and written exposure therapy for PTSD",
        pmid="39000001",
        doi="10.1000/wet",
        abstract=WET_ABSTRACT,
        sections=[
            ("BACKGROUND", "Ketamine relieves PTSD quickly but the effect fades."),
            (
                "CONCLUSIONS",
                "Ketamine combined with written exposure therapy led to "
                "sustained improvement in PTSD symptoms.",
            ),
        ],
        pub_types=["Clinical Trial"],
        authors=["Doe J", "Roe R", "Poe P"],
        journal="Journal of Testing",
    )
    out = make_digest(store, seeds, tmp_path, [record])
    data = json.loads(out["files"].json.read_text())
    assert data["window"] == {"since": "2026-11-16", "until": "2026-11-22"}
    (item,) = data["studies"]
    assert item["pmid"] == "39000001" and item["relevant"] is True
    assert item["sources"] == ["pubmed"] and item["design"] == "clinical trial"
    wet = next(c for c in item["claims"] if c["claim_id"] == "kap-plasticity-11")
    assert wet["stance"] == "supports"
    assert "written exposure therapy" in wet["evidence"]
    assert {c["id"] for c in data["claims"]} >= {wet["claim_id"]}
    html = out["files"].html.read_text()
    assert "supports" in html and "https://pubmed.ncbi.nlm.nih.gov/39000001/" in html
    text = out["files"].text.read_text()
    assert "1. Ketamine and written exposure therapy for PTSD" in text
    assert re.search(
        r"SUPPORTS( \(possible link\))?: In PTSD, ketamine with written exposure", text
    )
    assert wet["family"] == "durability" and 0 <= wet["confidence"] <= 1
    assert wet["strength"] in ("strong", "possible")
    restated = {c["id"]: c["restated"] for c in data["claims"]}
    assert restated["kap-plasticity-11"].startswith("In PTSD, ketamine with written exposure")
    assert out["files"].html.name == "2026-W47.html"
    assert subject(out["context"]).startswith("kapwatch 2026-W47: ")


def test_quiet_week_and_failed_source_are_said(store: Store, seeds: Seeds, tmp_path: Path) -> None:
    sources = [
        SourceReport("pubmed", "pubmed", "empty"),
        SourceReport("jad", "feed", "error", error="not a feed (HTML page)"),
    ]
    out = make_digest(store, seeds, tmp_path, [], sources)
    html = out["files"].html.read_text()
    assert "Nothing relevant this week." in html
    assert "No new study bears on the seed articles" in html
    assert "not a feed (HTML page)" in html and "jad" in html
    data = json.loads(out["files"].json.read_text())
    assert data["sources"][1] == {
        "name": "jad",
        "kind": "feed",
        "status": "error",
        "items": 0,
        "kept": 0,
        "error": "not a feed (HTML page)",
    }


def test_hostile_title_is_inert_in_html_and_plain_in_text(
    store: Store, seeds: Seeds, tmp_path: Path
) -> None:
    record = Record(
        source="jad",
        title='Ketamine <script>alert(1)</script> & "depression"',
        doi="10.1000/evil",
        abstract="Ketamine for depression.",
    )
    out = make_digest(store, seeds, tmp_path, [record])
    html = out["files"].html.read_text()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert '<script>alert(1)</script> & "depression"' in out["files"].text.read_text()


def test_setup_type_is_what_the_flow_passes(seeds: Seeds) -> None:
    setup = Setup(seeds=seeds, sources=[], query=seeds.query())
    assert setup.query.startswith("(ketamine[tiab]")


def test_news_about_an_earlier_study_is_listed_and_flagged(
    store: Store, seeds: Seeds, tmp_path: Path
) -> None:
    first = store.open_window(date(2026, 11, 9), date(2026, 11, 15))
    store.add_records(first.id, [Record("pubmed", "Ketamine for PTSD", pmid="5", abstract="x")])
    store.take_new_studies(first.id)
    retraction = Record(
        "pubmed", "Ketamine for PTSD", pmid="5", pub_types=["Retracted Publication"]
    )
    out = make_digest(store, seeds, tmp_path, [retraction])
    data = json.loads(out["files"].json.read_text())
    (item,) = data["studies"]
    assert item["new"] is False and item["news"] == ["retracted"] and "retracted" in item["flags"]
    assert data["summary"]["news"] == 1 and data["summary"]["new_studies"] == 0
    assert "Changes to studies already sent" in out["files"].html.read_text()
    assert "RETRACTED: Ketamine for PTSD" in out["files"].text.read_text()


def test_author_lists_read_naturally() -> None:
    from kapwatch.digest.render import _authors_short

    assert _authors_short([]) == ""
    assert _authors_short(["Doe J"]) == "Doe J"
    assert _authors_short(["Sakopoulos, Stephanie", "Todman, McWelling"]) == (
        "Sakopoulos, Stephanie and Todman, McWelling"
    )
    assert _authors_short(["Doe J", "Roe R", "Poe P"]) == "Doe J et al."


def test_hostile_links_and_markup_never_reach_the_html(
    store: Store, seeds: Seeds, tmp_path: Path
) -> None:
    record = Record(
        source="jad",
        title='Ketamine for depression <img src=x onerror="alert(1)"> <a href="javascript:x()">x</a>',
        doi="10.1000/js",
        url="javascript:alert(document.cookie)",
        abstract='<style>body{display:none}</style> ketamine <b onclick="x()">depression</b>',
    )
    out = make_digest(store, seeds, tmp_path, [record])
    html = out["files"].html.read_text()
    # Everything the source sent is text: no live element, attribute or link comes of it.
    assert 'href="javascript' not in html and "<img" not in html and "<style>body" not in html
    assert "&lt;img src=x onerror=" in html
    data = json.loads(out["files"].json.read_text())
    assert data["studies"][0]["url"] == "https://doi.org/10.1000/js"


def wet_trial(n: int) -> Record:
    """A KAP trial that supports a claim; n makes each one a different work."""
    return Record(
        source="pubmed",
        title=f"Ketamine and written exposure therapy for PTSD: site {n}",
        pmid=str(39100000 + n),
        abstract=WET_ABSTRACT,
        sections=[
            (
                "CONCLUSIONS",
                "Ketamine combined with written exposure therapy led to "
                "sustained improvement in PTSD symptoms.",
            )
        ],
        pub_types=["Clinical Trial"],
        authors=[f"Site{n} A"],
        journal="Journal of Testing",
    )


def sedation(n: int) -> Record:
    return Record(
        source="pubmed",
        title=f"Ketamine sedation for paediatric fracture reduction: cohort {n}",
        pmid=str(39200000 + n),
        abstract="Children received intramuscular ketamine for sedation in the emergency department.",
        authors=[f"Ward{n} B"],
    )


def test_each_study_is_one_card_and_the_rest_are_counted(
    store: Store, seeds: Seeds, tmp_path: Path
) -> None:
    window = store.open_window(date(2026, 11, 16), date(2026, 11, 22))
    store.add_records(window.id, [wet_trial(n) for n in range(5)] + [sedation(n) for n in range(4)])
    studies = assess_window(store, window, seeds)
    context = build_context(window, studies, [], seeds, seeds.query(), [], shown=2)
    files = render(context, tmp_path)

    assert context["cards"] == 5 and len(context["candidates"]) == 5
    assert len(context["screened_out"]) == 2 and context["more"]["screened_out"] == 2
    assert context["summary"]["new_studies"] == 9 and context["summary"]["relevant"] == 5
    text, html = files.text.read_text(), files.html.read_text()
    assert "SCREENED OUT (4)" in text and "...and 2 more, in 2026-W47.json." in text
    for n in range(5):
        # Each study once, however many claims it bears on; the claims are inside its card.
        title = f"Ketamine and written exposure therapy for PTSD: site {n}"
        assert text.count(title) == 1 and html.count(title) == 1
        assert files.email_text.read_text().count(title) == 1
    assert html.count('<div id="s') == 5 and 'href="#s1"' in html
    # The headline names the claim and comes before the first card.
    assert html.index('id="headline"') < html.index('id="s1"')
    assert "New supporting or extending evidence for '" in context["summary"]["headline"]
    # The JSON lists every study, strongest first, whatever the email shows.
    data = json.loads(files.json.read_text())
    assert len(data["studies"]) == 9
    assert [s["relevant"] for s in data["studies"]] == [True] * 5 + [False] * 4
    assert files.head == {
        k: data[k] for k in ("label", "window", "generated", "summary", "sources", "query")
    }


def test_the_head_of_a_digest_is_read_without_its_studies(tmp_path: Path) -> None:
    path = tmp_path / "2026-W47.json"
    head = {"label": "2026-W47", "window": {"since": "a", "until": "b"}, "generated": "g"}
    head |= {"summary": {"relevant": 1}, "sources": [], "query": 'ketamine "KAP"'}
    out = io.StringIO()
    write_json({**head, "studies": [], "earlier": [], "claims": [], "citations": []}, out)
    body = out.getvalue()
    # Cut inside the studies, as if the file were too large to parse: the head still reads.
    cut = body.replace('"studies": [', '"studies": [{"half": ')
    path.write_text(cut[: cut.index('"half"') + 20], encoding="utf-8")
    assert read_head(path) == head
    path.write_text(body[:40], encoding="utf-8")  # cut inside the head: one clear error
    with pytest.raises(ValueError, match=r"2026-W47\.json"):
        read_head(path)


def test_rendering_a_large_window_holds_a_chunk_not_the_window(
    store: Store, seeds: Seeds, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Memory for a window of 1,500 studies stays near that of 150: the studies are read
    from the store a chunk at a time (WindowStudies), and the email keeps a few of them."""
    monkeypatch.setattr(WindowStudies, "CHUNK", 50)

    def peak(count: int, week: int) -> int:
        window = store.open_window(date(2026, 1, 5 + 7 * week), date(2026, 1, 11 + 7 * week))
        start = week * 10_000
        store.add_records(window.id, [wet_trial(start + n) for n in range(count)])
        studies = assess_window(store, window, seeds)
        tracemalloc.start()
        try:
            context = build_context(window, studies, [], seeds, seeds.query(), [])
            files = render(context, tmp_path / str(week))
            write_exports(context, tmp_path / str(week))
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
            assert json.loads(files.json.read_text())["summary"]["new_studies"] == count

    small, large = peak(150, 0), peak(1500, 1)
    assert large < 2 * small, f"150 studies: {small:,} B at peak; 1,500: {large:,} B"
