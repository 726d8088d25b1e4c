"""Files beside each digest: an Atom feed of all digests, and the week's studies as RIS and BibTeX.

A reader can subscribe to the Atom feed instead of (or as well as) the email, and import the
week's relevant studies into Zotero, EndNote or any reference manager.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from lxml import etree

from kapwatch.digest.render import atomic, listed_studies, read_head

ATOM = "http://www.w3.org/2005/Atom"
FEED_FILE = "feed.xml"
FEED_SIZE = 52  # a year of weekly digests


def _pages(pages: str) -> tuple[str, str]:
    start, _, end = (pages or "").partition("-")
    return start.strip(), end.strip()


def ris_entry(study: dict[str, Any]) -> str:
    """One RIS record (the tagged format every reference manager imports)."""
    out: list[str] = []
    tags: list[tuple[str, str]] = [("TY", "JOUR"), ("TI", study["title"])]
    tags += [("AU", author) for author in study["authors"]]
    tags += [
        ("PY", str(study["year"] or "")),
        ("DA", (study["published"] or "").replace("-", "/")),
        ("JO", study["journal"] or ""),
        ("VL", study.get("volume") or ""),
        ("IS", study.get("issue") or ""),
    ]
    start, end = _pages(study.get("pages") or "")
    tags += [("SP", start), ("EP", end), ("DO", study["doi"] or "")]
    tags += [
        ("AN", f"PMID:{study['pmid']}" if study["pmid"] else ""),
        ("UR", study["url"] or ""),
    ]
    tags += [("N1", f"kapwatch: {study['design']}; {study['reason']}")]
    for tag, value in tags:
        value = " ".join(str(value).split())  # one line per tag, whatever the source held
        if value:
            out.append(f"{tag}  - {value}")
    out.append("ER  - ")
    return "\n".join(out) + "\n"


def _bib_escape(text: str) -> str:
    text = " ".join(str(text).split())
    return re.sub(r"([{}\\&%$#_])", r"\\\1", text)


def _bib_key(study: dict[str, Any], taken: set[str]) -> str:
    surname = re.sub(r"[^A-Za-z]", "", (study["authors"] or ["anon"])[0].split(" ")[0]) or "anon"
    key = base = f"{surname.lower()}{study['year'] or ''}"
    suffix = ord("a")
    while key in taken:
        key = f"{base}{chr(suffix)}"
        suffix += 1
    taken.add(key)
    return key


def bibtex_entry(study: dict[str, Any], taken: set[str]) -> str:
    """One @article; `taken` holds the keys used so far in the file (and gets this one)."""
    fields = {
        "title": study["title"],
        "author": " and ".join(study["authors"]),
        "journal": study["journal"],
        "year": study["year"],
        "volume": study.get("volume"),
        "number": study.get("issue"),
        "pages": (study.get("pages") or "").replace("-", "--"),
        "doi": study["doi"],
        "pmid": study["pmid"],
        "url": study["url"],
    }
    body = ",\n".join(
        f"  {name} = {{{_bib_escape(value)}}}" for name, value in fields.items() if value
    )
    return f"@article{{{_bib_key(study, taken)},\n{body}\n}}\n"


def atom_feed(digests_dir: Path) -> bytes:
    """An Atom 1.0 feed with one entry per digest in the folder, newest first."""
    digests = []
    for path in digests_dir.glob("*.json"):
        try:
            digests.append(read_head(path))
        except (OSError, ValueError):
            continue  # a half-written or foreign file is not a digest
    digests.sort(key=lambda d: d["generated"], reverse=True)
    digests = digests[:FEED_SIZE]

    def el(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> Any:
        node = etree.SubElement(parent, f"{{{ATOM}}}{tag}", attrib=attrs)
        if text is not None:
            node.text = text
        return node

    feed = etree.Element(f"{{{ATOM}}}feed", nsmap={None: ATOM})  # type: ignore[dict-item]
    el(feed, "id", "urn:kapwatch:digests")
    el(feed, "title", "kapwatch: KAP literature digests")
    el(feed, "updated", digests[0]["generated"] if digests else "1970-01-01T00:00:00+00:00")
    author = el(feed, "author")
    el(author, "name", "kapwatch")
    el(feed, "link", rel="self", href=FEED_FILE)
    for digest in digests:
        summary, window = digest["summary"], digest["window"]
        entry = el(feed, "entry")
        el(entry, "id", f"urn:kapwatch:digest:{digest['label']}")
        el(entry, "title", f"{digest['label']}: {window['since']} to {window['until']}")
        el(entry, "updated", digest["generated"])
        el(entry, "link", rel="alternate", type="text/html", href=f"{digest['label']}.html")
        failed = ", ".join(summary["failed_sources"]) or "none"
        el(
            entry,
            "summary",
            f"{summary['new_studies']} new studies, {summary['relevant']} relevant, "
            f"{summary['claim_updates']} claim updates; failed sources: {failed}.",
        )
    return etree.tostring(feed, xml_declaration=True, encoding="utf-8", pretty_print=True)


def write_exports(digest: dict[str, Any], digests_dir: Path) -> list[Path]:
    """<label>.ris and <label>.bib (the relevant studies, written as they are read) and the
    updated feed.xml; returns their paths."""
    ris = digests_dir / f"{digest['label']}.ris"
    bib = digests_dir / f"{digest['label']}.bib"
    feed = digests_dir / FEED_FILE
    taken: set[str] = set()
    with atomic(ris) as ris_out, atomic(bib) as bib_out:
        first = True
        for study in listed_studies(digest):
            if study["relevant"]:
                gap = "" if first else "\n"
                ris_out.write(gap + ris_entry(study))
                bib_out.write(gap + bibtex_entry(study, taken))
                first = False
    with atomic(feed) as out:
        out.write(atom_feed(digests_dir).decode("utf-8"))
    return [ris, bib, feed]
