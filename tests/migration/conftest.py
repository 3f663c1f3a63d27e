"""The journal backends the engine's behaviour tests run on: each test that takes
`journals` runs once with SQLite files and once with a PostgreSQL database (a fresh one
of its own on the session's test server)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import psycopg
import pytest

from phonerouting.postgres import split_url


class Journals:
    """Makes journals of one backend and looks inside them, as a test needs to (what a
    crash would have left, how many writes were recorded)."""

    def __init__(self, kind: str, tmp_path: Path, url: str | None) -> None:
        self.kind = kind
        self._tmp = tmp_path
        self._url = url

    def new(self, name: str = "j") -> Any:
        """A new journal: an SQLite path, or a PostgreSQL URL naming journal ``name``."""
        if self._url is None:
            return self._tmp / f"{name}.sqlite"
        return f"{self._url}?journal={name}"

    def _rows(self, journal: Any, sql: str, *args: Any) -> list[Any]:
        """Run ``sql`` (SQLite's spelling: table ``steps``, ``?`` placeholders, and a
        WHERE clause) on the journal's steps; on PostgreSQL, on its rows of
        ``journal_steps``."""
        if self._url is None:
            with sqlite3.connect(journal) as db:
                return db.execute(sql, args).fetchall()
        url, options = split_url(journal, {"journal"})
        sql = sql.replace(" steps ", " journal_steps ").replace("?", "%s")
        sql = sql.replace(" WHERE ", " WHERE journal = %s AND ")
        with psycopg.connect(url, autocommit=True) as db:
            cursor = db.execute(sql, _with_name(sql, args, options["journal"]))
            return cursor.fetchall() if cursor.description else []

    def counts(self, journal: Any) -> dict[str, int]:
        """How many steps are in each state."""
        return dict(
            self._rows(journal, "SELECT state, COUNT(*) FROM steps WHERE 1=1 GROUP BY state")
        )

    def writes(self, journal: Any) -> int:
        """The writes the journal recorded, over all its steps."""
        ((total,),) = self._rows(journal, "SELECT SUM(writes) FROM steps WHERE 1=1")
        return int(total)

    def set_state(self, journal: Any, numbers: Iterable[str], state: str) -> None:
        """Put steps in ``state``, as a crash (or an older run) would have left them."""
        for number in numbers:
            self._rows(journal, "UPDATE steps SET state = ? WHERE number = ?", state, number)

    def column(self, journal: Any, name: str) -> dict[str, Any]:
        """One column of every step, by number (JSON columns decoded)."""
        assert name.isidentifier()
        query = f"SELECT number, {name} FROM steps WHERE 1=1"  # noqa: S608 - a column name
        rows = self._rows(journal, query)
        if self._url is None and name in _JSON:
            return {number: None if value is None else json.loads(value) for number, value in rows}
        return dict(rows)


#: The columns SQLite holds as JSON text, and PostgreSQL as JSONB (decoded by psycopg).
_JSON = ("prior", "desired", "result", "restore")


def _with_name(sql: str, args: tuple[Any, ...], name: str) -> list[Any]:
    # The journal's name goes where the WHERE clause put its placeholder.
    before = sql[: sql.index("journal = %s")].count("%s")
    return [*args[:before], name, *args[before:]]


@pytest.fixture(params=["sqlite", "postgresql"])
def journals(request: pytest.FixtureRequest, tmp_path: Path) -> Journals:
    """Journals of each backend in turn."""
    url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    return Journals(request.param, tmp_path, url)
