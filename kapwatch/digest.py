"""The weekly digest: one context, rendered as HTML and text (Jinja2) and as JSON (the contract)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from kapwatch.seeds import Seeds
from kapwatch.store import Study, Window

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
STANCE_ORDER = ("challenges", "mixed", "extends", "supports")


@dataclass
class SourceReport:
    """How one source fared this run; the digest shows every one of them."""

    name: str
    kind: str  # pubmed | feed | check (the citation check and retraction watch)
    status: str  # ok | empty | error
    items: int = 0  # items the source returned (before the relevance filter)
    kept: int = 0  # items stored after the filter
    error: str | None = None


@dataclass
class DigestFiles:
    label: str
    html: Path
    text: Path
    json: Path
    extras: list[Path] = field(default_factory=list)  # RIS, BibTeX, the Atom feed

    @property
    def paths(self) -> list[Path]:
        return [self.html, self.text, self.json, *self.extras]


def study_json(study: Study, news: list[str] | None = None) -> dict[str, Any]:
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
        "claims": [
            {"claim_id": link.claim_id, "stance": link.stance, "evidence": link.evidence}
            for link in sorted(study.links, key=lambda x: x.claim_id)
        ],
        "flags": list(study.flags),
        "new": news is None,  # False: announced before, listed again for its news
        "news": news or [],
    }


def _web_url(url: str | None) -> str | None:
    """Only http(s) links reach the digest: a feed's "javascript:" or "data:" link is dropped."""
    if url and url.strip().lower().startswith(("https://", "http://")):
        return url.strip()
    return None


def build_context(
    window: Window,
    studies: list[Study],
    sources: list[SourceReport],
    seeds: Seeds,
    query: str,
    news: list[tuple[Study, list[str]]] | None = None,
    generated: datetime | None = None,
    citations: list[dict[str, Any]] | None = None,
    citations_changed: bool = False,
    ledger: dict[str, dict[str, dict[str, int]]] | None = None,
) -> dict[str, Any]:
    """Everything the templates and the JSON need, in the JSON contract's shape."""
    items = [study_json(s) for s in studies]
    # Relevant first, strongest first; then the screened-out ones.
    items.sort(key=lambda s: (not s["relevant"], -(s["score"] or 0), s["title"].lower()))
    earlier = [study_json(study, kinds) for study, kinds in news or []]
    claims: list[dict[str, Any]] = [
        {
            "id": c.id,
            "seed": c.seed,
            "text": c.text,
            "references": c.references,
            "citations": c.citations,
            "form": c.form,
            # How the evidence stands: every relevant study announced so far, this week's too.
            "ledger": (ledger or {}).get(c.id, {"stances": {}, "designs": {}}),
        }
        for c in seeds.claims
    ]
    checks = citations or []
    problems = [c for c in checks if set(c["status"]) - {"verified"}]
    updates: list[dict[str, Any]] = []
    for claim in claims:
        linked: list[dict[str, Any]] = []
        for study in items:
            for link in study["claims"]:
                if link["claim_id"] == claim["id"]:
                    linked.append({"study": study, **link})
        if linked:
            linked.sort(key=lambda x: STANCE_ORDER.index(x["stance"]))
            updates.append({"claim": claim, "studies": linked})
    linked_ids = {id(u["study"]) for update in updates for u in update["studies"]}
    relevant = [s for s in items if s["relevant"]]
    articles = {a.file: {"title": a.title, "publisher": a.publisher} for a in seeds.articles}
    return {
        "label": window.label,
        "window": {"since": window.since.isoformat(), "until": window.until.isoformat()},
        "generated": (generated or datetime.now(UTC)).isoformat(timespec="seconds"),
        "summary": {
            "new_studies": len(items),
            "relevant": len(relevant),
            "claim_updates": sum(len(u["studies"]) for u in updates),
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
        "other_relevant": [s for s in relevant if id(s) not in linked_ids],
        "screened_out": [s for s in items if not s["relevant"]],
        "earlier": earlier,
        "studies": items + earlier,
        "citations": checks,
        # Claims health is shown in full in the first digest and whenever a verdict changes.
        "citations_changed": citations_changed,
        "citation_problems": problems,
    }


def to_json(context: dict[str, Any]) -> str:
    """The stable JSON contract (documented in the README); view-only keys are left out."""
    keys = (
        "label",
        "window",
        "generated",
        "summary",
        "sources",
        "query",
        "studies",
        "claims",
        "citations",
    )
    return json.dumps({k: context[k] for k in keys}, indent=2, ensure_ascii=False) + "\n"


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
    contents = {
        files.html: env.get_template("digest.html.j2").render(**context, subject=subject(context)),
        files.text: env.get_template("digest.txt.j2").render(**context, subject=subject(context)),
        files.json: to_json(context),
    }
    for path, content in contents.items():
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(content, encoding="utf-8")
        tmp.replace(path)
    return files
