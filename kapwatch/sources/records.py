"""The shape every source's output takes before it reaches the store."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from kapwatch.vocabulary import Flag

# What a notice's CommentsCorrections link says about the article it points to.
NOTICE_TARGETS = {
    "RetractionOf": Flag.RETRACTED,
    "ErratumFor": Flag.ERRATUM,
    "ExpressionOfConcernFor": Flag.EXPRESSION_OF_CONCERN,
}
# What a study's own CommentsCorrections link says about it.
CHANGE_LINKS = {
    "RetractionIn": Flag.RETRACTED,
    "ErratumIn": Flag.ERRATUM,
    "ExpressionOfConcernIn": Flag.EXPRESSION_OF_CONCERN,
    "UpdateIn": Flag.UPDATED,
}
_FLAG_ORDER = {flag: i for i, flag in enumerate(Flag)}  # flags in the vocabulary's order
# Publication types of editorial notices (PubMed's), and what each says of its target.
NOTICE_TYPES = {
    "retraction of publication": Flag.RETRACTED,
    "published erratum": Flag.ERRATUM,
    "expression of concern": Flag.EXPRESSION_OF_CONCERN,
}
# A feed item's title that opens like this is a notice about the work the rest names.
_NOTICE_TITLE = re.compile(
    r"^\s*(?:(?P<retracted>retraction|notice\s+of\s+retraction|retracted(?:\s+article)?)"
    r"|(?P<erratum>erratum|errata|correction|corrigendum)"
    r"|(?P<concern>(?:editorial\s+)?expression\s+of\s+concern))"
    r"(?:\s+notice)?(?:\s*:|\s+(?:to|for|regarding|on)\b\s*:?|\s+[-–—]\s)\s*",
    re.IGNORECASE,
)


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
    # Links to the other version of the work, Crossref-style: ("is-preprint-of", doi) on a
    # preprint, ("has-preprint", doi) on a journal version.
    relations: list[tuple[str, str]] = field(default_factory=list)
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
        """Editorial states a reader must see next to the study (its own CommentsCorrections
        links: RetractionIn, ErratumIn, ExpressionOfConcernIn, UpdateIn)."""
        kinds = {c.kind for c in self.corrections}
        types = {t.lower() for t in self.pub_types}
        found = {flag for kind, flag in CHANGE_LINKS.items() if kind in kinds}
        if "retracted publication" in types:
            found.add(Flag.RETRACTED)
        if "retraction of publication" in types:
            found.add(Flag.RETRACTION_NOTICE)
        if self.is_preprint or "preprint" in types:
            found.add(Flag.PREPRINT)
            found.discard(Flag.UPDATED)  # a preprint's UpdateIn is its journal version
        return [str(flag) for flag in sorted(found, key=_FLAG_ORDER.__getitem__)]

    @property
    def notice(self) -> Flag | None:
        """What this record is a notice of (a retraction, an erratum, an expression of
        concern), or None when it is a study: by PubMed's publication type, or a feed item's
        title ("Correction to: ...", "Retraction notice to ...")."""
        types = {t.lower() for t in self.pub_types}
        for name, flag in NOTICE_TYPES.items():
            if name in types:
                return flag
        if not self.pmid:
            opening = _NOTICE_TITLE.match(self.title)
            if opening is not None and opening.end() < len(self.title):
                if opening["retracted"]:
                    return Flag.RETRACTED
                return Flag.ERRATUM if opening["erratum"] else Flag.EXPRESSION_OF_CONCERN
        return None

    @property
    def notice_title(self) -> str:
        """A feed notice's title without its opening: the title of the work it is about."""
        opening = _NOTICE_TITLE.match(self.title)
        return self.title[opening.end() :].strip() if opening else self.title

    def notice_targets(self) -> list[tuple[str, Flag]]:
        """(PMID, flag) for each article this notice points to by CommentsCorrections."""
        return [
            (c.pmid, NOTICE_TARGETS[c.kind])
            for c in self.corrections
            if c.kind in NOTICE_TARGETS and c.pmid
        ]

    def other_versions(self) -> tuple[set[str], set[str]]:
        """(DOIs, PMIDs) this record names as another version of itself: Crossref-style
        relations, PubMed's UpdateOf/UpdateIn links and, for a journal version, any
        medRxiv/bioRxiv DOI it carries."""
        dois = {doi.lower() for _kind, doi in self.relations if doi}
        pmids = {c.pmid for c in self.corrections if c.kind in ("UpdateOf", "UpdateIn") and c.pmid}
        return dois, pmids
