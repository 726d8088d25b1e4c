"""The weekly digest: one context (build_context) rendered as the full digest on disk (HTML
and text, every relevant study, one card each), as the email's shorter parts (budget.py) and
as the JSON contract (contract.py)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from kapwatch.digest.cards import (
    INDEX_LINKS,
    INDEX_ROWS,
    RANKS,
    Tally,
    card,
    headline,
    priority,
    stance_count,
)
from kapwatch.digest.contract import (
    JSON_KEYS,
    link_json,
    listed_studies,
    read_head,
    study_json,
    write_json,
)
from kapwatch.digest.spool import Spool
from kapwatch.resources import TEMPLATES
from kapwatch.seeds.articles import Seeds
from kapwatch.sources.base import SourceReport
from kapwatch.store import Listing, Study, Window, empty_ledger
from kapwatch.vocabulary import STANCE_ORDER

__all__ = [
    "JSON_KEYS",
    "STANCE_ORDER",
    "DigestFiles",
    "build_context",
    "link_json",
    "listed_studies",
    "read_head",
    "render",
    "study_json",
    "subject",
    "write_json",
]

STANCE_COLORS = {
    "supports": "#2e7d32",
    "challenges": "#c62828",
    "mixed": "#ef6c00",
    "extends": "#1565c0",
}


@dataclass
class DigestFiles:
    label: str
    html: Path  # the full digest: every relevant study
    text: Path
    json: Path
    email_html: Path  # the email's parts: the strongest studies that fit its size budget
    email_text: Path
    extras: list[Path] = field(default_factory=list)  # RIS, BibTeX, the Atom feed, index.html
    head: dict[str, Any] = field(default_factory=dict)  # the JSON up to "studies" (read_head)
    listed: list[dict[str, Any]] = field(default_factory=list)  # the studies the email lists

    @property
    def paths(self) -> list[Path]:
        return [self.html, self.text, self.json, self.email_html, self.email_text, *self.extras]


SHOWN = 25  # screened-out studies the digest names; the JSON, RIS and BibTeX list all
EMAIL_CARDS = 150  # the most cards the email considers; its size budget usually allows fewer


def claims_json(seeds: Seeds, ledger: dict[str, Any] | None) -> list[dict[str, Any]]:
    return [
        {
            "id": c.id,
            "seed": c.seed,
            "text": c.text,
            "restated": c.restated,
            "family": c.family,
            "references": c.references,
            "citations": c.citations,
            "form": c.form,
            # How the evidence stands: every relevant study announced so far, this week's too.
            "ledger": (ledger or {}).get(c.id, empty_ledger()),
        }
        for c in seeds.claims
    ]


@dataclass
class Week:
    """What one pass over the window's studies keeps: counts, the tally per claim, the
    email's candidates by rank (priority()) and the first screened-out studies."""

    tally: Tally = field(default_factory=Tally)
    ranked: tuple[list[dict[str, Any]], ...] = field(
        default_factory=lambda: tuple([] for _ in range(RANKS))
    )
    screened: list[dict[str, Any]] = field(default_factory=list)
    spool: Spool = field(default_factory=Spool)  # every study, for the later passes
    new: int = 0
    relevant: int = 0
    cards: int = 0
    older: int = 0


def read_week(
    studies: Iterable[Study | Listing],
    family_of: dict[str, str],
    claims: dict[str, dict[str, Any]],
    shown: int,
    since: date,
) -> Week:
    week = Week()
    year_before = (since - timedelta(days=365)).isoformat()
    try:
        for study in studies:
            item = study_json(study, family_of=family_of)
            week.new += 1
            week.relevant += item["relevant"]
            if not (item["relevant"] or item["claims"]):
                week.spool.add(item, None)
                if len(week.screened) < shown:
                    week.screened.append(item)
                continue
            week.cards += 1
            week.older += bool(item["published"] and item["published"] < year_before)
            this = card(item, week.cards, claims)
            week.tally.add(this)
            rank = priority(this)[0]
            week.spool.add(item, rank)
            if len(week.ranked[rank]) < EMAIL_CARDS:
                week.ranked[rank].append(this)
    finally:
        week.spool.close()
    return week


def summary_json(
    week: Week,
    claims: dict[str, dict[str, Any]],
    sources: list[SourceReport],
    news: int,
    citation_problems: int,
) -> dict[str, Any]:
    stances = week.tally.stances.values()
    return {
        "headline": headline(week.tally, claims, week.new, week.relevant),
        "new_studies": week.new,
        "relevant": week.relevant,
        "challenges": sum(c["challenges"] for c in stances),
        "claim_updates": sum(sum(c.values()) for c in stances),
        "claims_updated": len(stances),
        "failed_sources": [s.name for s in sources if s.status == "error"],
        "news": news,
        "citation_problems": citation_problems,
    }


def build_context(
    window: Window,
    studies: Iterable[Study | Listing],
    sources: list[SourceReport],
    seeds: Seeds,
    query: str,
    news: list[tuple[Study, list[str]]] | None = None,
    generated: datetime | None = None,
    citations: list[dict[str, Any]] | None = None,
    citations_changed: bool = False,
    ledger: dict[str, dict[str, Any]] | None = None,
    shown: int = SHOWN,
    review: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything the templates and the JSON need, in the JSON contract's shape.

    `studies` come in digest order (relevant first, strongest first: `Store.window_studies`)
    and are read here once, keeping the email's candidates (challenges first) and a tally per
    claim, and spooling each study to a temporary file (spool.py) that the full digest, the
    JSON and the exports read as they write. So a backfill's window costs the memory of one
    email, not of its studies, and the store is read once.
    """
    family_of = {c.id: c.family for c in seeds.claims}
    claims = claims_json(seeds, ledger)
    by_id = {c["id"]: c for c in claims}
    week = read_week(studies, family_of, by_id, shown, window.since)
    earlier = [study_json(study, kinds, family_of) for study, kinds in news or []]
    checks = citations or []
    problems = [c for c in checks if set(c["status"]) - {"verified"}]
    return {
        "label": window.label,
        "window": {"since": window.since.isoformat(), "until": window.until.isoformat()},
        "generated": (generated or datetime.now(UTC)).isoformat(timespec="seconds"),
        "summary": summary_json(week, by_id, sources, len(earlier), len(problems)),
        "sources": [asdict(s) for s in sources],
        "query": query,
        "articles": {a.file: {"title": a.title, "publisher": a.publisher} for a in seeds.articles},
        "claims": claims,
        "claims_by_id": by_id,
        "family_titles": {f.id: f.title for f in seeds.families},
        "claim_index": week.tally.index(by_id),
        "candidates": [c for ranked in week.ranked for c in ranked][:EMAIL_CARDS],
        "cards": week.cards,  # how many studies the full digest shows as cards
        "older": week.older,  # of them, published more than a year before the window
        "screened_out": week.screened,
        "more": {"screened_out": week.new - week.cards - len(week.screened)},
        "earlier": earlier,
        "studies": studies,
        "spool": week.spool,  # the studies again, for the full digest, the JSON and the exports
        "family_of": family_of,
        "citations": checks,
        # Claims health is shown in full in the first digest and whenever a verdict changes.
        "citations_changed": citations_changed,
        "citation_problems": problems,
        # Readers' review (kapwatch review): links no one has judged yet, and the page's URL.
        "review": review or {"pending": 0, "url": ""},
    }


def all_cards(context: dict[str, Any], ranks: tuple[int, ...]) -> Iterator[dict[str, Any]]:
    """The full digest's cards of the given ranks (priority()), one rank per pass over the
    spooled studies: challenges first, then the other linked studies; numbered as
    build_context did."""
    spool: Spool = context["spool"]
    for rank in ranks:
        for number, item in spool.cards(rank):
            yield card(item, number, context["claims_by_id"])


def index_rows(context: dict[str, Any], present: set[int] | None) -> list[dict[str, Any]]:
    """The per-claim index, linking only to the cards this document holds."""
    rows = []
    for row in context["claim_index"][:INDEX_ROWS]:
        cards = [n for n in row["cards"] if present is None or n in present][:INDEX_LINKS]
        rows.append({**row, "links": cards, "unlinked": row["total"] - len(cards)})
    return rows


def page_url(public_url: str | None, name: str) -> str | None:
    return f"{public_url.rstrip('/')}/{name}" if public_url else None


def render(
    context: dict[str, Any],
    out_dir: Path,
    templates: Path = TEMPLATES,
    public_url: str | None = None,
) -> DigestFiles:
    """Write <label>.html, .txt, .json and the email's .email.html and .email.txt, each
    atomically (a crash never leaves half a digest)."""
    from kapwatch.digest.budget import fit_email

    env = environment(templates)
    out_dir.mkdir(parents=True, exist_ok=True)
    label = context["label"]
    files = DigestFiles(
        label=label,
        html=out_dir / f"{label}.html",
        text=out_dir / f"{label}.txt",
        json=out_dir / f"{label}.json",
        email_html=out_dir / f"{label}.email.html",
        email_text=out_dir / f"{label}.email.txt",
    )
    base = {
        **context,
        "subject": subject(context),
        "full_url": page_url(public_url, f"{label}.html"),
        "archive_url": page_url(public_url, "index.html"),
    }
    for path, template in ((files.html, "digest.html.j2"), (files.text, "digest.txt.j2")):
        stream = env.get_template(template).generate(
            **base,
            mode="full",
            index=index_rows(context, None),
            linked=all_cards(context, (0, 1)),
            others=all_cards(context, (2, 3)),
            more_cards=0,
        )
        with atomic(path) as out:
            out.writelines(stream)
    email = fit_email(env, base, context["candidates"])
    for path, body in ((files.email_html, email.html), (files.email_text, email.text)):
        with atomic(path) as out:
            out.write(body)
    with atomic(files.json) as out:
        write_json(context, out)
    files.head = {key: context[key] for key in JSON_KEYS[: JSON_KEYS.index("studies")]}
    files.listed = [*email.cards, *context["screened_out"], *context["earlier"]]
    return files


_DICT_ATTRIBUTES = frozenset(dir(dict))


class _Environment(Environment):
    """Jinja's environment, reading `s.title` of a plain dict as Jinja does (an attribute
    first, then the key) without raising and catching an AttributeError per lookup: a plain
    dict has no attributes but dict's own, so a name that is not one of them is a key."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except LookupError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


def environment(templates: Path = TEMPLATES) -> Environment:
    env = _Environment(
        loader=FileSystemLoader(templates),
        # HTML is escaped everywhere; the plain-text template must not be.
        autoescape=lambda name: name is None or not name.endswith(".txt.j2"),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["authors_short"] = _authors_short
    env.filters["links"] = _links
    env.filters["ledger_line"] = ledger_line
    env.globals["STANCE_COLORS"] = STANCE_COLORS
    env.filters["stance_count"] = stance_count
    return env


def ledger_line(ledger: dict[str, dict[str, int]]) -> str:
    """'3 supports, 1 challenges; 2 randomized controlled trial, 1 meta-analysis'."""

    def counts(values: dict[str, int], order: list[str]) -> str:
        keys = sorted(values, key=lambda k: (order.index(k) if k in order else len(order), k))
        return ", ".join(f"{values[k]} {k}" for k in keys)

    stances = counts(ledger.get("stances", {}), list(STANCE_ORDER))
    designs = counts(ledger.get("designs", {}), [])
    return "; ".join(part for part in (stances, designs) if part)


def _links(study: dict[str, Any]) -> list[tuple[str, str]]:
    """Where a reader can open the study: PubMed, the DOI, and free full text when there is one."""
    links = []
    if study["pmid"]:
        links.append(
            (f"PubMed {study['pmid']}", f"https://pubmed.ncbi.nlm.nih.gov/{study['pmid']}/")
        )
    if study["doi_url"]:
        links.append(("DOI", study["doi_url"]))
    if study["pmc_url"]:
        links.append(("free full text (PMC)", study["pmc_url"]))
    return links


def _authors_short(authors: list[str]) -> str:
    """'Doe J', 'Doe J and Roe R', 'Doe J et al.' (feed names may contain commas themselves)."""
    if len(authors) > 2:
        return f"{authors[0]} et al."
    return " and ".join(authors)


def subject(context: dict[str, Any]) -> str:
    summary = context["summary"]
    window = context["window"]
    updates, challenges = summary["claim_updates"], summary.get("challenges", 0)
    against = f"{challenges} challenge{'s' * (challenges != 1)}, " if challenges else ""
    return (
        f"kapwatch {context['label']}: {against}{updates} claim update{'s' * (updates != 1)}, "
        f"{summary['relevant']} relevant new stud{'ies' if summary['relevant'] != 1 else 'y'} "
        f"({window['since']} to {window['until']})"
    )


@contextmanager
def atomic(path: Path) -> Iterator[TextIO]:
    """Write path through a temporary file: a crash never leaves half a file behind."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as out:
        yield out
    tmp.replace(path)
