"""The ballot box: answers received but not yet counted, kept out of the database until a batch.

A database write that counted one answer would link one person to one answer in every copy of the
files that holds that write (the SQLite WAL, PostgreSQL's old row versions). So an answer waits here,
and answers are counted together, at least k at a time (see `sessions/polls/operations.py` and
docs/privacy.md). On the embedded default (one process) the box is this process's memory; with
several processes it is Redis (the message queue's server), with each answer sealed under a key
derived from the poll's receipt key, which lives in the database and is destroyed when the poll
closes. Either way it holds at most one answer per person per poll: a newer one replaces it.
"""

import base64
import hashlib
import hmac
import json
import logging
import os
import random
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import cast

import redis
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app

log = logging.getLogger(__name__)
REDIS_CONNECTIONS = 16
# A box nobody counted (its process died with the poll open) is forgotten after this long.
REDIS_EXPIRY_SECONDS = 6 * 3600


@dataclass(frozen=True, slots=True)
class Ballot:
    """One person's answer waiting to be counted.

    `nonce` is that of the "received" receipt they were given; `previous` is the "counted" receipt
    of the answer this one replaces (None for a first answer)."""

    participant_id: int
    choice: dict
    nonce: str
    previous: dict | None = None

    @property
    def first(self) -> bool:
        return self.previous is None


class MemoryBox:
    """The embedded default's box: this process's memory. A restart empties it; browsers then send
    what was not yet counted again (they keep it until told it was counted)."""

    def __init__(self) -> None:
        self._polls: dict[int, dict[int, Ballot]] = {}

    def get(self, poll_id: int, participant_id: int, _key: bytes | None) -> Ballot | None:
        return self._polls.get(poll_id, {}).get(participant_id)

    def put(self, poll_id: int, ballot: Ballot, _key: bytes, replacing: str | None) -> bool:
        """Add `ballot`; if one waits for the same person, replace it only if its nonce is `replacing`."""
        waiting = self._polls.setdefault(poll_id, {})
        current = waiting.get(ballot.participant_id)
        if current is not None and current.nonce != replacing:
            return False
        waiting[ballot.participant_id] = ballot
        return True

    def sizes(self, poll_id: int) -> tuple[int, int]:
        """(ballots waiting, of which first answers)."""
        waiting = self._polls.get(poll_id, {})
        return len(waiting), sum(1 for ballot in waiting.values() if ballot.first)

    def counting(self, _poll_id: int) -> bool:
        """Whether a batch taken from this box is being counted elsewhere (never, in one process)."""
        return False

    def finish_batch(self, _poll_id: int) -> None:
        """The batch taken with `take(..., batch=True)` is committed (or failed)."""

    def take(self, poll_id: int, count: int | None, _key: bytes | None, batch: bool = False) -> list[Ballot]:
        """Remove and return `count` ballots chosen at random (all of them when None)."""
        waiting = self._polls.get(poll_id, {})
        chosen = list(waiting) if count is None else random.sample(list(waiting), min(count, len(waiting)))
        taken = [waiting.pop(participant_id) for participant_id in chosen]
        if not waiting:
            self._polls.pop(poll_id, None)
        return taken

    def waits(self, poll_id: int, participant_id: int) -> bool:
        return participant_id in self._polls.get(poll_id, {})

    def take_unopened(self, poll_id: int) -> list[tuple[int, str]]:
        """Remove every ballot of a poll already closed, whose key is gone: (person, nonce) of each."""
        return [(ballot.participant_id, ballot.nonce) for ballot in self.take(poll_id, None, None)]


# Conditional put: one ballot per person, replaced only by whoever shows the waiting one's nonce.
# KEYS: the person's ballot, the poll's set of people waiting, its set of first answers.
# ARGV: person, value ("<nonce>|<sealed>"), nonce allowed to be replaced or "", "1" if a first answer, expiry.
_PUT = """
local current = redis.call('GET', KEYS[1])
if current and string.sub(current, 1, string.find(current, '|', 1, true) - 1) ~= ARGV[3] then
  return 0
end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[5])
redis.call('SADD', KEYS[2], ARGV[1])
if ARGV[4] == '1' then redis.call('SADD', KEYS[3], ARGV[1]) else redis.call('SREM', KEYS[3], ARGV[1]) end
redis.call('EXPIRE', KEYS[2], ARGV[5])
redis.call('EXPIRE', KEYS[3], ARGV[5])
return 1
"""

# Take ballots at random (SPOP) or all of them, atomically with respect to `_PUT`. A batch taken to be
# counted is marked as in progress until `finish_batch`, so that a close elsewhere waits for it.
# KEYS: the set of people waiting, the set of first answers, the batch-in-progress mark.
# ARGV: how many ("all" for all), ballot key prefix, "1" to mark a batch in progress.
_TAKE = """
if ARGV[3] == '1' then
  redis.call('SET', KEYS[3], '1', 'EX', 30)
end
local people
if ARGV[1] == 'all' then
  people = redis.call('SMEMBERS', KEYS[1])
  redis.call('DEL', KEYS[1])
else
  people = redis.call('SPOP', KEYS[1], ARGV[1])
end
local taken = {}
for _, person in ipairs(people) do
  local key = ARGV[2] .. person
  local value = redis.call('GET', key)
  if value then
    table.insert(taken, person)
    table.insert(taken, value)
    redis.call('DEL', key)
  end
  redis.call('SREM', KEYS[2], person)
end
return taken
"""


class RedisBox:
    """The box shared by several processes: any of them can count or close what another received.

    While Redis is unreachable, this process keeps what it receives in its own memory and, once
    Redis answers again, moves it there (`move_to_shared`), so that a restart of Redis loses no answer."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.client = client
        self.prefix = prefix
        self.fallback = MemoryBox()
        self._put = client.register_script(_PUT)
        self._take = client.register_script(_TAKE)

    def _keys(self, poll_id: int) -> tuple[str, str, str]:
        base = f"{self.prefix}:ballots:{poll_id}"
        return f"{base}:people", f"{base}:first", f"{base}:ballot:"

    def _batch_mark(self, poll_id: int) -> str:
        return f"{self.prefix}:ballots:{poll_id}:counting"

    def counting(self, poll_id: int) -> bool:
        try:
            return bool(self.client.exists(self._batch_mark(poll_id)))
        except redis.RedisError:
            return False

    def finish_batch(self, poll_id: int) -> None:
        try:
            self.client.delete(self._batch_mark(poll_id))
        except redis.RedisError:
            log.warning("Redis unreachable; the mark of a counted batch expires by itself")

    @staticmethod
    def _sealer(key: bytes) -> AESGCM:
        return AESGCM(hmac.new(key, b"mend ballot box", hashlib.sha256).digest())

    def _seal(self, poll_id: int, ballot: Ballot, key: bytes) -> str:
        nonce = os.urandom(12)
        sealed = self._sealer(key).encrypt(nonce, json.dumps(asdict(ballot)).encode(), f"{poll_id}".encode())
        return f"{ballot.nonce}|{base64.b64encode(nonce + sealed).decode()}"

    def _open(self, poll_id: int, value: bytes, key: bytes) -> Ballot:
        raw = base64.b64decode(value.split(b"|", 1)[1])
        fields = json.loads(self._sealer(key).decrypt(raw[:12], raw[12:], f"{poll_id}".encode()))
        return Ballot(**fields)

    def get(self, poll_id: int, participant_id: int, key: bytes | None) -> Ballot | None:
        kept = self.fallback.get(poll_id, participant_id, key)
        if kept is not None:
            return kept
        try:
            # A client made without decode_responses answers bytes.
            value = cast(bytes | None, self.client.get(self._keys(poll_id)[2] + str(participant_id)))
        except redis.RedisError:
            return None
        return None if value is None or key is None else self._open(poll_id, value, key)

    def put(self, poll_id: int, ballot: Ballot, key: bytes, replacing: str | None) -> bool:
        if self.fallback.get(poll_id, ballot.participant_id, key) is not None:
            return self.fallback.put(poll_id, ballot, key, replacing)
        try:
            return self._put_shared(poll_id, ballot, key, replacing)
        except redis.RedisError:
            log.warning("Redis unreachable; keeping answers in this process until it returns")
            return self.fallback.put(poll_id, ballot, key, replacing)

    def _put_shared(self, poll_id: int, ballot: Ballot, key: bytes, replacing: str | None) -> bool:
        people, first, prefix = self._keys(poll_id)
        value = self._seal(poll_id, ballot, key)
        args: list[str | int] = [
            ballot.participant_id,
            value,
            replacing or "",
            "1" if ballot.first else "0",
            REDIS_EXPIRY_SECONDS,
        ]
        return bool(self._put(keys=[prefix + str(ballot.participant_id), people, first], args=args))

    def sizes(self, poll_id: int) -> tuple[int, int]:
        people, first, _ = self._keys(poll_id)
        kept = self.fallback.sizes(poll_id)
        try:
            with self.client.pipeline(transaction=False) as pipe:
                pipe.scard(people)
                pipe.scard(first)
                waiting, firsts = pipe.execute()
        except redis.RedisError:
            return kept
        return waiting + kept[0], firsts + kept[1]

    def waits(self, poll_id: int, participant_id: int) -> bool:
        if self.fallback.waits(poll_id, participant_id):
            return True
        try:
            return bool(self.client.exists(self._keys(poll_id)[2] + str(participant_id)))
        except redis.RedisError:
            return False

    def _take_raw(self, poll_id: int, count: int | None, batch: bool = False) -> list[tuple[int, bytes]]:
        people, first, prefix = self._keys(poll_id)
        args: list[str | int] = ["all" if count is None else count, prefix, "1" if batch else "0"]
        flat: Sequence[bytes] = self._take(keys=[people, first, self._batch_mark(poll_id)], args=args)
        return [(int(flat[n]), flat[n + 1]) for n in range(0, len(flat), 2)]

    def take(self, poll_id: int, count: int | None, key: bytes, batch: bool = False) -> list[Ballot]:
        taken = self.fallback.take(poll_id, count, key)
        if count is not None and len(taken) >= count:
            return taken
        rest = None if count is None else count - len(taken)
        return taken + [self._open(poll_id, value, key) for _, value in self._take_raw(poll_id, rest, batch)]

    def take_unopened(self, poll_id: int) -> list[tuple[int, str]]:
        kept = self.fallback.take_unopened(poll_id)
        return kept + [(person, value.split(b"|", 1)[0].decode()) for person, value in self._take_raw(poll_id, None)]

    def move_to_shared(self, key_of: Callable[[int], bytes | None]) -> None:
        """Once Redis is back: what this process kept meanwhile goes where every process can count it."""
        for poll_id in list(self.fallback._polls):
            key = key_of(poll_id)
            for ballot in self.fallback.take(poll_id, None, key):
                if key is None or not self._put_shared(poll_id, ballot, key, None):
                    log.warning("an answer kept while Redis was away could not be moved; its browser sends it again")


_memory = MemoryBox()
_redis_boxes: dict[str, RedisBox] = {}


def box() -> MemoryBox | RedisBox:
    """This deployment's box: Redis when several processes share a message queue, else memory."""
    url = current_app.config["SOCKETIO_MESSAGE_QUEUE"]
    if not url:
        return _memory
    if url not in _redis_boxes:
        # A burst of a thousand answers shares a few connections: opening one per waiting greenlet
        # costs a connect and a handshake each, far more than the command itself.
        pool = redis.BlockingConnectionPool.from_url(
            url, max_connections=REDIS_CONNECTIONS, timeout=5, socket_timeout=5, socket_connect_timeout=2
        )
        client = redis.Redis(connection_pool=pool)
        _redis_boxes[url] = RedisBox(client, current_app.config["MEND_REDIS_PREFIX"])
    return _redis_boxes[url]
