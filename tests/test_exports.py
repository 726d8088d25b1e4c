"""RIS, BibTeX and the Atom feed of digests, written beside each digest."""

from __future__ import annotations

import json
from pathlib import Path

import feedparser
import pytest

from kapwatch.digest.archive import index_html
from kapwatch.digest.exports import atom_feed, bibtex_entry, ris_entry, write_exports
from kapwatch.digest.names import people
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
        "AU  - Wilkinson, ST",
        "AU  - Rhee, TG",
        "AU  - Joormann, J",
    ]
    assert {"SP  - 318", "EP  - 327", "DO  - 10.1159/000517074", "AN  - PMID:34186531"} <= set(
        lines
    )


def test_bibtex_escapes_and_keys() -> None:
    odd = {**STUDY, "title": "50% of {patients} & more", "pmid": None}
    taken: set[str] = set()  # the keys of one file
    bib = bibtex_entry(STUDY, taken) + bibtex_entry(odd, taken)
    assert bib.count("@article{") == 2
    assert "@article{wilkinson2021cognitive," in bib and "@article{wilkinson202150," in bib
    assert "author = {Wilkinson, S. T. and Rhee, T. G. and Joormann, J.}" in bib
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
    ris, bib, feed, index = write_exports(data, tmp_path)
    text = ris.read_text()
    assert text.count("TY  - JOUR") == 2 and "PMID:34186531\n" in text and "PMID:2\n" in text
    assert "PMID:1\n" not in text
    assert bib.name == "2026-W47.bib" and bib.read_text().count("@article{") == 2
    assert feed.name == "feed.xml" and index.name == "index.html"


def test_same_key_gets_a_letter() -> None:
    taken: set[str] = set()
    bib = bibtex_entry(STUDY, taken) + bibtex_entry(STUDY, taken)
    assert "@article{wilkinson2021cognitive," in bib and "@article{wilkinson2021cognitivea," in bib


@pytest.mark.parametrize(
    ("authors", "expected"),
    [
        (["Grabski M"], [("Grabski", "M")]),
        (["da Silva URL"], [("da Silva", "URL")]),
        (
            ["Sakopoulos, Stephanie", "Todman, McWelling"],
            [("Sakopoulos", "Stephanie"), ("Todman", "McWelling")],
        ),
        (["Stephanie Sakopoulos"], [("Sakopoulos", "Stephanie")]),
        (["Ludwig van Beethoven"], [("van Beethoven", "Ludwig")]),
        (
            ["A. Smith, B. Jones and C. Lee"],
            [("Smith", "A."), ("Jones", "B."), ("Lee", "C.")],
        ),
        (["Smith, J.; Jones, K."], [("Smith", "J."), ("Jones", "K.")]),
        (["Smith, J., Jones, K."], [("Smith", "J."), ("Jones", "K.")]),
        (
            ["Canadian Respiratory Research Network"],
            [("Canadian Respiratory Research Network", "")],
        ),
    ],
)
def test_author_strings_become_people(authors: list[str], expected: list[tuple[str, str]]) -> None:
    assert [(p.last, p.first) for p in people(authors)] == expected


def test_particles_and_collective_names_read_right_in_bibtex() -> None:
    study = STUDY | {"authors": ["da Silva URL", "COVID-19 Study Group", "Müller-Lüdenscheidt H-J"]}
    entry = bibtex_entry(study, set())
    assert (
        "author = {{da Silva}, U. R. L. and {COVID-19 Study Group} and Müller-Lüdenscheidt, H.-J.}"
        in entry
    )
    (person_da, group, muller) = bibtex_people(entry)
    assert surname(person_da) == "da Silva" and surname(group) == "COVID-19 Study Group"
    assert surname(muller) == "Müller-Lüdenscheidt" and person_da.first_names == ["U."]


NCBI = Path(__file__).resolve().parents[2] / "shared" / "data" / "ncbi"


def bibtex_people(entry: str) -> list:
    from pybtex.database import parse_string

    (parsed,) = parse_string(entry, "bibtex").entries.values()
    return list(parsed.persons["author"])


def surname(person) -> str:  # type: ignore[no-untyped-def]
    return " ".join(person.prelast_names + person.last_names).replace("{", "").replace("}", "")


def pubmed_names(path: Path) -> dict[str, list[tuple[str, str, str]]]:
    """PMID -> (LastName, ForeName, Initials) of each person, or (CollectiveName, "", "")."""
    from lxml import etree

    names = {}
    for article in etree.parse(str(path)).iter("PubmedArticle"):
        pmid = article.findtext(".//PMID")
        people_ = []
        for author_list in article.iter("AuthorList"):
            if author_list.get("Type") == "editors":
                continue
            for author in author_list.findall("Author"):
                last = (
                    "".join(author.find("LastName").itertext())
                    if author.find("LastName") is not None
                    else ""
                )
                fore = author.findtext("ForeName") or ""
                initials = author.findtext("Initials") or ""
                collective = author.find("CollectiveName")
                if last:
                    people_.append((" ".join(last.split()), fore.strip(), initials.strip()))
                elif collective is not None:
                    people_.append(("".join(collective.itertext()).strip(), "", ""))
        names[pmid] = people_
    return names


def letters(name: str) -> str:
    return name.replace("-", "").replace(".", "").replace(" ", "")


@pytest.mark.skipif(not NCBI.is_dir(), reason="the shared NCBI records are not on this machine")
def test_every_pubmed_name_reads_right_in_ris_and_bibtex() -> None:
    """Real PubMed records (shared/data/ncbi): parse them as kapwatch does, export, read the
    exports back with rispy and pybtex, and compare every name with LastName and ForeName."""
    import rispy

    from kapwatch.sources.pubmed_xml import parse_pubmed

    checked = 0
    for path in sorted(NCBI.rglob("*.xml")):
        if b"<PubmedArticle>" not in path.read_bytes():
            continue
        expected = pubmed_names(path)
        for record in parse_pubmed(path.read_bytes()):
            truth = expected.get(record.pmid or "")
            if not truth:
                continue
            study = STUDY | {
                "authors": record.authors,
                "title": record.title,
                "sources": ["pubmed"],
            }
            (ris,) = rispy.loads(ris_entry(study))
            bib = bibtex_people(bibtex_entry(study, set()))
            assert len(ris["authors"]) == len(bib) == len(truth), (path.name, record.pmid)
            for got_ris, got_bib, (last, fore, initials) in zip(
                ris["authors"], bib, truth, strict=True
            ):
                collective = not (fore or initials)
                ris_last, _, ris_first = ("", "", "") if collective else got_ris.partition(", ")
                ris_last = got_ris if collective else ris_last
                assert ris_last == last and surname(got_bib) == last, (path.name, got_ris, last)
                bib_first = " ".join(got_bib.first_names + got_bib.middle_names)
                if fore or initials:
                    # The initials PubMed gives for the ForeName, as given (RIS) or dotted (BibTeX).
                    assert ris_first == (initials or fore), (got_ris, fore, initials)
                    assert letters(bib_first).upper() == letters(initials or fore).upper() or (
                        letters(bib_first) == "".join(w[0] for w in (initials or fore).split())
                    ), (str(got_bib), fore)
                    assert bib_first[:1] == fore[:1] or not fore, (str(got_bib), fore)
                else:
                    assert not ris_first and not bib_first
                checked += 1
    assert checked > 100, checked


def test_feed_links_are_absolute_with_a_public_url(tmp_path: Path) -> None:
    data = digest("2026-W47", "2026-11-23T07:00:00+00:00", [STUDY])
    data["summary"]["headline"] = "1 new study challenges 'x'. 1 relevant of 1 new study."
    (tmp_path / "2026-W47.json").write_text(json.dumps(data), encoding="utf-8")
    parsed = feedparser.parse(atom_feed(tmp_path, "https://example.org/kap/"))
    assert parsed.version == "atom10" and not parsed.bozo
    assert parsed.feed.id == "https://example.org/kap/feed.xml"
    assert parsed.feed.title and parsed.feed.updated and parsed.feed.author == "kapwatch"
    (entry,) = parsed.entries
    assert entry.id == entry.link == "https://example.org/kap/2026-W47.html"
    assert entry.title == "2026-W47: 1 new study challenges 'x'. 1 relevant of 1 new study."
    assert entry.updated and entry.summary
    page = index_html(tmp_path, "https://example.org/kap")
    assert 'href="https://example.org/kap/2026-W47.html"' in page
    assert "1 new study challenges &#39;x&#39;" in page
