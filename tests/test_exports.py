"""RIS, BibTeX and the Atom feed of digests, written beside each digest."""

from __future__ import annotations

import json
from pathlib import Path

import feedparser

from kapwatch.digest.exports import atom_feed, bibtex_entry, ris_entry, write_exports
from kapwatch.store import Study

STUDY = {
    "pmid": "34186531",
    "doi": "10.1159/000517074",
    "title": "Cognitive Behavioral Therapy to Sustain the Antidepressant Effects of Ketamine\nin TRD",
    "authors": ["Wilkinson ST", "Rhee TG", "Joormann J"],
    "journal": "Psychotherapy and psychosomatics",
    "volume": "90",
    "issue": "5",
    "pages": "318-327",
    "year": 2021,
    "published": "2021-06-28",
    "url": "https://pubmed.ncbi.nlm.nih.gov/34186531/",
    "design": "randomized controlled trial",
    "reason": "ketamine; therapy: CBT",
    "relevant": True,
}


def digest(label: str, generated: str, studies: list[dict]) -> dict:
    return {
        "label": label,
        "generated": generated,
        "window": {"since": "2026-11-16", "until": "2026-11-22"},
        "summary": {
            "new_studies": len(studies),
            "relevant": 1,
            "claim_updates": 2,
            "failed_sources": ["jama-psychiatry"],
        },
        "studies": studies,
    }


def test_ris_has_one_record_per_study_and_one_line_per_tag() -> None:
    ris = ris_entry(STUDY)
    lines = ris.splitlines()
    assert lines[0] == "TY  - JOUR" and "ER  - " in lines
    assert (
        "TI  - Cognitive Behavioral Therapy to Sustain the Antidepressant Effects of Ketamine in TRD"
        in lines
    )
    assert [line for line in lines if line.startswith("AU  - ")] == [
        "AU  - Wilkinson ST",
        "AU  - Rhee TG",
        "AU  - Joormann J",
    ]
    assert {"SP  - 318", "EP  - 327", "DO  - 10.1159/000517074", "AN  - PMID:34186531"} <= set(
        lines
    )


def test_bibtex_escapes_and_keys() -> None:
    odd = {**STUDY, "title": "50% of {patients} & more", "pmid": None}
    taken: set[str] = set()  # the keys of one file
    bib = bibtex_entry(STUDY, taken) + bibtex_entry(odd, taken)
    assert bib.count("@article{") == 2
    assert "@article{wilkinson2021," in bib and "@article{wilkinson2021a," in bib
    assert "author = {Wilkinson ST and Rhee TG and Joormann J}" in bib
    assert "pages = {318--327}" in bib
    assert r"title = {50\% of \{patients\} \& more}" in bib


def test_atom_feed_lists_every_digest_newest_first(tmp_path: Path) -> None:
    for label, generated in (
        ("2026-W46", "2026-11-16T07:00:00+00:00"),
        ("2026-W47", "2026-11-23T07:00:00+00:00"),
    ):
        data = digest(label, generated, [STUDY])
        (tmp_path / f"{label}.json").write_text(json.dumps(data), encoding="utf-8")
    (tmp_path / "broken.json").write_text("{half", encoding="utf-8")
    parsed = feedparser.parse(atom_feed(tmp_path))
    assert parsed.version == "atom10" and not parsed.bozo
    assert [e.id for e in parsed.entries] == [
        "urn:kapwatch:digest:2026-W47",
        "urn:kapwatch:digest:2026-W46",
    ]
    assert parsed.entries[0].link == "2026-W47.html"
    assert "failed sources: jama-psychiatry" in parsed.entries[0].summary


def test_write_exports_keeps_only_relevant_studies(tmp_path: Path) -> None:
    def study(title: str, pmid: str, relevant: bool) -> Study:
        # A study as the store hands it over (column defaults are filled in on insert).
        blank = dict(journal="", volume="", issue="", pages="", reason="", design="")
        return Study(title=title, pmid=pmid, relevant=relevant, authors=[], flags=[], **blank)

    studies = [study("Ketamine with CBT", "34186531", True), study("Sedation", "1", False)]
    data = {"label": "2026-W47", "studies": studies, "earlier": [STUDY | {"pmid": "2"}]}
    ris, bib, feed = write_exports(data, tmp_path)
    text = ris.read_text()
    assert text.count("TY  - JOUR") == 2 and "PMID:34186531\n" in text and "PMID:2\n" in text
    assert "PMID:1\n" not in text
    assert bib.name == "2026-W47.bib" and bib.read_text().count("@article{") == 2
    assert feed.name == "feed.xml"
