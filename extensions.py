"""Flask extensions, created once here and bound to the app in `create_app`.

Keeping them at module level (the flaskr / Flask-SocketIO-Chat pattern) lets any
module import `db` or `socketio` without importing the app itself.
"""

import ipaddress
import json
import sqlite3
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_socketio import SocketIO
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.model import Model as FlaskSQLAlchemyModel
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, registry
from sqlalchemy.types import TypeDecorator

# Named constraints keep Alembic's batch migrations on SQLite and PostgreSQL identical.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """A moment in time, always timezone-aware in Python and stored as UTC in every database."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("Mend stores only timezone-aware datetimes")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None else None


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime},
    )


# Every request and every Socket.IO event has its own session, which ends with it. Objects stay loaded
# after a commit: a handler commits, then builds what it announces from the rows it just wrote, and
# reloading each of them would double a step change's queries.
# JSON is written with sorted keys: the order of a dict's keys must not say in which order anything
# happened (a poll's counters would otherwise list options in the order they were first chosen).
db = SQLAlchemy(
    model_class=Base,
    session_options={"expire_on_commit": False},
    # A failed statement's values (a batch's list of who answered, an open-text answer) stay out of logs.
    engine_options={
        "json_serializer": lambda value: json.dumps(value, sort_keys=True, separators=(",", ":")),
        "hide_parameters": True,
    },
)

# Every model subclasses `Model`. At run time it is `db.Model`, which Flask-SQLAlchemy builds from `Base`
# and its own mixins; a type checker cannot take a base class from an attribute (python/mypy#8603), so it
# is told the same shape as a class statement.
if TYPE_CHECKING:

    class Model(FlaskSQLAlchemyModel, Base):
        pass

else:
    Model = db.Model

migrate = Migrate()
compress = Compress()
login_manager = LoginManager()
csrf = CSRFProtect()
socketio = SocketIO()


def block_of(address: str) -> str:
    """An address as every limit counts it: an IPv6 address by its /64, which one home, phone or
    attacker is handed whole (counting exact addresses made it an unlimited supply), an IPv4 address
    (or one mapped into IPv6) as it is."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return address


def address_block() -> str:
    """The requesting client's address block (see `block_of`): the key of every rate limit."""
    return block_of(get_remote_address())


limiter = Limiter(key_func=address_block, default_limits=[])


# What the WAL is cut back to after a checkpoint: old frames are not left lying past its end.
WAL_SIZE_LIMIT_BYTES = 1024 * 1024


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """SQLite as Mend needs it: WAL so readers never block the writer, foreign keys enforced, and
    nothing deleted left readable in the file (secure_delete zeroes freed content; the WAL is
    checkpointed and truncated after a poll closes or a journal is deleted, see sessions/scrub.py,
    and kept small after every checkpoint)."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT_BYTES}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
