from __future__ import annotations

import pytest

from kapwatch.store.dedupe import Candidate, author_key, best_match, normalize_doi, title_key


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("10.3390/IJMS26146673", "10.3390/ijms26146673"),
        ("https://doi.org/10.3390/ijms26146673", "10.3390/ijms26146673"),
        ("http://dx.doi.org/10.1176/appi.ajp.2021.20050596.", "10.1176/appi.ajp.2021.20050596"),
        ("doi:10.1038/s41386-019-0310-8", "10.1038/s41386-019-0310-8"),
        ("DOI: 10.1038/S41386-019-0310-8", "10.1038/s41386-019-0310-8"),
        ("NA", None),
        ("", None),
        (None, None),
    ],
)
def test_normalize_doi(raw: str | None, expected: str | None) -> None:
    assert normalize_doi(raw) == expected


def test_title_key_ignores_case_punctuation_markup_notes_and_accents() -> None:
    a = title_key("Ketamine <i>plus</i> Written-Exposure Therapy: an Open-Label Trial.")
    b = title_key("Ketamine plus written exposure therapy an open label trial [Article in German]")
    assert a.replace(" i ", " ") == b
    assert title_key("Öngür") == "ongur"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Wilkinson ST", "wilkinson"),
        ("van der Touw T", "vandertouw"),
        ("Öngür, D.", "ongur"),
        # A two-letter surname written as a name is not initials; PubMed's "Bi Q" still works.
        ("Qifang Bi", "bi"),
        ("Yongsheng Wu", "wu"),
        ("Bi Q", "bi"),
        ("Li N", "li"),
        ("Cheng-Ta Li", "li"),
        # A generational suffix is not the surname.
        ("Carlos A Zarate Jr", "zarate"),
        ("Zarate CA Jr", "zarate"),
    ],
)
def test_author_key(raw: str, expected: str) -> None:
    assert author_key(raw) == expected


def test_fuzzy_match_within_blocked_candidates() -> None:
    title = (
        "Repeated ketamine infusions for chronic posttraumatic stress disorder: a randomized trial"
    )
    candidates = [
        Candidate(1, title_key("Ketamine for depression in older adults"), 2021, "feder"),
        Candidate(2, title_key(title.replace("a randomized", "a randomised")), 2021, "feder"),
    ]
    assert best_match(title, 2021, "Feder A", candidates) == 2
    # Same title, years three apart: a different work (e.g. an update or a reply).
    assert best_match(title, 2024, "Feder A", candidates) is None
    # Another first author: not the same work.
    assert best_match(title, 2021, "Smith J", candidates) is None


def test_short_titles_never_merge_on_fuzz() -> None:
    candidates = [Candidate(1, title_key("Reply to letter"), 2020, "")]
    assert best_match("Reply to letters", 2020, None, candidates) is None
    assert best_match("Reply to letter", 2020, None, candidates) == 1


def test_translated_titles_and_dashes() -> None:
    assert title_key("[Clinical aspects of the complement system]. [Japanese]") == title_key(
        "Clinical aspects of the complement system. [Japanese]"
    )
    assert title_key("Hemolytic–Uremic Syndrome") == title_key("hemolytic-uremic syndrome")


@pytest.mark.parametrize(
    "written",
    [
        "Wilkinson ST",
        "Wilkinson, Samuel T.",
        "Samuel T. Wilkinson",
        "Samuel Wilkinson",
        "WILKINSON S",
    ],
)
def test_author_key_whichever_way_the_name_is_written(written: str) -> None:
    assert author_key(written) == "wilkinson"
