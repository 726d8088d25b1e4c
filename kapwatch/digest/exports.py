"""Files beside each digest: an Atom feed of all digests, and the week's studies as RIS and BibTeX.

A reader can subscribe to the Atom feed instead of (or as well as) the email, and import the
week's relevant studies into Zotero, EndNote or any reference manager.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kapwatch.digest.archive import FEED_FILE, INDEX_FILE, atom_feed, index_html
from kapwatch.digest.names import Person, ascii_word, people
from kapwatch.digest.render import atomic, listed_studies

__all__ = ["atom_feed", "bibtex_entry", "ris_entry", "write_exports"]


def _pages(pages: str) -> tuple[str, str]:
    start, _, end = (pages or "").partition("-")
    return start.strip(), end.strip()


def ris_entry(study: dict[str, Any], persons: list[Person] | None = None) -> str:
    """One RIS record (the tagged format every reference manager imports); `persons`: the
    study's authors_of, when at hand."""
    out: list[str] = []
    tags: list[tuple[str, str]] = [("TY", "JOUR"), ("TI", study["title"])]
    persons = authors_of(study) if persons is None else persons
    tags += [("AU", ris_name(person)) for person in persons]
    tags += [
        ("PY", str(study["year"] or "")),
        ("DA", (study["published"] or "").replace("-", "/")),
        ("JO", study["journal"] or ""),
        ("VL", study.get("volume") or ""),
        ("IS", study.get("issue") or ""),
    ]
    start, end = _pages(study.get("pages") or "")
    tags += [("SP", start), ("EP", end), ("DO", study["doi"] or "")]
    tags += [
        ("AN", f"PMID:{study['pmid']}" if study["pmid"] else ""),
        ("UR", study["url"] or ""),
    ]
    tags += [("N1", f"kapwatch: {study['design']}; {study['reason']}")]
    for tag, value in tags:
        value = " ".join(str(value).split())  # one line per tag, whatever the source held
        if value:
            out.append(f"{tag}  - {value}")
    out.append("ER  - ")
    return "\n".join(out) + "\n"


def authors_of(study: dict[str, Any]) -> list[Person]:
    return people(study["authors"], pubmed="pubmed" in (study.get("sources") or []))


def ris_name(person: Person) -> str:
    """'Grabski, M', 'da Silva, URL' (initials as given), or a collective name whole."""
    return f"{person.last}, {person.first}" if person.first else person.last


def bib_name(person: Person) -> str:
    """'Grabski, M.'; '{da Silva}, U. R. L.' (a particle or several words braced, so BibTeX
    keeps them in the surname); '{Canadian Respiratory Research Network}'."""
    last = _bib_escape(person.last)
    if person.collective or " " in person.last or person.last[:1].islower():
        last = "{" + last + "}"
    first = _bib_escape(person.initials or person.first)
    return f"{last}, {first}" if first else last


_BIB_SPECIAL = str.maketrans({c: "\\" + c for c in "{}\\&%$#_"})  # each with a backslash


def _bib_escape(text: str) -> str:
    text = " ".join(str(text).split())
    return text.translate(_BIB_SPECIAL)


TITLE_SKIP = frozenset(
    ["a", "an", "the", "of", "on", "in", "for", "and", "to", "with", "from", "by", "at"]
)


def _bib_key(study: dict[str, Any], taken: set[str], persons: list[Person]) -> str:
    """surnameYEARfirstword ("grabski2022ketamine"), a letter added when taken."""
    surname = ascii_word(persons[0].last if persons else "") or "anon"
    words = [ascii_word(w) for w in (study["title"] or "").split()]
    first = next((w for w in words if w and w not in TITLE_SKIP), "")
    key = base = f"{surname}{study['year'] or ''}{first}"
    suffix = ord("a")
    while key in taken:
        key = f"{base}{chr(suffix)}"
        suffix += 1
    taken.add(key)
    return key


def bibtex_entry(
    study: dict[str, Any], taken: set[str], persons: list[Person] | None = None
) -> str:
    """One @article; `taken` holds the keys used so far in the file (and gets this one);
    `persons`: the study's authors_of, when at hand."""
    persons = authors_of(study) if persons is None else persons
    fields = {
        "title": study["title"],
        "author": " and ".join(bib_name(p) for p in persons),
        "journal": study["journal"],
        "year": study["year"],
        "volume": study.get("volume"),
        "number": study.get("issue"),
        "pages": (study.get("pages") or "").replace("-", "--"),
        "doi": study["doi"],
        "pmid": study["pmid"],
        "url": study["url"],
    }
    body = ",\n".join(
        f"  {name} = {{{value if name == 'author' else _bib_escape(value)}}}"
        for name, value in fields.items()
        if value
    )
    return f"@article{{{_bib_key(study, taken, persons)},\n{body}\n}}\n"


def write_exports(
    digest: dict[str, Any], digests_dir: Path, public_url: str | None = None
) -> list[Path]:
    """<label>.ris and <label>.bib (the relevant studies, written as they are read), the
    updated feed.xml and the archive's index.html; returns their paths."""
    ris = digests_dir / f"{digest['label']}.ris"
    bib = digests_dir / f"{digest['label']}.bib"
    taken: set[str] = set()
    with atomic(ris) as ris_out, atomic(bib) as bib_out:
        first = True
        for study in listed_studies(digest):
            if study["relevant"]:
                gap = "" if first else "\n"
                persons = authors_of(study)  # parsed once for both files
                ris_out.write(gap + ris_entry(study, persons))
                bib_out.write(gap + bibtex_entry(study, taken, persons))
                first = False
    feed, index = digests_dir / FEED_FILE, digests_dir / INDEX_FILE
    with atomic(feed) as out:
        out.write(atom_feed(digests_dir, public_url).decode("utf-8"))
    with atomic(index) as out:
        out.write(index_html(digests_dir, public_url))
    return [ris, bib, feed, index]
