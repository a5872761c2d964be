"""A view's working copy of its tables: rows read through from the database on a miss,
changed in memory by the handlers, and written back in bulk at the end of the batch.

Why: a handler that runs its own SQL for every event spends 0.1-0.3 ms a statement in
SQLAlchemy, several statements an event, which kept a full rebuild at about 350 events a
second. Against a working copy, a handler is a few dict operations and the batch's
writes go out as a handful of executemany statements, inside the batch's transaction.

Lifetime (the runner's part; projections/runner.py):
- A live view's copies last one batch: flushed before the batch's transaction commits,
  then forgotten, because another worker may write those tables next.
- A rebuild fills fresh tables that only it writes, so its copies are *complete* (a key
  not in the copy is not in the table) and are kept from batch to batch: the rebuild
  reads nothing back, and writes each row once, at the end (added rows, which are never
  read back, go out with every batch). Past a cap of rows held they are written and
  forgotten, and from then on read back as needed, so a rebuild's memory is bounded by
  the cap, not the store.

Rules for handlers:
- A table is either worked on through its `Rows` (or `Appended`) or through SQL, never
  both in one view; a rare handler that must run SQL over such a table (erasure
  redacting a whole trail) calls `View.flush(conn)` first.
- Rows are plain dicts of column name to Python value, as SQLAlchemy hands them back
  (UUID, date, aware datetime, JSON as dicts and lists with string keys). Treat a row
  from `get`/`where` as read-only and change it with `update`, so the change is written.
- `where` answers in no particular order: sort what needs an order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import timezone
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, DateTime, Table, and_, bindparam, select
from sqlalchemy.engine import Connection

Key = tuple[Any, ...]


class Encoded(str):
    """A value already in its column's stored form (JSON text for a JSON column): written
    as it is. For rows never read back (`Appended`), so a handler encodes once, in C,
    rather than building a dict for the column type to encode again."""


class Bulk:
    """A statement compiled once per dialect and run straight through the driver, each value
    put through its column type's bind processor first: the same values SQLAlchemy would
    send, without its per-row work (most of a flush's time). SQLite takes the rows with
    executemany, a loop in C; PostgreSQL takes an INSERT's rows by COPY."""

    def __init__(self, statement: Any):
        self.statement = statement
        self._compiled: dict[str, tuple[str, list[str], Callable[[dict[str, Any]], tuple],
                                        list[tuple[int, Any]]]] = {}

    def _compile(self, dialect: Any) -> Any:
        # Compiled for positional parameters, so a multi-row statement is the row's group repeated.
        positional = dialect if dialect.positional else type(dialect)(paramstyle="format")
        done = self.statement.compile(dialect=positional)
        names = list(done.positiontup)
        converters = []
        for i, name in enumerate(names):
            type_ = done.binds[name].type
            process = type_._cached_bind_processor(dialect)
            if process is not None:
                if isinstance(type_, JSON):  # JSON text a handler encoded already goes as it is
                    process = _unless_encoded(process)
                converters.append((i, process))
        pick = itemgetter(*names) if len(names) > 1 else (lambda row, n=names[0]: (row[n],))
        return done.string, names, pick, converters

    def run(self, conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        dialect = conn.dialect
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            compiled = self._compiled[dialect.name] = self._compile(dialect)
        sql, names, pick, converters = compiled
        params: list[Any] = []
        for row in rows:
            values = list(pick(row))
            for i, process in converters:
                value = values[i]
                if value is not None:
                    values[i] = process(value)
            params.append(values)
        if dialect.name == "postgresql" and self.statement.is_insert:
            # COPY: one stream for all the rows (executemany would run a statement a row).
            table = self.statement.table
            columns = ", ".join(dialect.identifier_preparer.quote(n) for n in names)
            if not conn.in_transaction():  # the COPY must be in the caller's transaction, not the driver's own
                conn.begin()
            cursor = conn.connection.driver_connection.cursor()
            try:
                with cursor.copy(f"COPY {dialect.identifier_preparer.format_table(table)} ({columns}) FROM STDIN") as copy:
                    for values in params:
                        copy.write_row(values)
            finally:
                cursor.close()
            return
        conn.exec_driver_sql(sql, [tuple(p) for p in params])


def _unless_encoded(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        return value if value.__class__ is Encoded else process(value)
    return convert


class Rows:
    """One table's working copy, keyed by its primary key, with lookups by the columns in
    `by` (e.g. every assessment of a child)."""

    def __init__(self, table: Table, by: Sequence[str] = ()):
        self.table = table
        self.columns = [c.name for c in table.columns]
        self.key_columns = [c.name for c in table.primary_key.columns]
        self.by = tuple(by)
        self._aware = [c.name for c in table.columns
                       if isinstance(c.type, DateTime) and c.type.timezone]
        pk = [table.c[name] == bindparam(f"pk_{name}") for name in self.key_columns]
        self._select_key = select(table).where(and_(*pk))
        self._select_by = {name: select(table).where(table.c[name] == bindparam("value")) for name in self.by}
        self._insert = Bulk(table.insert())
        self._update = Bulk(table.update().where(and_(*pk)).values(
            {name: bindparam(name) for name in self.columns if name not in self.key_columns}))
        self._delete = Bulk(table.delete().where(and_(*pk)))
        self.complete = False
        self.forget()

    # -- reading ---------------------------------------------------------------------------

    def key_of(self, row: dict[str, Any]) -> Key:
        return tuple(row[name] for name in self.key_columns)

    def get(self, conn: Connection, *key: Any) -> dict[str, Any] | None:
        """The row with this primary key, or None."""
        row = self._rows.get(key)
        if row is not None or self.complete or key in self._missing:
            return row
        found = conn.execute(self._select_key, {f"pk_{n}": v for n, v in zip(self.key_columns, key)}).mappings().first()
        if found is None:
            self._missing.add(key)
            return None
        return self._cache(dict(found))

    def one(self, conn: Connection, *key: Any) -> dict[str, Any]:
        row = self.get(conn, *key)
        if row is None:
            raise LookupError(f"no row {key!r} in {self.table.name}")
        return row

    def where(self, conn: Connection, column: str, value: Any) -> list[dict[str, Any]]:
        """Every row whose `column` (one of `by`) equals `value`."""
        if not self.complete and (column, value) not in self._loaded:
            for found in conn.execute(self._select_by[column], {"value": value}).mappings():
                key = tuple(found[name] for name in self.key_columns)
                if key not in self._rows and key not in self._gone and key not in self._missing:
                    self._cache(dict(found))
            self._loaded.add((column, value))
        return [self._rows[key] for key in self._index[column].get(value, ())]

    def _cache(self, row: dict[str, Any]) -> dict[str, Any]:
        for name in self._aware:  # SQLite hands back the UTC it was given without its zone
            moment = row[name]
            if moment is not None and moment.tzinfo is None:
                row[name] = moment.replace(tzinfo=timezone.utc)
        key = self.key_of(row)
        self._rows[key] = row
        self._stored.add(key)
        self._index_add(key, row)
        return row

    # -- changing --------------------------------------------------------------------------

    def insert(self, row: dict[str, Any]) -> dict[str, Any]:
        """A new row (columns left out are None). A key already held is a handler's bug;
        one only in the database fails at the flush, as a plain INSERT would."""
        full = {name: row.get(name) for name in self.columns}
        key = self.key_of(full)
        if key in self._rows:
            raise ValueError(f"row {key!r} is already in {self.table.name}")
        return self._put(key, full)

    def put(self, conn: Connection, row: dict[str, Any]) -> dict[str, Any]:
        """Insert the row, or replace the one with its key."""
        full = {name: row.get(name) for name in self.columns}
        key = self.key_of(full)
        old = self.get(conn, *key)
        if old is not None:
            self._index_remove(key, old)
        return self._put(key, full)

    def update(self, conn: Connection, key: Key | Any, **values: Any) -> dict[str, Any]:
        """Change some columns of an existing row (`key`: a tuple for a composite key)."""
        key = key if isinstance(key, tuple) else (key,)
        row = self.one(conn, *key)
        moved = [name for name in self.by if name in values and values[name] != row[name]]
        if moved:
            self._index_remove(key, row)
        row.update(values)
        if moved:
            self._index_add(key, row)
        self._dirty.add(key)
        return row

    def update_if_present(self, conn: Connection, key: Key | Any, **values: Any) -> None:
        """As an UPDATE by primary key: an event about a row this view never made (or no
        longer has) changes nothing."""
        key = key if isinstance(key, tuple) else (key,)
        if self.get(conn, *key) is not None:
            self.update(conn, key, **values)

    def delete(self, conn: Connection, *key: Any) -> None:
        row = self.get(conn, *key)
        if row is None:
            return
        self._index_remove(key, row)
        del self._rows[key]
        self._dirty.discard(key)
        self._missing.add(key)
        if key in self._stored:
            self._stored.discard(key)
            self._gone.add(key)

    def _put(self, key: Key, row: dict[str, Any]) -> dict[str, Any]:
        self._rows[key] = row
        self._missing.discard(key)
        self._index_add(key, row)
        self._dirty.add(key)
        return row

    def _index_add(self, key: Key, row: dict[str, Any]) -> None:
        for name in self.by:
            self._index[name].setdefault(row[name], {})[key] = None

    def _index_remove(self, key: Key, row: dict[str, Any]) -> None:
        for name in self.by:
            group = self._index[name].get(row[name])
            if group is not None:
                group.pop(key, None)

    # -- writing back ----------------------------------------------------------------------

    def flush(self, conn: Connection) -> None:
        """Write every change since the last flush: deletes, then inserts, then updates."""
        if self._gone:
            self._delete.run(conn, [self._key_params(key) for key in self._gone])
            self._gone.clear()
        if not self._dirty:
            return
        new = [self._rows[key] for key in self._dirty if key not in self._stored]
        changed = [{**self._rows[key], **self._key_params(key)} for key in self._dirty if key in self._stored]
        self._insert.run(conn, new)
        self._update.run(conn, changed)
        self._stored.update(self._dirty)
        self._dirty.clear()

    def _key_params(self, key: Key) -> dict[str, Any]:
        return {f"pk_{name}": value for name, value in zip(self.key_columns, key)}

    def __len__(self) -> int:
        return len(self._rows)

    def forget(self) -> None:
        """Drop the copy (after a flush, or to throw away a failed batch's changes)."""
        self._rows: dict[Key, dict[str, Any]] = {}
        self._index: dict[str, dict[Any, dict[Key, None]]] = {name: {} for name in self.by}
        self._stored: set[Key] = set()  # in the table as of the last flush
        self._dirty: set[Key] = set()  # to insert (not stored) or update (stored)
        self._gone: set[Key] = set()  # stored, to delete
        self._missing: set[Key] = set()  # known not to be in the table
        self._loaded: set[tuple[str, Any]] = set()  # `where` lookups read from the table


class Appended:
    """A table the view only ever adds rows to (the audit trail): rows are held until the
    flush and written in one executemany; nothing is read back."""

    def __init__(self, table: Table):
        self.table = table
        self.columns = [c.name for c in table.columns]
        self._insert = Bulk(table.insert())
        self._rows: list[dict[str, Any]] = []

    def insert(self, row: dict[str, Any]) -> None:
        self._rows.append({name: row.get(name) for name in self.columns})

    def flush(self, conn: Connection) -> None:
        self._insert.run(conn, self._rows)
        self._rows = []

    def __len__(self) -> int:
        return 0

    def forget(self) -> None:
        self._rows = []


class WorkingSet:
    """A view's working copies, by table attribute name."""

    def __init__(self, tables: Any, worked: dict[str, Sequence[str]], appended: Iterable[str]):
        self.copies: dict[str, Rows | Appended] = {name: Rows(getattr(tables, name), by) for name, by in worked.items()}
        self.copies.update({name: Appended(getattr(tables, name)) for name in appended})

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["copies"][name]
        except KeyError:
            raise AttributeError(name) from None

    def set_complete(self, complete: bool) -> None:
        for copy in self.copies.values():
            if isinstance(copy, Rows):
                copy.complete = complete

    def flush(self, conn: Connection, *, appended_only: bool = False) -> None:
        """Write the changes held; with `appended_only`, only the added rows (a rebuild
        holds its row changes until the cap or the end, so a row changed in many batches is
        written once)."""
        for copy in self.copies.values():
            if not appended_only or isinstance(copy, Appended):
                copy.flush(conn)

    def held(self) -> int:
        return sum(len(copy) for copy in self.copies.values())

    def forget(self) -> None:
        for copy in self.copies.values():
            copy.forget()
