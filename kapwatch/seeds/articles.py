"""Read the seed articles: sentences, references, claims, search terms and the PubMed query."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from kapwatch.seeds.claims import Family, annotate
from kapwatch.seeds.lexicon import Lexicon, load_lexicon
from kapwatch.store.dedupe import fold, normalize_doi
from kapwatch.tomlfile import read_toml, tables, unknown_keys


class SeedError(ValueError):
    """A seed file cannot be used; the message names the file and the problem."""


@dataclass
class Reference:
    key: str  # "mcewen2016": first author's folded surname + year
    raw: str
    authors: list[str]  # surnames as printed
    year: int
    title: str
    journal: str = ""
    volume: str = ""
    issue: str = ""
    pages: str = ""
    doi: str | None = None
    et_al: bool = False

    @property
    def first_author(self) -> str:
        return self.authors[0] if self.authors else ""


@dataclass
class Claim:
    id: str  # "<article id>-<ordinal>", stable while the article text is
    seed: str  # file name
    text: str  # as printed
    references: list[str]  # Reference.key values
    citations: list[str]  # the citations as printed, e.g. "Kang et al., 2022"
    concepts: dict[str, str] = field(default_factory=dict)  # concept -> phrase in the text
    # The claim's structure: who (population), what (intervention, co-intervention included),
    # and which effect or mechanism it asserts, as the phrases the text uses.
    form: dict[str, list[str]] = field(default_factory=dict)
    # A neutral statement of what the claim asserts, its family of near-identical claims, and
    # whether studies can bear on it (seeds/claims.py derives them; seeds/claims.toml overrides).
    restated: str = ""
    restated_in_seeds: bool = False  # written by the user: the engine reads it for the claim
    family: str = ""
    linkable: bool = True


FORM_ROLES = {
    "population": ("condition",),
    "intervention": ("drug", "therapy"),
    "outcome": ("outcome",),
}


def claim_form(concepts: dict[str, str], lexicon: Lexicon) -> dict[str, list[str]]:
    return {
        part: [phrase for name, phrase in concepts.items() if lexicon.role_of(name) in roles]
        for part, roles in FORM_ROLES.items()
    }


@dataclass
class Article:
    file: str
    id: str
    title: str
    publisher: str
    sentences: list[str]
    references: list[Reference]
    claims: list[Claim]
    unresolved: list[str] = field(default_factory=list)  # citations with no matching reference


@dataclass
class Seeds:
    articles: list[Article]
    lexicon: Lexicon
    families: list[Family] = field(default_factory=list)

    @property
    def claims(self) -> list[Claim]:
        return [c for a in self.articles for c in a.claims]

    def terms(self) -> dict[str, list[str]]:
        """Concept -> terms, for every concept the query includes (`query = true` in
        concepts.toml, whether or not a claim names it: a trial of ketamine with a therapy the
        articles do not name is still on the topic)."""
        return {c.name: list(c.terms) for c in self.lexicon.concepts if c.query}

    def query(self) -> str:
        return build_query(self.lexicon, set(self.terms()))


# --- references -----------------------------------------------------------------------------

_REF_HEAD = re.compile(
    r"^\s*(?:\d+\.\s+)?(?P<authors>[^()]+?)\s*\((?P<year>(?:19|20)\d{2})[a-z]?\)\.?\s*(?P<rest>.*)$"
)
_AUTHOR = re.compile(r"(?P<surname>[^\s,&][^,&]*?),\s*(?P<initials>(?:[A-Z][a-z]?\.\s*-?\s*)+)")
_JOURNAL_TAIL = re.compile(
    r"^(?P<journal>[^,]+?)"
    r"(?:,\s*(?P<volume>\d+)(?:\((?P<issue>[^)]+)\))?)?"
    r"(?:,\s*(?P<pages>[A-Za-z]?\d+(?:\s*[-–]\s*[A-Za-z]?\d+)?))?"
    r"\.?\s*(?P<doi>(?:https?://(?:dx\.)?doi\.org/|doi:\s*)\S+?)?\.?\s*$"
)


def parse_reference(line: str) -> Reference | None:
    """One APA-style reference line, or None when the line is not one."""
    head = _REF_HEAD.match(line.strip())
    if not head:
        return None
    author_text = head["authors"]
    authors = [m["surname"].strip() for m in _AUTHOR.finditer(author_text)]
    if not authors:
        return None
    year = int(head["year"])
    rest = head["rest"].strip()
    doi_match = re.search(r"(?:https?://(?:dx\.)?doi\.org/|doi:\s*)(\S+?)\.?$", rest)
    doi = normalize_doi(doi_match.group(0)) if doi_match else None
    if doi_match:
        rest = rest[: doi_match.start()].strip()
    # Title first, then "Journal, volume(issue), pages." Titles end at the first ". ".
    title, _, tail = rest.partition(". ")
    ref = Reference(
        key=f"{_surname_key(authors[0])}{year}",
        raw=line.strip(),
        authors=authors,
        year=year,
        title=title.strip().rstrip("."),
        doi=doi,
        et_al=bool(re.search(r"\bet al\b|…", author_text)),
    )
    tail_match = _JOURNAL_TAIL.match(tail.strip()) if tail.strip() else None
    if tail_match:
        ref.journal = tail_match["journal"].strip().rstrip(".")
        ref.volume = tail_match["volume"] or ""
        ref.issue = tail_match["issue"] or ""
        ref.pages = (tail_match["pages"] or "").replace("–", "-").replace(" ", "")
    return ref


def _surname_key(surname: str) -> str:
    return fold(surname).replace(" ", "")


# --- citations in the text ------------------------------------------------------------------

_NAME = r"[A-Z][\w'’\-]+(?:\s+(?:van|de|der|von|da)\s+[A-Z][\w'’\-]+)?"
_PAREN = re.compile(r"\(([^()]*?(?:19|20)\d{2}[a-z]?)\)")
_ONE_CITATION = re.compile(
    rf"(?P<name>{_NAME})(?:\s+et\s+al\.?|\s+(?:and|&)\s+{_NAME})?,?\s+(?P<year>(?:19|20)\d{{2}})"
)
_NARRATIVE = re.compile(
    rf"(?P<name>{_NAME})(?:\s+et\s+al\.?|\s+(?:and|&)\s+{_NAME})?\s+\((?P<year>(?:19|20)\d{{2}})[a-z]?\)"
)


def find_citations(sentence: str) -> list[tuple[str, str, int]]:
    """(as printed, surname key, year) for each citation in a sentence."""
    found: list[tuple[str, str, int]] = []
    for group in _PAREN.finditer(sentence):
        for part in group.group(1).split(";"):
            match = _ONE_CITATION.search(part)
            if match:
                found.append((part.strip(), _surname_key(match["name"]), int(match["year"])))
    for match in _NARRATIVE.finditer(sentence):
        found.append((match.group(0), _surname_key(match["name"]), int(match["year"])))
    return found


# --- sentences and claims -------------------------------------------------------------------

_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’]?\s+(?=[\"“‘(]?[A-Z])")
_ABBREVIATION = re.compile(r"\b(?:et al|e\.g|i\.e|vs|Dr|Mr|Ms|Fig)\.$")
# A finding or mechanism is asserted by a verb like these (uncited claims need one).
_ASSERTS = re.compile(
    r"\b(?:shows?|showed|shown|found|finds|suggests?|helps?|enhances?|promotes?|increases?|"
    r"reduces?|reduced|restores?|extends?|extended|sustains?|led to|leads to|maximi[sz]es?|"
    r"facilitates?|creates?|optimi[sz]es?|can|may|is a vital|refers to|works through)\b",
    re.IGNORECASE,
)
# Sentences about the clinic itself are marketing, not claims about the evidence.
_SELF_REFERENCE = re.compile(r"\b(?:we|our|us)\b|^At\s+[A-Z]", re.IGNORECASE)


def split_sentences(paragraph: str) -> list[str]:
    pieces: list[str] = []
    for piece in _SENTENCE_END.split(paragraph.strip()):
        if pieces and _ABBREVIATION.search(pieces[-1]):
            pieces[-1] = f"{pieces[-1]} {piece}"
        elif piece.strip():
            pieces.append(piece.strip())
    return pieces


def _is_heading(line: str) -> bool:
    text = line.strip()
    return (text.endswith(":") and len(text.split()) <= 8) or (
        not re.search(r"[.!?)]$", text) and len(text.split()) <= 12
    )


def parse_article(
    path: Path, article_id: str, lexicon: Lexicon, title: str = "", publisher: str = ""
) -> Article:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SeedError(f"{path}: file not found") from None
    except UnicodeDecodeError as exc:
        raise SeedError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) < 2:
        raise SeedError(f"{path}: too short to be an article (needs a title and a body)")
    body: list[str] = []
    references: list[Reference] = []
    in_references = False
    for line in lines[1:]:
        if line.strip().lower() in ("references", "references:", "bibliography", "sources"):
            in_references = True
            continue
        ref = parse_reference(line)
        if ref is not None and (in_references or not _PAREN.search(line[: line.find("(")])):
            references.append(ref)
            in_references = True
        elif not in_references:
            body.append(line)
    if not references:
        raise SeedError(
            f"{path}: no reference list found (expected lines like "
            "'Surname, A. B., et al. (2020). Title. Journal.')"
        )
    by_key = {r.key: r for r in references}
    sentences: list[str] = []
    claims: list[Claim] = []
    unresolved: list[str] = []
    for line in body:
        if _is_heading(line):
            continue
        for sentence in split_sentences(line):
            sentences.append(sentence)
            claim = _claim(
                sentence, f"{article_id}-{len(claims) + 1:02d}", path.name, by_key, lexicon
            )
            if claim is not None:
                claims.append(claim)
            unresolved += [p for p, s, y in find_citations(sentence) if f"{s}{y}" not in by_key]
    return Article(
        file=path.name,
        id=article_id,
        title=title or lines[0].strip(),
        publisher=publisher,
        sentences=sentences,
        references=references,
        claims=claims,
        unresolved=unresolved,
    )


def _claim(
    sentence: str, claim_id: str, seed: str, by_key: dict[str, Reference], lexicon: Lexicon
) -> Claim | None:
    """The sentence as a claim, when it cites a reference or asserts a finding or mechanism
    about a therapy or outcome the lexicon knows."""
    cited = find_citations(sentence)
    keys = list(dict.fromkeys(f"{s}{y}" for _p, s, y in cited if f"{s}{y}" in by_key))
    concepts = lexicon.find(sentence, claim=True)
    asserts = (
        _ASSERTS.search(sentence) is not None
        and not _SELF_REFERENCE.search(sentence)
        and any(lexicon.role_of(n) in ("therapy", "outcome") for n in concepts)
    )
    if not (cited or asserts):
        return None
    return Claim(
        id=claim_id,
        seed=seed,
        text=sentence,
        references=keys,
        citations=[printed for printed, _, _ in cited],
        concepts=concepts,
        form=claim_form(concepts, lexicon),
    )


# --- the seeds folder -----------------------------------------------------------------------


MANIFEST_KEYS = ("file", "id", "title", "publisher")  # an [[articles]] table's keys


def load_seeds(seeds_dir: Path) -> Seeds:
    """Read manifest.toml, concepts.toml and every article the manifest names."""
    manifest_path = seeds_dir / "manifest.toml"
    manifest = read_toml(manifest_path, SeedError, "is KAPWATCH_SEEDS_DIR right?")
    unknown_keys(manifest, ("articles",), manifest_path, "the file", SeedError)
    entries = tables(manifest, "articles", manifest_path, SeedError, ("file", "id"), False)
    for index, (_where, entry) in enumerate(entries):
        unknown_keys(entry, MANIFEST_KEYS, manifest_path, f"articles[{index}]", SeedError)
    lexicon = load_lexicon(seeds_dir / "concepts.toml")
    articles = []
    seen_ids: set[str] = set()
    for where, entry in entries:
        if entry["id"] in seen_ids:
            raise SeedError(f"{where}: duplicate id {entry['id']!r}")
        seen_ids.add(entry["id"])
        articles.append(
            parse_article(
                seeds_dir / entry["file"],
                entry["id"],
                lexicon,
                title=str(entry.get("title", "")),
                publisher=str(entry.get("publisher", "")),
            )
        )
    claims = [c for a in articles for c in a.claims]
    families = annotate(claims, lexicon, seeds_dir / "claims.toml", SeedError)
    return Seeds(articles=articles, lexicon=lexicon, families=families)


def build_query(lexicon: Lexicon, concept_names: set[str]) -> str:
    """(drug terms) AND (therapy, condition or outcome terms), each term and text word in
    [tiab], MeSH in [mh]."""

    def group(roles: tuple[str, ...]) -> str:
        terms: list[str] = []
        for concept in lexicon.by_role(*roles):
            if concept.name not in concept_names:
                continue
            for term in (*concept.terms, *concept.text_words):
                if term.isupper() and len(term) <= 3:
                    continue  # three-letter acronyms (KAP, WET, TRD) flood PubMed with noise
                quoted = f'"{term}"' if " " in term or "-" in term else term
                terms.append(f"{quoted}[tiab]")
            terms.extend(f'"{m}"[mh]' for m in concept.mesh)
        return "(" + " OR ".join(dict.fromkeys(terms)) + ")"

    return f"{group(('drug',))} AND {group(('therapy', 'condition', 'outcome'))}"
