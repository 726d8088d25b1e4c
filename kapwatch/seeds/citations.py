"""The citation check: is each seed reference real, printed right, and about what it is cited for?

Each reference is looked up once (ECitMatch for the fully printed ones, then ESearch on its
DOI, its title words, and its first author and year), the candidates are fetched in one EFetch
and scored by title, and the best is compared field by field with what the article printed.
Verdicts are cached in the store by a fingerprint of the reference and the claims citing it,
so a weekly run only re-reads the matched records for retractions and errata.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from rapidfuzz import fuzz

from kapwatch.seeds.articles import Claim, Reference, Seeds
from kapwatch.seeds.lexicon import Lexicon
from kapwatch.sources.eutils import Eutils
from kapwatch.sources.records import Record
from kapwatch.store.dedupe import fold, normalize_doi

STATUSES = ("verified", "details_differ", "off_topic", "retracted", "corrected", "not_found")
SAME_TITLE = 90  # rapidfuzz score at which two titles are the same title
LIKELY_TITLE = 75  # enough when the first author or the year agrees as well
MAX_CANDIDATES = 5  # per ESearch: the right record, if any, ranks near the top
MIN_SHARED = 4  # distinctive title words a reworded title must share with the real one
_STOP = frozenset(
    {"a", "an", "and", "are", "as", "at", "by", "for", "from", "in", "into", "is", "of", "on"}
    | {"or", "the", "to", "with", "its", "their", "our", "under", "over", "using", "study"}
    | {"trial", "review", "effects", "effect"}
)


@dataclass
class CitationCheck:
    seed: str  # the article's file name
    key: str
    reference: str  # as printed
    status: list[str]
    differences: list[str] = field(default_factory=list)
    pmid: str | None = None
    doi: str | None = None
    title: str | None = None  # the real record's
    citation: str | None = None  # the real record, cited in full
    note: str = ""  # one line: what differs, or why it is off topic
    claims: list[str] = field(default_factory=list)  # ids of the claims citing it
    fingerprint: str = ""

    def as_json(self) -> dict[str, object]:
        data = asdict(self)
        data.pop("fingerprint")
        return data


def from_store(rows: dict[str, dict[str, Any]]) -> dict[str, CitationCheck]:
    """The verdicts Store.citation_checks() kept, by fingerprint."""
    return {fp: CitationCheck(**result, fingerprint=fp) for fp, result in rows.items()}


def fingerprint(reference: Reference, claims: list[Claim]) -> str:
    """Changes when the reference or the claims citing it change (then it is checked again)."""
    text = "\n".join([reference.raw, *(c.text for c in claims)])
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def citing(seeds: Seeds) -> list[tuple[str, Reference, list[Claim]]]:
    """(seed file, reference, the claims that cite it) for every reference."""
    rows = []
    for article in seeds.articles:
        for ref in article.references:
            claims = [c for c in article.claims if ref.key in c.references]
            rows.append((article.file, ref, claims))
    return rows


# --- look-ups -------------------------------------------------------------------------------


def ecitmatch_line(ref: Reference) -> str | None:
    """ECitMatch wants journal, year, volume, first page and first author; None without them."""
    first_page = re.split(r"[-–]", ref.pages)[0].strip() if ref.pages else ""
    if not (ref.journal and ref.volume and first_page and ref.first_author):
        return None
    return f"{ref.journal}|{ref.year}|{ref.volume}|{first_page}|{ref.first_author}|{ref.key}|"


def title_words(title: str, limit: int = 8) -> list[str]:
    """The distinctive words of a title, for a [ti] search (longest first, at most `limit`)."""
    words = [w for w in re.findall(r"[a-z0-9]+", fold(title)) if len(w) > 3 and w not in _STOP]
    unique = list(dict.fromkeys(words))
    keep = set(sorted(unique, key=len, reverse=True)[:limit])
    return [w for w in unique if w in keep]


def search_terms(ref: Reference) -> list[str]:
    """ESearch terms from most to least specific; the first that finds anything is used."""
    terms = []
    if ref.doi:
        terms.append(f'"{ref.doi}"[doi]')
    words = title_words(ref.title)
    if words:
        titled = " AND ".join(f"{w}[ti]" for w in words)
        terms.append(titled)
        # A wrong word or two in the printed title: the first author and year instead.
        if ref.first_author:
            head = " AND ".join(f"{w}[ti]" for w in words[:3])
            terms.append(f"{fold(ref.first_author)}[1au] AND {ref.year}[dp] AND {head}")
        # Wrong author and reworded title: any of its words, near its year, best match first.
        any_word = " OR ".join(f"{w}[ti]" for w in words)
        terms.append(f"({any_word}) AND {ref.year - 1}:{ref.year + 1}[dp]")
    return terms


def lookup(
    eutils: Eutils,
    refs: list[Reference],
    progress: Callable[[str], None] | None = None,
) -> dict[str, list[Record]]:
    """reference key -> candidate records, in as few requests as the references allow."""
    matched = eutils.ecitmatch([line for r in refs if (line := ecitmatch_line(r))])
    candidates: dict[str, list[str]] = {}
    for ref in refs:
        if ref.key in matched:
            candidates[ref.key] = [matched[ref.key]]
            continue
        candidates[ref.key] = []
        for term in search_terms(ref):
            ids = eutils.search_ids(term, retmax=MAX_CANDIDATES).ids
            if ids:
                candidates[ref.key] = ids
                break
        if progress is not None:
            progress(ref.key)
    wanted = sorted({pmid for ids in candidates.values() for pmid in ids})
    records = {r.pmid: r for r in eutils.fetch_ids(wanted) if r.pmid}
    return {key: [records[p] for p in ids if p in records] for key, ids in candidates.items()}


# --- verdicts -------------------------------------------------------------------------------


def shared_words(printed: str, real: str) -> tuple[int, float]:
    """How many of the printed title's distinctive words the real title has, and what share."""
    wanted = set(title_words(printed, limit=20))
    have = set(re.findall(r"[a-z0-9]+", fold(real)))
    shared = len(wanted & have)
    return shared, shared / len(wanted) if wanted else 0.0


def title_score(printed: str, real: str) -> float:
    a = " ".join(re.findall(r"[a-z0-9]+", fold(printed)))
    b = " ".join(re.findall(r"[a-z0-9]+", fold(real)))
    # A printed title may drop the subtitle ("...: a randomized clinical trial").
    if len(a) > 20 and b.startswith(a):
        return 100.0
    return max(fuzz.ratio(a, b), fuzz.token_sort_ratio(a, b))


def same_title(printed: str, real: str) -> bool:
    """The real title, or its start (a subtitle left off); a reworded title is not."""
    return title_score(printed, real) >= SAME_TITLE


def _surname(author: str) -> str:
    """'Wilkinson ST' -> 'wilkinson'; a collective name is kept whole."""
    parts = author.split()
    if len(parts) > 1 and parts[-1].isupper() and len(parts[-1]) <= 3:
        parts = parts[:-1]
    return fold(" ".join(parts))


def best_record(ref: Reference, records: list[Record]) -> Record | None:
    """The candidate that is this reference, or None when none is close enough."""
    best, best_score = None, 0.0
    for record in records:
        if ref.doi and normalize_doi(ref.doi) == record.doi:
            return record
        score = title_score(ref.title, record.title)
        same_author = bool(record.authors) and _surname(record.authors[0]) == fold(ref.first_author)
        near_year = record.year is not None and abs(record.year - ref.year) <= 1
        close = score >= SAME_TITLE or (score >= LIKELY_TITLE and (same_author or near_year))
        # A reworded title by a misnamed author: most of its distinctive words, the same year.
        count, share = shared_words(ref.title, record.title)
        same_year = record.year == ref.year
        if not close and count >= MIN_SHARED and (share >= 0.75 or (same_year and share >= 0.5)):
            close, score = (same_year or near_year), LIKELY_TITLE
        if close and score > best_score:
            best, best_score = record, score
    return best


def _journal_names(record: Record) -> list[str]:
    return [fold(n) for n in (record.journal, record.journal_abbrev) if n]


def same_journal(printed: str, record: Record) -> bool:
    """'Psychological Medicine' is 'Psychol Med'; 'PNAS' is 'Proc Natl Acad Sci U S A'."""
    want = re.findall(r"[a-z0-9]+", fold(printed.replace("&", "and")))
    for name in _journal_names(record):
        have = re.findall(r"[a-z0-9]+", name.replace("&", "and"))
        if want == have:
            return True
        significant = [w for w in have if w not in {"of", "the", "and", "for", "in"}]
        if len(want) == len(significant) and all(
            h.startswith(w) or w.startswith(h) for w, h in zip(want, significant, strict=True)
        ):
            return True
        if len(want) == 1 and "".join(w[0] for w in significant).startswith(want[0]):
            return True  # an acronym such as PNAS
    return False


def _first_page(pages: str) -> str:
    return re.split(r"[-–]", pages)[0].strip().lstrip("eE").lstrip("0") if pages else ""


def differences(ref: Reference, record: Record) -> list[str]:
    """Fields the article printed differently from the real record (missing ones don't count)."""
    found = []
    if (
        ref.first_author
        and record.authors
        and _surname(record.authors[0]) != fold(ref.first_author)
    ):
        found.append("first_author")
    if record.year is not None and ref.year != record.year:
        found.append("year")
    if ref.journal and not same_journal(ref.journal, record):
        found.append("journal")
    if ref.volume and record.volume and ref.volume != record.volume:
        found.append("volume")
    if ref.issue and record.issue and ref.issue != record.issue:
        found.append("issue")
    if ref.pages and record.pages and _first_page(ref.pages) != _first_page(record.pages):
        found.append("pages")
    if not same_title(ref.title, record.title):
        found.append("title")
    return found


def off_topic(claims: list[Claim], record: Record, lexicon: Lexicon) -> str:
    """Why the record does not study what the citing claims say ('' when it does)."""
    text = " ".join([record.title, record.abstract, " ".join(record.keywords)])
    study = {lexicon.family_of(n) for n in lexicon.find(text, record.mesh)}
    animal_only = "Animals" in record.mesh and "Humans" not in record.mesh
    for claim in claims:
        wanted = {lexicon.family_of(n) for n in claim.concepts}
        therapy = {n for n in wanted if lexicon.role_of(n) == "therapy" and n != "integration"}
        conditions = {n for n in wanted if lexicon.role_of(n) == "condition"}
        if therapy and not therapy & study:
            return f"no psychological therapy in the study, which {claim.id} is about"
        if conditions and not conditions & study:
            studied = sorted(n for n in study if lexicon.role_of(n) == "condition")
            about = f"about {', '.join(studied)}" if studied else "on another condition"
            need = ", ".join(sorted(conditions))
            return f"{about}, not {need} as {claim.id} says"
        drugs = {n for n in wanted if lexicon.role_of(n) == "drug"}
        if drugs and not drugs & study:
            return f"the study is not about {', '.join(sorted(drugs))}, which {claim.id} is about"
        if animal_only and (therapy or conditions):
            return f"an animal study, cited by {claim.id} for people"
    return ""


def cite(record: Record) -> str:
    authors = record.authors[:3]
    names = ", ".join(authors) + (", et al" if len(record.authors) > 3 else "")
    issue = f"({record.issue})" if record.issue else ""
    where = f"{record.journal_abbrev or record.journal}. {record.year}"
    if record.volume:
        where += f";{record.volume}{issue}"
    if record.pages:
        where += f":{record.pages}"
    doi = f" doi:{record.doi}" if record.doi else ""
    return f"{names}. {record.title} {where}.{doi} PMID {record.pmid}".strip()


def verdict(
    seed: str, ref: Reference, claims: list[Claim], record: Record | None, lexicon: Lexicon
) -> CitationCheck:
    check = CitationCheck(
        seed=seed,
        key=ref.key,
        reference=re.sub(r"^\s*\d+\.\s+", "", ref.raw),  # without the list's numbering
        status=[],
        claims=[c.id for c in claims],
        fingerprint=fingerprint(ref, claims),
    )
    if record is None:
        check.status = ["not_found"]
        check.note = "no PubMed record matches its title, authors and year"
        return check
    check.pmid, check.doi, check.title, check.citation = (
        record.pmid,
        record.doi,
        record.title,
        cite(record),
    )
    check.differences = differences(ref, record)
    check.status.append("details_differ" if check.differences else "verified")
    notes = []
    if check.differences:
        notes.append("printed differently: " + ", ".join(check.differences))
    reason = off_topic(claims, record, lexicon)
    if reason:
        check.status.append("off_topic")
        notes.append(reason)
    apply_flags(check, record.flags)
    check.note = "; ".join(notes)
    return check


def apply_flags(check: CitationCheck, flags: list[str]) -> bool:
    """Add retracted/corrected from a record's editorial flags; True when the status changed."""
    before = list(check.status)
    if "retracted" in flags and "retracted" not in check.status:
        check.status.append("retracted")
    if {"erratum", "expression_of_concern"} & set(flags) and "corrected" not in check.status:
        check.status.append("corrected")
    return check.status != before


def check_references(
    eutils: Eutils,
    seeds: Seeds,
    cached: dict[str, CitationCheck] | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[CitationCheck]:
    """Every reference's verdict; the ones in `cached` (by fingerprint) are not looked up."""
    cached = cached or {}
    rows = citing(seeds)
    todo = [ref for _seed, ref, claims in rows if fingerprint(ref, claims) not in cached]
    found = lookup(eutils, todo, progress) if todo else {}
    checks = []
    for seed, ref, claims in rows:
        key = fingerprint(ref, claims)
        if key in cached:
            checks.append(cached[key])
        else:
            record = best_record(ref, found.get(ref.key, []))
            checks.append(verdict(seed, ref, claims, record, seeds.lexicon))
    return checks


def apply_records(checks: list[CitationCheck], records: list[Record]) -> list[CitationCheck]:
    """Fresh copies of the matched records: the checks they newly mark retracted/corrected."""
    by_pmid = {r.pmid: r for r in records if r.pmid}
    return [c for c in checks if c.pmid in by_pmid and apply_flags(c, by_pmid[c.pmid].flags)]
