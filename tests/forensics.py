"""What an adversary holding a copy of Mend's files can read from them, written from the formats' specs.

Nothing here uses Mend's code or its models: an adversary has only the files (or, on
PostgreSQL, the database's pages).

- SQLite (https://www.sqlite.org/fileformat2.html): the write-ahead log frame by frame,
  frames grouped into committed transactions, and b-tree pages decoded into rows with
  each cell's byte offset in its page. `SqliteCopy` replays a copy's WAL over its main
  file, so every version of a table that the copy still holds can be read, in the order
  it was written.
- PostgreSQL (pageinspect, https://www.postgresql.org/docs/current/pageinspect.html):
  every version of every row in a table's heap pages, live and dead, with the
  transactions that wrote (`t_xmin`) and replaced (`t_xmax`) it, and the raw pages.
- Any bytes: a secret in raw, base64 and hex form (`search_files`, `find_forms`).
"""

import base64
import shutil
import sqlite3
import struct
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

# SQLite ----------------------------------------------------------------------------------------------

WAL_HEADER_SIZE = 32
FRAME_HEADER_SIZE = 24
# The WAL's magic number says in which byte order its checksums are computed.
WAL_MAGIC = {0x377F0682: "<", 0x377F0683: ">"}
TABLE_INTERIOR, TABLE_LEAF, INDEX_INTERIOR, INDEX_LEAF = 0x05, 0x0D, 0x02, 0x0A


class Frame(NamedTuple):
    """One WAL frame: its position in the file (0 = the first frame), the page it holds, whether it ends a
    transaction (a commit frame records the database's size after the commit), the page image, whether
    it belongs to the log SQLite would read now (salts equal the header's and every checksum up to it
    holds; later frames are left over from an earlier log) and its salt."""

    index: int
    page_number: int
    is_commit: bool
    page: bytes
    current: bool
    salt: bytes


def _wal_checksum(data: bytes, s1: int, s2: int, order: str) -> tuple[int, int]:
    """The WAL's running checksum over `data` (a multiple of 8 bytes), continued from (s1, s2)."""
    words = struct.unpack(f"{order}{len(data) // 4}I", data)
    for i in range(0, len(words), 2):
        s1 = (s1 + words[i] + s2) & 0xFFFFFFFF
        s2 = (s2 + words[i + 1] + s1) & 0xFFFFFFFF
    return s1, s2


def wal_page_size(path: Path | str) -> int | None:
    """The page size in a WAL's 32-byte header (None for an empty or missing log)."""
    path = Path(path)
    if not path.exists() or path.stat().st_size < WAL_HEADER_SIZE:
        return None
    return struct.unpack(">I", path.read_bytes()[8:12])[0]


def wal_frames(path: Path | str) -> Iterator[Frame]:
    """Every frame in a WAL file, in file order, current or left over (see `Frame`)."""
    path = Path(path)
    data = path.read_bytes() if path.exists() else b""
    if len(data) < WAL_HEADER_SIZE:
        return
    magic, _version, page_size, _checkpoint, _salt1, _salt2, check1, check2 = struct.unpack(">8I", data[:32])
    order = WAL_MAGIC.get(magic)
    if order is None or page_size < 512:
        return
    header_salt = data[16:24]
    running = _wal_checksum(data[:24], 0, 0, order)
    current = running == (check1, check2)
    step = FRAME_HEADER_SIZE + page_size
    for index, offset in enumerate(range(WAL_HEADER_SIZE, len(data) - step + 1, step)):
        header = data[offset : offset + FRAME_HEADER_SIZE]
        page = data[offset + FRAME_HEADER_SIZE : offset + step]
        page_number, size_after_commit = struct.unpack(">II", header[:8])
        frame_check = struct.unpack(">II", header[16:24])
        if current:
            running = _wal_checksum(header[:8] + page, *running, order)
            current = header[8:16] == header_salt and running == frame_check
        yield Frame(index, page_number, size_after_commit != 0, page, current, header[8:16])


@dataclass
class Transaction:
    """Frames written together: up to and including a commit frame (`committed`), or the frames left at
    the end of a run that no commit frame closes."""

    frames: list[Frame]
    committed: bool
    current: bool
    # Runs of frames with one salt, counted from the newest log (0, the one SQLite reads now) back.
    age: int

    @property
    def pages(self) -> dict[int, bytes]:
        """The last image of each page the transaction wrote."""
        return {frame.page_number: frame.page for frame in self.frames}


def wal_transactions(path: Path | str) -> list[Transaction]:
    """The WAL's frames grouped into transactions, oldest first.

    A new log is written from the start of the file over the old one, so a file holds the current log
    and then what is left of older ones, each older than the one before it: runs of frames with the
    same salt, newest first. Reversed, they are in the order they were written."""
    runs: list[list[Frame]] = []
    for frame in wal_frames(path):
        if runs and runs[-1][-1].salt == frame.salt and runs[-1][-1].current == frame.current:
            runs[-1].append(frame)
        else:
            runs.append([frame])
    transactions: list[Transaction] = []
    for age, run in reversed(list(enumerate(runs))):
        pending: list[Frame] = []
        for frame in run:
            pending.append(frame)
            if frame.is_commit:
                transactions.append(Transaction(pending, True, frame.current, age))
                pending = []
        if pending:
            transactions.append(Transaction(pending, False, pending[0].current, age))
    return transactions


def varint(data: bytes, offset: int) -> tuple[int, int]:
    """SQLite's variable-length integer at `offset`: (value, offset after it). 1 to 9 bytes, big-endian,
    seven bits a byte with the high bit saying "more", the ninth byte all eight bits."""
    value = 0
    for i in range(8):
        byte = data[offset + i]
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            return value, offset + i + 1
    return (value << 8) | data[offset + 8], offset + 9


def _signed(value: int, bits: int) -> int:
    return value - (1 << bits) if value >= 1 << (bits - 1) else value


def decode_record(payload: bytes) -> list:
    """A record: a header (its size, then one serial type per column) and the column values."""
    header_size, position = varint(payload, 0)
    types = []
    while position < header_size:
        serial, position = varint(payload, position)
        types.append(serial)
    values, body = [], header_size
    sizes = {0: 0, 1: 1, 2: 2, 3: 3, 4: 4, 5: 6, 6: 8, 7: 8, 8: 0, 9: 0, 10: 0, 11: 0}
    for serial in types:
        size = sizes[serial] if serial < 12 else (serial - 12) // 2
        raw = payload[body : body + size]
        body += size
        if serial == 0 or serial in (10, 11):
            values.append(None)
        elif serial <= 6:
            values.append(_signed(int.from_bytes(raw, "big"), 8 * size) if len(raw) == size else None)
        elif serial == 7:
            values.append(struct.unpack(">d", raw)[0] if len(raw) == 8 else None)
        elif serial in (8, 9):
            values.append(serial - 8)
        elif serial % 2 == 0:
            values.append(bytes(raw))
        else:
            values.append(raw.decode("utf-8", errors="replace"))
    return values


class Cell(NamedTuple):
    """A cell of a b-tree page: its byte offset in the page, the row id (table b-trees), the child page it
    points to (interior pages) and the record's values (None for a table interior cell, which has none)."""

    offset: int
    rowid: int | None
    child: int | None
    values: list | None


@dataclass(frozen=True)
class PageLayout:
    """What every page shares: its size, and the bytes of it b-trees may use (the rest is reserved)."""

    page_size: int
    usable: int


def _local_payload(kind: int, total: int, usable: int) -> int:
    """How much of a payload of `total` bytes is stored in the cell itself; the rest is on overflow pages."""
    most = usable - 35 if kind == TABLE_LEAF else (usable - 12) * 64 // 255 - 23
    least = (usable - 12) * 32 // 255 - 23
    if total <= most:
        return total
    local = least + (total - least) % (usable - 4)
    return local if local <= most else least


def _payload(page: bytes, at: int, kind: int, total: int, layout: PageLayout, read_page) -> bytes:
    local = _local_payload(kind, total, layout.usable)
    payload = bytearray(page[at : at + local])
    if local < total and read_page is not None:
        next_page = struct.unpack(">I", page[at + local : at + local + 4])[0]
        seen = set()
        while next_page and len(payload) < total and next_page not in seen:
            seen.add(next_page)
            overflow = read_page(next_page)
            if overflow is None:
                break
            payload += overflow[4 : layout.usable][: total - len(payload)]
            next_page = struct.unpack(">I", overflow[:4])[0]
    return bytes(payload)


def page_kind(page: bytes, page_number: int) -> int:
    """The b-tree page type byte (0x02, 0x05, 0x0A, 0x0D; anything else is no b-tree page)."""
    return page[100 if page_number == 1 else 0]


def page_cells(page: bytes, page_number: int, layout: PageLayout, read_page=None) -> list[Cell]:
    """Every cell of a b-tree page, in the order of its cell pointer array (the key order), each with its
    byte offset in the page. `read_page(n)` gives overflow pages; without it long payloads are cut short."""
    start = 100 if page_number == 1 else 0
    kind = page[start]
    if kind not in (TABLE_INTERIOR, TABLE_LEAF, INDEX_INTERIOR, INDEX_LEAF):
        return []
    count = struct.unpack(">H", page[start + 3 : start + 5])[0]
    pointers = start + (8 if kind in (TABLE_LEAF, INDEX_LEAF) else 12)
    cells = []
    for n in range(count):
        offset = struct.unpack(">H", page[pointers + 2 * n : pointers + 2 * n + 2])[0]
        if not 0 < offset < layout.usable:
            continue
        at, child, rowid, values = offset, None, None, None
        try:
            if kind in (TABLE_INTERIOR, INDEX_INTERIOR):
                child = struct.unpack(">I", page[at : at + 4])[0]
                at += 4
            if kind == TABLE_INTERIOR:
                rowid, at = varint(page, at)
                rowid = _signed(rowid, 64)
            else:
                total, at = varint(page, at)
                if kind == TABLE_LEAF:
                    rowid, at = varint(page, at)
                    rowid = _signed(rowid, 64)
                values = decode_record(_payload(page, at, kind, total, layout, read_page))
        except (IndexError, KeyError, struct.error):
            continue  # a damaged or half-overwritten cell: nothing to read in it
        cells.append(Cell(offset, rowid, child, values))
    return cells


def child_pages(page: bytes, page_number: int, layout: PageLayout) -> list[int]:
    """The pages an interior page points to: each cell's left child, then the right-most pointer."""
    start = 100 if page_number == 1 else 0
    if page[start] not in (TABLE_INTERIOR, INDEX_INTERIOR):
        return []
    right = struct.unpack(">I", page[start + 8 : start + 12])[0]
    return [cell.child for cell in page_cells(page, page_number, layout) if cell.child] + [right]


def btree_pages(read_page: Callable[[int], bytes | None], root: int, layout: PageLayout) -> list[int]:
    """Every page of the b-tree rooted at `root` (interior pages followed down to the leaves)."""
    pages, todo, seen = [], [root], set()
    while todo:
        number = todo.pop()
        if number in seen or number < 1:
            continue
        seen.add(number)
        page = read_page(number)
        if page is None:
            continue
        pages.append(number)
        todo.extend(reversed(child_pages(page, number, layout)))
    return pages


@dataclass(frozen=True)
class TableInfo:
    """A table as its rows are stored: root page, the columns in record order, and which column (if any)
    is the row id, stored as NULL in the record."""

    name: str
    root: int
    columns: tuple[str, ...]
    without_rowid: bool
    rowid_column: str | None


class Row(NamedTuple):
    """A row as found: the page and the byte offset of its cell in that page, its row id, its values."""

    page: int
    offset: int
    rowid: int | None
    values: dict


def read_schema(database: Path | str) -> dict[str, TableInfo]:
    """Each table's root page and columns, from sqlite_schema, read with the sqlite3 module on a scratch
    copy of the main file and its WAL (SQLite may write to a database it opens; the copy is left alone)."""
    database = Path(database)
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / database.name
        shutil.copyfile(database, copy)
        wal = database.with_name(database.name + "-wal")
        if wal.exists():
            shutil.copyfile(wal, copy.with_name(copy.name + "-wal"))
        connection = sqlite3.connect(copy)
        try:
            tables = {}
            listed = connection.execute("SELECT name, rootpage, sql FROM sqlite_schema WHERE type = 'table'")
            for name, root, sql in listed.fetchall():
                info = connection.execute(f"PRAGMA table_info('{name}')").fetchall()
                without_rowid = bool(sql) and "WITHOUT ROWID" in sql.upper()
                keys = sorted((column for column in info if column[5]), key=lambda column: column[5])
                if without_rowid:
                    # A WITHOUT ROWID table's record holds the primary key's columns first, then the others.
                    columns = [c[1] for c in keys] + [c[1] for c in info if not c[5]]
                else:
                    columns = [c[1] for c in info]
                alias = keys[0][1] if not without_rowid and len(keys) == 1 and keys[0][2].upper() == "INTEGER" else None
                tables[name] = TableInfo(name, root, tuple(columns), without_rowid, alias)
            return tables
        finally:
            connection.close()


def rows_in_page(page: bytes, page_number: int, table: TableInfo, layout: PageLayout, read_page=None) -> list[Row]:
    """The rows stored in one page image of `table` (a leaf page, or an index interior page, which holds
    rows too in a WITHOUT ROWID table). Works on a WAL frame as well as on a page of the main file."""
    kind = page_kind(page, page_number)
    if kind not in ((INDEX_LEAF, INDEX_INTERIOR) if table.without_rowid else (TABLE_LEAF,)):
        return []
    rows = []
    for cell in page_cells(page, page_number, layout, read_page):
        values = dict(zip(table.columns, cell.values or [], strict=False))
        if table.rowid_column is not None:
            values[table.rowid_column] = cell.rowid
        rows.append(Row(page_number, cell.offset, cell.rowid, values))
    return rows


def table_rows(read_page: Callable[[int], bytes | None], table: TableInfo, layout: PageLayout) -> list[Row]:
    """Every row of `table` in the database that `read_page` gives pages of."""
    rows = []
    for number in btree_pages(read_page, table.root, layout):
        rows.extend(rows_in_page(read_page(number), number, table, layout, read_page))
    return rows


def split_pages(data: bytes, page_size: int) -> dict[int, bytes]:
    """A main database file as {page number (from 1): page image}."""
    return {n // page_size + 1: data[n : n + page_size] for n in range(0, len(data) - page_size + 1, page_size)}


@dataclass
class State:
    """The rows of some tables as one version of the database held them. `source` says where from: the
    main file alone, or a WAL transaction (its age, its position, whether it belongs to the current log)."""

    source: str
    order: int
    current: bool
    rows: dict[str, list[Row]] = field(default_factory=dict)


class SqliteCopy:
    """A copy of a database's files (main file, -wal, -shm), as an adversary would have taken it."""

    def __init__(self, folder: Path | str, name: str = "mend.db"):
        self.folder = Path(folder)
        self.main = self.folder / name
        self.wal = self.folder / f"{name}-wal"
        data = self.main.read_bytes()
        size = struct.unpack(">H", data[16:18])[0]
        page_size = 65536 if size == 1 else size
        self.layout = PageLayout(page_size, page_size - data[20])
        self.pages = split_pages(data, page_size)
        self.schema = read_schema(self.main)
        self.transactions = wal_transactions(self.wal)

    def states(self, tables: Iterable[str]) -> list[State]:
        """Every version of `tables` the copy holds, oldest first as far as the files tell.

        First the main file alone; then each committed transaction of the logs left over from before
        the last restart of the WAL (each read from its own frames only, a table left out where its
        pages are not all among them); then the current log's transactions, each applied over the main
        file and the ones before it, as SQLite would read the database after that commit."""
        names = [name for name in tables if name in self.schema]
        states = [self._state("main file", 0, True, self.pages.get, names)]
        overlay: dict[int, bytes] = {}
        for order, transaction in enumerate(self.transactions, start=1):
            if not transaction.committed:
                continue
            if transaction.current:
                overlay.update(transaction.pages)
                pages = {**self.pages, **overlay}
                states.append(self._state(f"WAL transaction {order}", order, True, pages.get, names))
            else:
                own = transaction.pages
                states.append(
                    self._state(
                        f"left-over WAL transaction {order} (log -{transaction.age})", order, False, own.get, names
                    )
                )
        return states

    def _state(self, source: str, order: int, current: bool, read_page, names: list[str]) -> State:
        state = State(source, order, current)
        for name in names:
            table = self.schema[name]
            if not current:
                # From its own frames only: the table's pages must all be among them.
                pages = btree_pages(read_page, table.root, self.layout)
                if table.root not in pages or any(read_page(child) is None for child in pages):
                    continue
            state.rows[name] = table_rows(read_page, table, self.layout)
        return state

    def all_page_images(self) -> Iterator[tuple[str, int, bytes]]:
        """Every page image in the copy, as (where, page number, image): the main file's, then every frame's."""
        for number, page in self.pages.items():
            yield "main file", number, page
        for transaction in self.transactions:
            for frame in transaction.frames:
                yield f"WAL frame {frame.index}", frame.page_number, frame.page


def copy_database_files(instance: Path | str, destination: Path | str, name: str = "mend.db") -> Path:
    """Copy an instance folder as someone with read access would: the main file, then -wal, then -shm,
    then the rest. Returns the destination folder."""
    instance, destination = Path(instance), Path(destination)
    destination.mkdir(parents=True, exist_ok=True)
    first = [instance / name, instance / f"{name}-wal", instance / f"{name}-shm"]
    rest = sorted(p for p in instance.iterdir() if p.is_file() and p not in first)
    for path in first + rest:
        try:
            shutil.copyfile(path, destination / path.name)
        except FileNotFoundError:
            continue  # the -wal and -shm come and go with connections
    return destination


# PostgreSQL ------------------------------------------------------------------------------------------

POSTGRES_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
# t_infomask bits: the xmax only locked the row (SELECT ... FOR UPDATE), or is known to have aborted.
HEAP_XMAX_LOCK_ONLY = 0x0080
HEAP_XMAX_INVALID = 0x0800


@dataclass
class Version:
    """One version of a row in a heap page: where it is (block, line pointer, byte offset in the page),
    the transaction that wrote it (xmin) and the one that deleted or replaced it (xmax, 0 if none), and
    its decoded values. `live`: written by a committed transaction and not deleted or replaced by one
    (a dead version stays in the page, readable, until a vacuum removes it)."""

    table: str
    block: int
    lp: int
    lp_off: int
    xmin: int
    xmax: int
    live: bool
    values: dict


def postgres_connection(url: str):
    """A connection (autocommit) as the database's superuser, with pageinspect installed."""
    import psycopg2

    connection = psycopg2.connect(url.replace("postgresql+psycopg2://", "postgresql://"))
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pageinspect")
    return connection


def _varlena(raw: bytes) -> bytes | None:
    """The content of a variable-length value as stored (little-endian headers): None if it is compressed
    or kept out of line (TOAST), which an adversary would have to fetch separately."""
    first = raw[0]
    if first == 0x01:
        return None  # a TOAST pointer
    if first & 0x01:
        return raw[1 : first >> 1]
    header = struct.unpack("<I", raw[:4])[0]
    if header & 0x02:
        return None  # compressed inline
    return raw[4 : header >> 2]


def decode_attribute(raw: bytes | None, type_name: str, length: int):
    """A column's stored bytes as a value, for the types Mend uses; other types stay bytes."""
    if raw is None:
        return None
    raw = bytes(raw)
    fixed = {"smallint": "<h", "integer": "<i", "bigint": "<q", "double precision": "<d", "real": "<f"}
    if type_name in fixed:
        return struct.unpack(fixed[type_name], raw)[0]
    if type_name == "boolean":
        return raw != b"\x00"
    if type_name.startswith("timestamp"):
        return POSTGRES_EPOCH + timedelta(microseconds=struct.unpack("<q", raw)[0])
    if length == -1:
        content = _varlena(raw)
        if content is None or type_name == "bytea":
            return content if content is not None else raw
        return content.decode("utf-8", errors="replace")
    return raw


def relation_blocks(cursor, relation: str) -> int:
    cursor.execute("SELECT pg_relation_size(%s::regclass) / current_setting('block_size')::int", (relation,))
    return cursor.fetchone()[0]


def row_versions(connection, table: str) -> list[Version]:
    """Every row version in `table`'s heap pages, live and dead, ordered by the transaction that wrote it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attname, format_type(atttypid, NULL), attlen, attisdropped FROM pg_attribute "
            "WHERE attrelid = %s::regclass AND attnum > 0 ORDER BY attnum",
            (table,),
        )
        columns = cursor.fetchall()
        versions = []
        for block in range(relation_blocks(cursor, table)):
            cursor.execute(
                "SELECT lp, lp_off, t_xmin::text::bigint, t_xmax::text::bigint, t_infomask, t_attrs "
                "FROM heap_page_item_attrs(get_raw_page(%s, %s), %s::regclass) WHERE lp_flags = 1",
                (table, block, table),
            )
            for lp, lp_off, xmin, xmax, infomask, attrs in cursor.fetchall():
                values = {
                    name: decode_attribute(raw, type_name, length)
                    for (name, type_name, length, dropped), raw in zip(columns, attrs or [], strict=False)
                    if not dropped
                }
                # Deleted or replaced, unless the xmax only locked the row or is known to have aborted.
                replaced = xmax != 0 and not infomask & (HEAP_XMAX_LOCK_ONLY | HEAP_XMAX_INVALID)
                versions.append(Version(table, block, lp, lp_off, xmin, xmax if replaced else 0, True, values))
        status = {}
        for xid in {v.xmin for v in versions} | {v.xmax for v in versions if v.xmax}:
            cursor.execute("SELECT txid_status(%s)", (xid,))
            status[xid] = cursor.fetchone()[0]
        for version in versions:
            # Written by a committed transaction, and not deleted or replaced by one.
            version.live = status[version.xmin] == "committed" and (
                not version.xmax or status[version.xmax] != "committed"
            )
    return sorted(versions, key=lambda v: (v.xmin, v.block, v.lp))


def raw_pages(connection, relation: str) -> bytes:
    """A relation's main fork, page after page, as get_raw_page gives it."""
    with connection.cursor() as cursor:
        blocks = relation_blocks(cursor, relation)
        cursor.execute("SELECT get_raw_page(%s, b) FROM generate_series(0, %s) AS b ORDER BY b", (relation, blocks - 1))
        return b"".join(bytes(page) for (page,) in cursor.fetchall())


def relations_of(connection, tables: Iterable[str] | None = None) -> list[str]:
    """The relations holding `tables`' data: each table, its indexes, its TOAST table and that one's
    index. Without `tables`, every such relation of the public schema."""
    with connection.cursor() as cursor:
        if tables is None:
            cursor.execute("SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'")
            tables = [name for (name,) in cursor.fetchall()]
        found = []
        for table in tables:
            cursor.execute(
                "SELECT c.oid::regclass::text FROM pg_class c WHERE c.oid = %s::regclass "
                "UNION ALL SELECT i.indexrelid::regclass::text FROM pg_index i WHERE i.indrelid = %s::regclass "
                "UNION ALL SELECT t.oid::regclass::text FROM pg_class c JOIN pg_class t ON t.oid = c.reltoastrelid "
                "WHERE c.oid = %s::regclass "
                "UNION ALL SELECT i.indexrelid::regclass::text FROM pg_class c JOIN pg_index i "
                "ON i.indrelid = c.reltoastrelid WHERE c.oid = %s::regclass",
                (table, table, table, table),
            )
            found.extend(name for (name,) in cursor.fetchall())
        return found


# Searching -------------------------------------------------------------------------------------------


class Hit(NamedTuple):
    where: str
    form: str
    offset: int


def _base64_fragments(needle: bytes) -> set[bytes]:
    """The base64 text that `needle` encodes to wherever it starts in a longer encoded value: for each of
    the three alignments, the characters fixed by the needle's bits alone (standard and URL-safe
    alphabets, so padding never matters)."""
    fragments = set()
    for shift in range(3):
        encoded = base64.b64encode(b"\x00" * shift + needle)
        first = -(-8 * shift // 6)  # the first character with no bit of the padding bytes
        last = 8 * (shift + len(needle)) // 6  # the characters before this one are complete
        fragment = encoded[first:last]
        if len(fragment) >= 4:
            fragments.add(fragment)
            fragments.add(fragment.translate(bytes.maketrans(b"+/", b"-_")))
    return fragments


def needle_forms(needle: bytes | str) -> dict[str, set[bytes]]:
    """The forms in which a secret could sit in a file: its bytes, base64 and hex (either case)."""
    raw = needle.encode() if isinstance(needle, str) else bytes(needle)
    return {
        "raw": {raw},
        "base64": _base64_fragments(raw),
        "hex": {raw.hex().encode(), raw.hex().upper().encode()},
    }


def find_forms(data: bytes, needle: bytes | str, where: str = "") -> list[Hit]:
    """Where `needle` occurs in `data`, raw, as base64 or as hex."""
    hits = []
    for form, patterns in needle_forms(needle).items():
        for pattern in patterns:
            start = data.find(pattern)
            while start != -1:
                hits.append(Hit(where, form, start))
                start = data.find(pattern, start + 1)
    return hits


def search_files(paths_or_dir: Path | str | Iterable[Path | str], needle: bytes | str) -> list[Hit]:
    """Every occurrence of `needle` (raw, base64, hex) in the given files, or in every file under a folder."""
    if isinstance(paths_or_dir, (str, Path)) and Path(paths_or_dir).is_dir():
        paths = sorted(p for p in Path(paths_or_dir).rglob("*") if p.is_file())
    elif isinstance(paths_or_dir, (str, Path)):
        paths = [Path(paths_or_dir)]
    else:
        paths = [Path(p) for p in paths_or_dir]
    hits = []
    for path in paths:
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            continue
        hits.extend(find_forms(data, needle, str(path)))
    return hits
