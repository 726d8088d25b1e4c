"""The review page: a small Starlette app over the store.

GET /              the suggested links no reader has judged, newest first, grouped by study
GET /study?ref=    one study (PMID, DOI or store id) with all its links, judged ones included
GET /claims        every claim with its ledger, confirmed and suggested apart
GET /claims/{id}   a claim's ledger week by week, and the studies behind it
POST /verdict      save a verdict (study_id, claim: a claim or family id, stance, note)

Every POST carries the page's CSRF token (a form field or the X-CSRF-Token header). With an
access token (required off loopback) every request carries it once as ?token=, then a cookie.
"""

from __future__ import annotations

import ipaddress
import secrets
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse
from starlette.routing import Route

from kapwatch.resources import TEMPLATES
from kapwatch.review.judge import record
from kapwatch.seeds.articles import Seeds
from kapwatch.store import Store, VerdictError, empty_ledger
from kapwatch.vocabulary import STANCE_ORDER, VERDICTS, NotRelated

DEFAULT_PORT = 8470
PARTS = ("confirmed", "suggested")
COOKIE = "kapwatch_review"
# The keys that judge the focused link: the first letter of each stance, x for not related.
KEYS = {"s": "supports", "c": "challenges", "e": "extends", "m": "mixed", "x": NotRelated.NONE}


class UnsafeBind(RuntimeError):
    """Refusing to listen beyond this machine without an access token (--token)."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str | None) -> None:
    """A bind other than loopback needs an access token; raises UnsafeBind otherwise."""
    if not is_loopback(host) and not token:
        raise UnsafeBind(
            f"refusing to listen on {host} without an access token: anyone who can reach it "
            "could change verdicts; pass --token (or bind 127.0.0.1)"
        )


def environment(templates: Path = TEMPLATES) -> Environment:
    env = Environment(
        loader=FileSystemLoader(templates),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["q"] = lambda value: quote(str(value or ""), safe="")
    return env


class ReviewApp:
    """The page's state: the store, the seeds, who the verdicts are recorded as, the tokens."""

    def __init__(
        self,
        store: Store,
        seeds: Seeds,
        reviewer: str,
        token: str | None = None,
        templates: Path = TEMPLATES,
    ) -> None:
        self.store = store
        self.seeds = seeds
        self.reviewer = reviewer
        self.token = token
        self.csrf = secrets.token_urlsafe(32)
        self.env = environment(templates)
        self.claims = {c.id: c for c in seeds.claims}
        self.families = [(f, [self.claims[m] for m in f.members]) for f in seeds.families]

    # --- plumbing ------------------------------------------------------------------------------

    def page(self, template: str, request: Request, **context: Any) -> HTMLResponse:
        body = self.env.get_template(template).render(
            csrf=self.csrf,
            reviewer=self.reviewer,
            keys=KEYS,
            verdicts=VERDICTS,
            stances=[str(s) for s in STANCE_ORDER],
            families=self.families,
            claims=self.claims,
            **context,
        )
        return HTMLResponse(body)

    def allowed(self, request: Request) -> bool:
        if not self.token:
            return True
        given = request.query_params.get("token") or request.cookies.get(COOKIE) or ""
        return secrets.compare_digest(given.encode(), self.token.encode())

    def guard(self, handler: Any) -> Any:
        async def guarded(request: Request) -> Any:
            if not self.allowed(request):
                return PlainTextResponse("an access token is needed (?token=...)", 401)
            response = await handler(request)
            if self.token and request.query_params.get("token"):
                response.set_cookie(COOKIE, self.token, httponly=True, samesite="strict")
            response.headers["X-Frame-Options"] = "DENY"
            response.headers["Referrer-Policy"] = "no-referrer"
            return response

        return guarded

    # --- pages ---------------------------------------------------------------------------------

    async def queue(self, request: Request) -> HTMLResponse:
        studies = self.store.review_queue()
        pending = sum(len(s.links) for s in studies)
        return self.page("review.html.j2", request, studies=studies, pending=pending, one=None)

    async def study(self, request: Request) -> HTMLResponse:
        ref = request.query_params.get("ref", "").strip()
        study_id = int(ref[3:]) if ref.startswith("id:") and ref[3:].isdigit() else None
        study_id = study_id or (self.store.find_study(ref) if ref else None)
        found = self.store.review_queue(study_ids=[study_id]) if study_id else []
        response = self.page("review.html.j2", request, studies=found, pending=None, one=ref)
        if not found:
            response.status_code = 404
        return response

    async def claim_list(self, request: Request) -> HTMLResponse:
        ledger = self.store.claim_ledger()
        rows = [(c, ledger.get(c.id, empty_ledger())) for c in self.seeds.claims]
        return self.page("review_claims.html.j2", request, rows=rows)

    async def claim(self, request: Request) -> HTMLResponse:
        claim_id = request.path_params["claim_id"]
        claim = self.claims.get(claim_id)
        if claim is None:
            return HTMLResponse("no such claim", 404)
        linked = self.store.claim_studies(claim_id)
        # Week by week: confirmed and suggested links, each by stance and by design.
        weeks: dict[str, dict[str, dict[str, Counter[str]]]] = {}
        for week, study in linked:
            link = study.links[0]
            entry = weeks.setdefault(
                week, {part: {"stances": Counter(), "designs": Counter()} for part in PARTS}
            )
            part = entry["confirmed" if link.reviewed else "suggested"]
            part["stances"][link.stance] += 1
            part["designs"][study.design or "study"] += 1
        ledger = self.store.claim_ledger().get(claim_id, empty_ledger())
        return self.page(
            "review_claim.html.j2",
            request,
            claim=claim,
            ledger=ledger,
            weeks=sorted(weeks.items(), reverse=True),
            studies=[study for _, study in reversed(linked)],
        )

    async def verdict(self, request: Request) -> Any:
        # Plain forms and the page's script both send urlencoded bodies (no multipart parser).
        form = {
            k: v[-1] for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()
        }
        given = str(form.get("csrf") or request.headers.get("x-csrf-token") or "")
        if not secrets.compare_digest(given.encode(), self.csrf.encode()):
            return PlainTextResponse("missing or wrong CSRF token: reload the page", 403)
        wants_json = "application/json" in request.headers.get("accept", "")
        try:
            study_id = int(str(form.get("study_id", "")))
            claims = record(
                self.store,
                self.seeds,
                study_id,
                str(form.get("claim", "")),
                str(form.get("stance", "")),
                self.reviewer,
                str(form.get("note", "")).strip(),
            )
        except (ValueError, VerdictError) as exc:
            if wants_json:
                return JSONResponse({"error": str(exc)}, 400)
            return PlainTextResponse(str(exc), 400)
        if wants_json:
            return JSONResponse({"saved": claims, "stance": str(form.get("stance"))})
        back = str(form.get("back") or "/")
        back = back if back.startswith("/") and not back.startswith("//") else "/"
        return RedirectResponse(f"{back}#study-{study_id}", status_code=303)

    def routes(self) -> list[Route]:
        return [
            Route("/", self.guard(self.queue)),
            Route("/study", self.guard(self.study)),
            Route("/claims", self.guard(self.claim_list)),
            Route("/claims/{claim_id}", self.guard(self.claim)),
            Route("/verdict", self.guard(self.verdict), methods=["POST"]),
        ]


def make_app(
    store: Store, seeds: Seeds, reviewer: str, token: str | None = None
) -> tuple[Starlette, ReviewApp]:
    """The ASGI app and its state (tests read the CSRF token from it)."""
    state = ReviewApp(store, seeds, reviewer, token)
    return Starlette(routes=state.routes()), state
