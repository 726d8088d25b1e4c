"""What one run keeps for the next: each source's HTTP validators and last outcome, and the
seed references' citation verdicts (looked up once, then re-read only when needed)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from kapwatch.store.database import Database
from kapwatch.store.models import CitationRow, SourceState, now


class Caches(Database):
    def source_state(self, name: str) -> SourceState | None:
        with self.session() as s:
            return s.get(SourceState, name)

    def save_source_state(
        self,
        name: str,
        *,
        ok: bool,
        error: str = "",
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> None:
        with self.session() as s:
            state = s.get(SourceState, name) or SourceState(name=name)
            s.add(state)
            if ok:
                state.last_ok = now()
                state.last_error = ""
                if etag is not None or last_modified is not None:
                    state.etag, state.last_modified = etag, last_modified
            else:
                state.last_error = error

    def citation_checks(self) -> dict[str, dict[str, Any]]:
        """fingerprint -> the cached verdict (as CitationCheck fields)."""
        with self.session() as s:
            return {row.fingerprint: dict(row.result) for row in s.scalars(select(CitationRow))}

    def save_citation_checks(self, checks: dict[str, dict[str, Any]]) -> None:
        """Insert or replace verdicts by fingerprint."""
        with self.session() as s:
            for fingerprint, result in checks.items():
                row = s.get(CitationRow, fingerprint)
                if row is None:
                    s.add(
                        CitationRow(
                            fingerprint=fingerprint,
                            seed=str(result.get("seed", "")),
                            key=str(result.get("key", "")),
                            result=result,
                        )
                    )
                else:
                    row.result, row.checked = result, now()
