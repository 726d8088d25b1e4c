from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from kapwatch.digest import SourceReport, build_context, render, subject
from kapwatch.pipeline import Setup, assess_window
from kapwatch.records import Record
from kapwatch.seeds import Seeds
from kapwatch.store import Store

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
    wet = next(c for c in item["claims"] if c["stance"] == "supports")
    assert "written exposure therapy" in wet["evidence"]
    assert {c["id"] for c in data["claims"]} >= {wet["claim_id"]}
    html = out["files"].html.read_text()
    assert "supports" in html and "https://pubmed.ncbi.nlm.nih.gov/39000001/" in html
    text = out["files"].text.read_text()
    assert "SUPPORTS: Ketamine and written exposure therapy for PTSD" in text
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
    setup = Setup(seeds=seeds, feeds=[], query=seeds.query())
    assert setup.query.startswith("(ketamine[tiab]")


def test_news_about_an_earlier_study_is_listed_and_flagged(
    store: Store, seeds: Seeds, tmp_path: Path
) -> None:
    first = store.open_window(date(2026, 11, 9), date(2026, 11, 15))
    store.add_records(first.id, [Record("pubmed", "Ketamine for PTSD", pmid="5", abstract="x")])
    store.claim_new_studies(first.id)
    retraction = Record(
        "pubmed", "Ketamine for PTSD", pmid="5", pub_types=["Retracted Publication"]
    )
    out = make_digest(store, seeds, tmp_path, [retraction])
    data = json.loads(out["files"].json.read_text())
    (item,) = data["studies"]
    assert item["new"] is False and item["news"] == ["retracted"] and "retracted" in item["flags"]
    assert data["summary"]["news"] == 1 and data["summary"]["new_studies"] == 0
    assert "News about studies sent before" in out["files"].html.read_text()
    assert "RETRACTED: Ketamine for PTSD" in out["files"].text.read_text()


def test_author_lists_read_naturally() -> None:
    from kapwatch.digest import _authors_short

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
