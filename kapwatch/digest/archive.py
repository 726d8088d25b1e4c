"""The archive of digests: an Atom feed (feed.xml) and a page (index.html) listing every week
with its headline. With KAPWATCH_PUBLIC_URL set, their links and ids are absolute."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lxml import etree

from kapwatch.digest.render import environment, read_head

ATOM = "http://www.w3.org/2005/Atom"
FEED_FILE = "feed.xml"
INDEX_FILE = "index.html"
FEED_SIZE = 52  # a year of weekly digests


def digest_heads(digests_dir: Path) -> list[dict[str, Any]]:
    """The head of every digest in the folder, newest first."""
    heads = []
    for path in digests_dir.glob("*.json"):
        try:
            heads.append(read_head(path))
        except (OSError, ValueError):
            continue  # a half-written or foreign file is not a digest
    heads.sort(key=lambda d: d["generated"], reverse=True)
    return heads


def href(public_url: str | None, name: str) -> str:
    """A file of the archive: absolute under the public URL when there is one."""
    return f"{public_url.rstrip('/')}/{name}" if public_url else name


def headline(head: dict[str, Any]) -> str:
    """The week's headline (digests written before it existed: their counts)."""
    summary = head["summary"]
    return summary.get("headline") or (
        f"{summary['new_studies']} new studies, {summary['relevant']} relevant, "
        f"{summary['claim_updates']} claim updates"
    )


def atom_feed(digests_dir: Path, public_url: str | None = None) -> bytes:
    """An Atom 1.0 feed with one entry per digest in the folder, newest first."""
    digests = digest_heads(digests_dir)[:FEED_SIZE]

    def el(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> Any:
        node = etree.SubElement(parent, f"{{{ATOM}}}{tag}", attrib=attrs)
        if text is not None:
            node.text = text
        return node

    feed = etree.Element(f"{{{ATOM}}}feed", nsmap={None: ATOM})  # type: ignore[dict-item]
    el(feed, "id", href(public_url, FEED_FILE) if public_url else "urn:kapwatch:digests")
    el(feed, "title", "kapwatch: KAP literature digests")
    el(feed, "updated", digests[0]["generated"] if digests else "1970-01-01T00:00:00+00:00")
    author = el(feed, "author")
    el(author, "name", "kapwatch")
    el(feed, "link", rel="self", href=href(public_url, FEED_FILE))
    el(feed, "link", rel="alternate", type="text/html", href=href(public_url, INDEX_FILE))
    for digest in digests:
        summary, window, label = digest["summary"], digest["window"], digest["label"]
        page = href(public_url, f"{label}.html")
        entry = el(feed, "entry")
        el(entry, "id", page if public_url else f"urn:kapwatch:digest:{label}")
        el(entry, "title", f"{label}: {headline(digest)}")
        el(entry, "updated", digest["generated"])
        el(entry, "link", rel="alternate", type="text/html", href=page)
        failed = ", ".join(summary["failed_sources"]) or "none"
        el(
            entry,
            "summary",
            f"{window['since']} to {window['until']}: {summary['new_studies']} new studies, "
            f"{summary['relevant']} relevant, {summary['claim_updates']} claim updates; "
            f"failed sources: {failed}.",
        )
    return etree.tostring(feed, xml_declaration=True, encoding="utf-8", pretty_print=True)


def index_html(digests_dir: Path, public_url: str | None = None) -> str:
    """index.html: every week, newest first, with its headline and a link to its digest."""
    weeks = [
        {
            "label": d["label"],
            "window": d["window"],
            "headline": headline(d),
            "href": href(public_url, f"{d['label']}.html"),
        }
        for d in digest_heads(digests_dir)
    ]
    page = environment().get_template("index.html.j2")
    return page.render(weeks=weeks, feed=href(public_url, FEED_FILE))
