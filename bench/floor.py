"""The processing floor: the least work any tool must do with the same records on one core.

The processing scenario's target (records/s) only means something next to what the machine
allows. This runs the bare minimum of each stage on the same EFetch XML, streamed in the
same batches as kapwatch, with no logic of kapwatch's own:

- tree: libxml2 builds each article's tree (lxml iterparse, cleared as it goes), nothing read;
- fields: the tree plus reading the columns a study needs (PMID, DOI, title and abstract with
  their markup, author names, journal, year, volume, pages, publication types, MeSH) with the
  fewest lxml calls;
- store: one sqlite3 `executemany` per batch into a table with kapwatch's unique and blocking
  indexes, lists as JSON, one transaction per batch; no look-up before inserting;
- words: the title and abstract lowered and split into words once, the least a lexical
  reading must do (no sentences, no concepts, no negation, no claims).

Its records/s is a ceiling for kapwatch's processing figure, not a rival to it: kapwatch also
deduplicates against the store, keeps provenance, reads every sentence for concepts and
decides stance per claim.

    .venv/bin/python -m bench.floor FILE --cpu 0
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lxml import etree

from bench.common import loopback_only, peak_mb, pin, reset_peak
from kapwatch.sources.eutils import BATCH_SIZE
from kapwatch.sources.pubmed_xml import _release

_WORD = re.compile(r"[a-z0-9]+")

_TABLE = """
create table studies (
    id integer primary key, pmid text unique, doi text unique, title text, title_key text,
    abstract text, authors text, author_key text, journal text, year integer, volume text,
    pages text, pub_types text, mesh text
)
"""
_INDEXES = ("title_key", "author_key", "year")
_INSERT = "insert into studies values (null, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"

Row = tuple[Any, ...]


def _articles(path: Path) -> Iterator[Any]:
    events = etree.iterparse(
        str(path),
        events=("end",),
        tag="PubmedArticle",
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
    )
    for _event, element in events:
        yield element
        _release(element)  # as kapwatch's parser frees what it has read


def _row(article: Any) -> Row:
    citation = article[0]
    item = citation.find("Article")
    abstract = item.find("Abstract")
    title = "".join(item.find("ArticleTitle").itertext())
    authors = [
        f"{a.findtext('LastName') or ''} {a.findtext('Initials') or ''}".strip()
        for a in item.iterfind("AuthorList/Author")
    ]
    return (
        citation.findtext("PMID"),
        article.findtext("PubmedData/ArticleIdList/ArticleId[@IdType='doi']"),
        title,
        title.lower(),
        " ".join("".join(t.itertext()) for t in abstract.iterfind("AbstractText"))
        if abstract is not None
        else "",
        json.dumps(authors),
        authors[0].lower() if authors else "",
        item.findtext("Journal/Title"),
        item.findtext("Journal/JournalIssue/PubDate/Year"),
        item.findtext("Journal/JournalIssue/Volume"),
        item.findtext("Pagination/MedlinePgn"),
        json.dumps([t.text for t in item.iterfind("PublicationTypeList/PublicationType")]),
        json.dumps(
            [m.text for m in citation.iterfind("MeshHeadingList/MeshHeading/DescriptorName")]
        ),
    )


def _timed(stage: str, seconds: dict[str, float], items: Iterator[Any]) -> Iterator[Any]:
    """Each item of `items`, the time spent producing it added to seconds[stage]."""
    while True:
        began = time.perf_counter()
        try:
            item = next(items)
        except StopIteration:
            return
        finally:
            seconds[stage] += time.perf_counter() - began
        yield item


def run(path: Path, limit: int | None = None) -> dict[str, Any]:
    seconds = dict.fromkeys(("tree", "fields", "store", "words"), 0.0)
    count = words = 0
    reset_peak()
    with tempfile.TemporaryDirectory(prefix="kapwatch-floor-") as folder:
        db = sqlite3.connect(Path(folder) / "floor.db")
        db.execute(_TABLE)
        for column in _INDEXES:
            db.execute(f"create index ix_{column} on studies ({column})")
        articles = _timed("tree", seconds, _articles(path))
        if limit is not None:
            articles = itertools.islice(articles, limit)
        while True:
            began = time.perf_counter()
            batch: list[Row] = []
            for article in itertools.islice(articles, BATCH_SIZE):
                batch.append(_row(article))
            # _row's own time: the batch's time less the tree's share of it
            seconds["fields"] += time.perf_counter() - began
            if not batch:
                break
            count += len(batch)
            began = time.perf_counter()
            with db:
                db.executemany(_INSERT, batch)
            seconds["store"] += time.perf_counter() - began
            began = time.perf_counter()
            for row in batch:
                words += len(set(_WORD.findall(f"{row[2]} {row[4]}".lower())))
            seconds["words"] += time.perf_counter() - began
        db.close()
    seconds["fields"] -= seconds["tree"]
    total = sum(seconds.values())
    return {
        "file": path.name,
        "records": count,
        "seconds": round(total, 2),
        "records_per_s": round(count / total) if total else 0,
        "stages": {
            name: {
                "seconds": round(value, 3),
                "per_s": round(count / value) if value else 0,
                "us_per_record": round(value / count * 1e6) if count else 0,
            }
            for name, value in seconds.items()
        },
        "distinct_words_per_record": round(words / count) if count else 0,
        "peak_rss_mb": peak_mb(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("file", type=Path)
    parser.add_argument("--limit", type=int, default=None, help="stop after this many records")
    parser.add_argument("--cpu", type=int, default=None, help="pin to this CPU")
    args = parser.parse_args(argv)
    loopback_only()
    pin(args.cpu)
    print(json.dumps(run(args.file, args.limit)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
