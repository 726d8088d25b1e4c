"""`kapwatch seeds`: what kapwatch reads from the seed articles, and the citation check."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table

from kapwatch.cli.common import INPUT_ERRORS, NO_DIGEST, console, fail, load_settings
from kapwatch.seeds.articles import Article, Seeds, load_seeds
from kapwatch.settings import Settings, redact
from kapwatch.store import Store, StoreError


def lookup_references(settings: Settings, seeds: Seeds, refresh: bool) -> list[Any]:
    """Every reference's verdict, looked up in PubMed unless the store has it cached."""
    from kapwatch.seeds import citations
    from kapwatch.sources.eutils import Eutils, EutilsError

    try:
        store = Store(settings.db_url)
    except StoreError as exc:
        fail(str(exc))
    known = {} if refresh else citations.from_store(store.citation_checks())
    try:
        with (
            console.status("Looking up the references in PubMed…") as status,
            Eutils.from_settings(settings) as eutils,
        ):
            checks = citations.check_references(
                eutils, seeds, known, progress=lambda key: status.update(f"Looked up {key}…")
            )
    except EutilsError as exc:
        fail(f"PubMed citation check failed: {redact(str(exc), settings.secrets)}", NO_DIGEST)
    store.save_citation_checks({c.fingerprint: c.as_json() for c in checks})
    return checks


def print_checks(checks: list[Any]) -> None:
    colours = {"verified": "green", "details_differ": "yellow", "corrected": "yellow"}
    table = Table(title="Citation check: each reference against PubMed", show_lines=True)
    for column in ("seed / key", "status", "what", "real record"):
        table.add_column(column)
    for c in checks:
        status = ", ".join(f"[{colours.get(x, 'red')}]{x}[/]" for x in c.status)
        table.add_row(f"{c.seed}\n{c.key}", status, c.note or "as printed", c.citation or "-")
    console.print(table)
    problems = sum(1 for c in checks if set(c.status) - {"verified"})
    console.print(f"{len(checks) - problems} of {len(checks)} references check out as printed.")


def seeds_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Look up every reference in PubMed: verified, details_differ, off_topic, "
            "retracted, corrected or not_found (cached in the store).",
        ),
    ] = False,
    refresh: Annotated[
        bool, typer.Option("--refresh", help="With --check: look up again, ignoring the cache.")
    ] = False,
) -> None:
    """Show what kapwatch reads from the seed articles: claims, references, terms, query."""
    settings = load_settings()
    try:
        seeds = load_seeds(settings.seeds_dir)
    except INPUT_ERRORS as exc:
        fail(str(exc))
    if check:
        checks = lookup_references(settings, seeds, refresh)
        if as_json:
            print(json.dumps([c.as_json() for c in checks], indent=2, ensure_ascii=False))
        else:
            print_checks(checks)
        return
    if as_json:
        print(json.dumps(seeds_json(seeds), indent=2, ensure_ascii=False))
        return
    for article in seeds.articles:
        print_article(article)
    console.rule("[bold]Search terms[/]")
    for concept, terms in seeds.terms().items():
        console.print(f"[bold]{concept}[/]: {', '.join(terms)}")
    console.rule("[bold]PubMed query[/]")
    console.print(seeds.query(), highlight=False, soft_wrap=True)


def print_article(article: Article) -> None:
    """One seed article's claims and references, as tables."""
    console.rule(f"[bold]{article.title}[/] ({article.file})")
    claims = Table(title=f"{len(article.claims)} claims", show_lines=True)
    claims.add_column("id", no_wrap=True)
    claims.add_column("claim")
    claims.add_column("cites")
    claims.add_column("restated / family")
    for claim in article.claims:
        claims.add_row(
            claim.id,
            claim.text,
            ", ".join(claim.citations) or "(uncited)",
            f"{claim.restated}\n[dim]{claim.family if claim.linkable else 'not linked'}[/]",
        )
    console.print(claims)
    refs = Table(title=f"{len(article.references)} references")
    for column in ("key", "authors", "year", "title", "journal", "vol(issue):pages", "doi"):
        refs.add_column(column)
    for ref in article.references:
        where = f"{ref.volume}({ref.issue}):{ref.pages}" if ref.volume else ""
        authors = ", ".join(ref.authors[:3]) + (" et al." if ref.et_al else "")
        refs.add_row(ref.key, authors, str(ref.year), ref.title, ref.journal, where, ref.doi or "")
    console.print(refs)
    if article.unresolved:
        missing = ", ".join(article.unresolved)
        console.print(f"[yellow]Citations with no reference in the list:[/] {missing}")


def seeds_json(seeds: Seeds) -> dict[str, Any]:
    return {
        "articles": [
            {
                "file": a.file,
                "id": a.id,
                "title": a.title,
                "publisher": a.publisher,
                "references": [vars(r) for r in a.references],
                "claims": [
                    {
                        "id": c.id,
                        "text": c.text,
                        "references": c.references,
                        "citations": c.citations,
                        "concepts": c.concepts,
                        "form": c.form,
                        "restated": c.restated,
                        "family": c.family,
                        "linkable": c.linkable,
                    }
                    for c in a.claims
                ],
                "unresolved_citations": a.unresolved,
            }
            for a in seeds.articles
        ],
        "families": [
            {"id": f.id, "title": f.title, "members": list(f.members)} for f in seeds.families
        ],
        "terms": seeds.terms(),
        "query": seeds.query(),
    }
