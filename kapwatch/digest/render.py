"""The weekly digest: one context, rendered as HTML and text (Jinja2) and as JSON (the contract)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from kapwatch.evidence.confidence import load_calibration
from kapwatch.resources import TEMPLATES
from kapwatch.seeds.articles import Seeds
from kapwatch.sources.base import SourceReport
from kapwatch.store import Listing, Study, Window, empty_ledger
from kapwatch.vocabulary import Strength

CALIBRATION = load_calibration()  # where a link's confidence makes it strong

STANCE_ORDER = ("challenges", "mixed", "extends", "supports")


@dataclass
class DigestFiles:
    label: str
    html: Path
    text: Path
    json: Path
    extras: list[Path] = field(default_factory=list)  # RIS, BibTeX, the Atom feed
    head: dict[str, Any] = field(default_factory=dict)  # the JSON up to "studies" (read_head)
    listed: list[dict[str, Any]] = field(default_factory=list)  # the studies the email lists

    @property
    def paths(self) -> list[Path]:
        return [self.html, self.text, self.json, *self.extras]


def study_json(
    study: Study | Listing, news: list[str] | None = None, family_of: dict[str, str] | None = None
) -> dict[str, Any]:
    return {
        "pmid": study.pmid,
        "doi": study.doi,
        "pmcid": study.pmcid,
        "title": study.title,
        "journal": study.journal,
        "volume": study.volume,
        "issue": study.issue,
        "pages": study.pages,
        "published": study.published.isoformat() if study.published else None,
        "year": study.year,
        "authors": study.authors,
        "design": study.design,
        "n": study.n,
        "sources": study.sources,
        "relevant": bool(study.relevant),
        "score": study.score,
        "reason": study.reason,
        "url": _web_url(study.url) or (f"https://doi.org/{study.doi}" if study.doi else None),
        "doi_url": f"https://doi.org/{study.doi}" if study.doi else None,
        "pmc_url": (
            f"https://pmc.ncbi.nlm.nih.gov/articles/{study.pmcid}/" if study.pmcid else None
        ),
        "claims": sorted(
            (link_json(link, family_of or {}) for link in study.links),
            key=lambda x: x["claim_id"],
        ),
        "flags": list(study.flags),
        "new": news is None,  # False: announced before, listed again for its news
        "news": news or [],
    }


def link_json(link: Any, family_of: dict[str, str]) -> dict[str, Any]:
    """One study-claim link in the JSON contract: the claim, its family, how the study bears
    on it, the sentence that shows it, and how sure the engine is (links stored before the
    engine gave a confidence have none, and count as possible)."""
    confidence = getattr(link, "confidence", None)
    return {
        "claim_id": link.claim_id,
        "family": family_of.get(link.claim_id, link.claim_id),
        "stance": link.stance,
        "evidence": link.evidence,
        "confidence": confidence,
        "strength": CALIBRATION.strength(confidence)
        if confidence is not None
        else Strength.POSSIBLE,
        # A reader's verdict overrides the engine's stance (kapwatch review): who and when.
        "reviewed": getattr(link, "reviewed_by", None) is not None,
        "reviewed_by": getattr(link, "reviewed_by", None),
        "reviewed_at": _iso(getattr(link, "reviewed_at", None)),
    }


def _iso(when: datetime | None) -> str | None:
    return when.isoformat(timespec="seconds") if when else None


def _web_url(url: str | None) -> str | None:
    """Only http(s) links reach the digest: a feed's "javascript:" or "data:" link is dropped."""
    if url and url.strip().lower().startswith(("https://", "http://")):
        return url.strip()
    return None


SHOWN = 25  # studies the email lists per claim and per section; the JSON, RIS and BibTeX list all


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
    and are read twice: once here, keeping only what the email lists (`shown` per claim and
    per section, the strongest), and once more by `write_json` and the exports, which list
    every study. So a backfill's window costs the memory of one email, not of its studies.
    """
    family_of = {c.id: c.family for c in seeds.claims}
    claims: list[dict[str, Any]] = [
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
    # Per claim and stance, the first `shown` links: the strongest of each stance, so the
    # first `shown` of the claim, challenges first, are among them.
    linked: dict[str, dict[str, list[dict[str, Any]]]] = {
        c["id"]: {stance: [] for stance in STANCE_ORDER} for c in claims
    }
    link_counts: Counter[str] = Counter()
    other: list[dict[str, Any]] = []
    screened: list[dict[str, Any]] = []
    new = relevant = unlinked = 0
    for study in studies:
        item = study_json(study, family_of=family_of)
        new += 1
        relevant += item["relevant"]
        found = False
        for link in item["claims"]:
            if link["claim_id"] in linked:
                found = True
                link_counts[link["claim_id"]] += 1
                bucket = linked[link["claim_id"]][link["stance"]]
                if len(bucket) < shown:
                    bucket.append({"study": item, **link})
        if item["relevant"] and not found:
            unlinked += 1
            if len(other) < shown:
                other.append(item)
        elif not item["relevant"] and len(screened) < shown:
            screened.append(item)
    updates = []
    for claim in claims:
        if link_counts[claim["id"]]:
            by_stance = linked[claim["id"]]
            listed = [x for stance in STANCE_ORDER for x in by_stance[stance]][:shown]
            more = link_counts[claim["id"]] - len(listed)
            updates.append({"claim": claim, "studies": listed, "more": more})
    earlier = [study_json(study, kinds, family_of) for study, kinds in news or []]
    checks = citations or []
    problems = [c for c in checks if set(c["status"]) - {"verified"}]
    articles = {a.file: {"title": a.title, "publisher": a.publisher} for a in seeds.articles}
    return {
        "label": window.label,
        "window": {"since": window.since.isoformat(), "until": window.until.isoformat()},
        "generated": (generated or datetime.now(UTC)).isoformat(timespec="seconds"),
        "summary": {
            "new_studies": new,
            "relevant": relevant,
            "claim_updates": sum(link_counts.values()),
            "claims_updated": len(updates),
            "failed_sources": [s.name for s in sources if s.status == "error"],
            "news": len(earlier),
            "citation_problems": len(problems),
        },
        "sources": [asdict(s) for s in sources],
        "query": query,
        "articles": articles,
        "claims": claims,
        "updates": updates,
        "other_relevant": other,
        "screened_out": screened,
        # Beyond what the email lists: how many more, and where to find them.
        "more": {
            "other_relevant": unlinked - len(other),
            "screened_out": new - relevant - len(screened),
        },
        "earlier": earlier,
        "studies": studies,  # read again for the JSON and the exports
        "family_of": family_of,
        "citations": checks,
        # Claims health is shown in full in the first digest and whenever a verdict changes.
        "citations_changed": citations_changed,
        "citation_problems": problems,
        # Readers' review (kapwatch review): links no one has judged yet, and the page's URL.
        "review": review or {"pending": 0, "url": ""},
    }


def listed_studies(context: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every study of the digest as the JSON lists it: the window's new ones, then the earlier
    ones with news."""
    for study in context["studies"]:
        yield study_json(study, family_of=context.get("family_of"))
    yield from context["earlier"]


JSON_KEYS = (
    "label",
    "window",
    "generated",
    "summary",
    "sources",
    "query",
    "studies",
    "claims",
    "citations",
)  # the contract's keys, in order: the head (up to "query") comes first


def write_json(context: dict[str, Any], out: TextIO) -> None:
    """The stable JSON contract (documented in the README), written a study at a time."""
    out.write("{")
    for n, key in enumerate(JSON_KEYS):
        out.write(f"{',' if n else ''}\n  {json.dumps(key)}: ")
        if key == "studies":
            out.write("[")
            # One study per line: compact (json's C encoder; indenting is pure Python and
            # tripled the time of a 100,000-study window) and easy to grep.
            for i, item in enumerate(listed_studies(context)):
                out.write(f"{',' if i else ''}\n    {json.dumps(item, ensure_ascii=False)}")
            out.write("\n  ]")
        else:
            value = json.dumps(context[key], indent=2, ensure_ascii=False)
            out.write(value.replace("\n", "\n  "))
    out.write("\n}\n")


def read_head(path: Path) -> dict[str, Any]:
    """The keys before "studies" of a digest JSON (label, window, generated, summary, ...),
    read without parsing the studies: a backfill's JSON can run to hundreds of megabytes.
    A file in another key order (not written by write_json) is read whole."""
    decoder = json.JSONDecoder()
    with path.open(encoding="utf-8") as handle:
        text = handle.read(HEAD_BYTES)
    head: dict[str, Any] = {}
    try:
        at = _skip(text, 0, "{")
        while text[at] != "}":
            key, at = decoder.raw_decode(text, at)
            if key == "studies":
                break
            head[key], at = decoder.raw_decode(text, _skip(text, at, ":"))
            at = _skip(text, at, "")
            if text[at] == ",":
                at = _skip(text, at, ",")
        if not set(JSON_KEYS[:4]) <= set(head):
            whole = json.loads(path.read_text(encoding="utf-8"))
            head = {key: value for key, value in whole.items() if key != "studies"}
    except IndexError:
        raise ValueError(f"{path}: ends before its head does") from None
    except (ValueError, AttributeError) as exc:
        raise ValueError(f"{path}: not a digest's JSON ({exc})") from None
    return head


HEAD_BYTES = 1 << 20  # the head is a few kilobytes: the sources, the summary, the query


def _skip(text: str, at: int, expected: str) -> int:
    """Past whitespace, the expected separator (if any) and whitespace again, from `at`."""
    while text[at].isspace():
        at += 1
    if expected:
        if text[at] != expected:
            raise ValueError(f"expected {expected!r} at character {at}, found {text[at]!r}")
        at += 1
        while text[at].isspace():
            at += 1
    return at


def environment(templates: Path = TEMPLATES) -> Environment:
    env = Environment(
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
    updates = summary["claim_updates"]
    return (
        f"kapwatch {context['label']}: {updates} claim update{'s' * (updates != 1)}, "
        f"{summary['relevant']} relevant new stud{'ies' if summary['relevant'] != 1 else 'y'} "
        f"({window['since']} to {window['until']})"
    )


def render(context: dict[str, Any], out_dir: Path, templates: Path = TEMPLATES) -> DigestFiles:
    """Write <label>.html, .txt and .json atomically (a crash never leaves half a digest)."""
    env = environment(templates)
    out_dir.mkdir(parents=True, exist_ok=True)
    label = context["label"]
    files = DigestFiles(
        label=label,
        html=out_dir / f"{label}.html",
        text=out_dir / f"{label}.txt",
        json=out_dir / f"{label}.json",
    )
    for path, template in ((files.html, "digest.html.j2"), (files.text, "digest.txt.j2")):
        body = env.get_template(template).render(**context, subject=subject(context))
        with atomic(path) as out:
            out.write(body)
    with atomic(files.json) as out:
        write_json(context, out)
    files.head = {key: context[key] for key in JSON_KEYS[: JSON_KEYS.index("studies")]}
    files.listed = email_studies(context)
    return files


def email_studies(context: dict[str, Any]) -> list[dict[str, Any]]:
    """The studies the email lists, each once, in the email's order."""
    seen: dict[int, dict[str, Any]] = {}
    for update in context["updates"]:
        for item in update["studies"]:
            seen.setdefault(id(item["study"]), item["study"])
    for study in (*context["other_relevant"], *context["screened_out"], *context["earlier"]):
        seen.setdefault(id(study), study)
    return list(seen.values())


@contextmanager
def atomic(path: Path) -> Iterator[TextIO]:
    """Write path through a temporary file: a crash never leaves half a file behind."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as out:
        yield out
    tmp.replace(path)
