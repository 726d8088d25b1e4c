"""The stand-in with what only tests need: injected faults and records that change in PubMed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from lxml import etree

from kapwatch.demo.standin import Article, Reply, StandIn


@dataclass
class Fault:
    status: int = 503
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    times: int = -1  # how many requests it answers before the path behaves again; -1 = always


@dataclass
class FaultyStandIn(StandIn):
    """A stand-in whose paths can be made to fail (an HTTP status, a CAPTCHA page, a cut body)."""

    faults: dict[str, Fault] = field(default_factory=dict)

    def fail(
        self,
        path: str,
        status: int = 503,
        body: bytes = b"",
        times: int = -1,
        content_type: str = "text/html; charset=utf-8",
    ) -> None:
        self.faults[path] = Fault(status, body, content_type, times)

    def respond(self, path: str, params: dict[str, str], headers: dict[str, str]) -> Reply:
        with self.lock:
            fault = self.faults.get(path)
            if fault is not None and fault.times > 0:
                fault.times -= 1
                if fault.times == 0:
                    del self.faults[path]
        if fault is None:
            return super().respond(path, params, headers)
        return Reply(fault.status, fault.body, fault.content_type)

    def replace(self, pmid: str, xml: bytes, modified: date | None = None) -> None:
        """A record as PubMed now serves it (e.g. marked retracted since last week)."""
        now = Article.read(etree.fromstring(xml))
        for article in self.articles:
            if article.pmid == pmid:
                article.xml, article.types, article.modified = xml, now.types, modified
        self._records.pop(pmid, None)

    def add_notice(self, pmid: str, xml: bytes, modified: date) -> None:
        """An editorial notice (erratum, retraction) entered in PubMed on `modified`."""
        notice = Article.read(etree.fromstring(xml), listed=False)
        notice.entrez = notice.modified = modified
        self.add(notice)
