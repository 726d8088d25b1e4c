"""The digest's JSON contract (documented in the README): a study as the JSON lists it, and
the file written a study at a time and read back by its head alone."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from kapwatch.digest.boilerplate import clean_evidence
from kapwatch.digest.spool import Spool
from kapwatch.evidence.confidence import load_calibration
from kapwatch.store import Listing, Study
from kapwatch.vocabulary import Strength

CALIBRATION = load_calibration()  # where a link's confidence makes it strong


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
        "evidence": clean_evidence(link.evidence),
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


def listed_studies(context: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every study of the digest as the JSON lists it: the window's new ones (spooled by
    build_context), then the earlier ones with news."""
    spool: Spool | None = context.get("spool")
    if spool is not None:
        yield from spool.items()
    else:
        for study in context["studies"]:
            yield study_json(study, family_of=context.get("family_of"))
    yield from context["earlier"]


def _listed_lines(context: dict[str, Any]) -> Iterator[str]:
    """listed_studies as JSON lines: the spooled ones as they were written."""
    spool: Spool | None = context.get("spool")
    if spool is None:
        for item in listed_studies(context):
            yield json.dumps(item, ensure_ascii=False)
        return
    for _rank, line in spool.lines():
        yield line
    for item in context["earlier"]:
        yield json.dumps(item, ensure_ascii=False)


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
            for i, line in enumerate(_listed_lines(context)):
                out.write(f"{',' if i else ''}\n    {line}")
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
