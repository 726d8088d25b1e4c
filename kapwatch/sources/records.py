"""The shape every source's output takes before it reaches the store."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(slots=True)
class Correction:
    """One CommentsCorrections link of a PubMed record (e.g. RetractionIn, ErratumIn)."""

    kind: str
    ref: str = ""
    pmid: str | None = None


@dataclass(slots=True)
class Record:
    """One study as one source reported it.

    PubMed fills most fields; a feed item fills what its feed carries (often title, DOI,
    authors, date and a short description in `abstract`).
    """

    source: str
    title: str
    pmid: str | None = None
    doi: str | None = None  # normalised by dedupe.normalize_doi
    pmcid: str | None = None
    abstract: str = ""
    sections: list[tuple[str, str]] = field(default_factory=list)  # (label, text)
    authors: list[str] = field(default_factory=list)  # "Surname AB" or a collective name
    journal: str = ""
    journal_abbrev: str = ""  # PubMed's ISO abbreviation, when the source gives one
    volume: str = ""
    issue: str = ""
    pages: str = ""
    published: date | None = None
    year: int | None = None
    pub_types: list[str] = field(default_factory=list)
    mesh: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    language: str = ""
    url: str | None = None
    corrections: list[Correction] = field(default_factory=list)
    is_book: bool = False
    is_preprint: bool = False
    # Whose columns win when records of one study meet: a record of higher precedence (PubMed's
    # full record) replaces what it fills; one at the default (a feed item) only fills gaps.
    precedence: int = 0

    @property
    def first_author(self) -> str | None:
        return self.authors[0] if self.authors else None

    @property
    def flags(self) -> list[str]:
        """Editorial states a reader must see next to the study."""
        kinds = {c.kind for c in self.corrections}
        types = {t.lower() for t in self.pub_types}
        flags = []
        if "retracted publication" in types or "RetractionIn" in kinds:
            flags.append("retracted")
        if "retraction of publication" in types:
            flags.append("retraction_notice")
        if "ErratumIn" in kinds or "published erratum" in types:
            flags.append("erratum")
        if "ExpressionOfConcernIn" in kinds:
            flags.append("expression_of_concern")
        if self.is_preprint or "preprint" in types:
            flags.append("preprint")
        return flags
