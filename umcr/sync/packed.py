"""The JSON of the sync answers: a pull's records kept as the text it sends, not as Python
objects, its answer assembled from them; orjson's fallback for the types it lacks."""

import uuid
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import orjson

from .types import Record

if TYPE_CHECKING:
    from .pull import PullBody

# Records turned into JSON at once.
CHUNK = 500


class Packed:
    """A table's created or updated records as a page sends them: turned into JSON (orjson)
    every CHUNK records as they are read, so a page holds their text (about 280 bytes a
    record at benchmark scale) and ids, not their dicts and values, which take several
    times as much. The answer takes the text as it is (pull_json)."""

    __slots__ = ("ids", "_done", "_pending", "_handed")

    def __init__(self) -> None:
        # The records' ids, for the access log.
        self.ids: list[str] = []
        self._done: list[bytes] = []
        self._pending: list[Record] = []
        self._handed = False

    def append(self, record: Record) -> None:
        self.ids.append(record["id"])
        self._pending.append(record)
        if len(self._pending) >= CHUNK:
            self._pack()

    def __len__(self) -> int:
        return len(self.ids)

    def _pack(self) -> None:
        if self._pending:
            # The list's JSON without its brackets: the records, comma-separated.
            self._done.append(orjson.dumps(self._pending, default=json_default)[1:-1])
            self._pending = []

    def pieces(self) -> list[bytes]:
        """The records as one JSON array, in pieces, once: the text is handed over (the
        answer copies it), not kept beside the copy."""
        if self._handed:
            raise RuntimeError("These records were handed over already.")
        self._pack()
        done, self._done, self._handed = self._done, [], True
        pieces = [b"["]
        for index, chunk in enumerate(done):
            pieces += [b",", chunk] if index else [chunk]
        pieces.append(b"]")
        return pieces


def pull_json(body: "PullBody") -> bytes:
    """A pull's answer (pull.PullBody) as JSON, assembled from its records' text with one
    copy of the exact size: orjson.dumps of the whole keeps its growing buffer, up to twice
    the answer's size (a 16,000-record page: 4.4 MB of JSON in an 8 MB buffer)."""
    pieces = [b'{"changes":{']
    for index, (name, change) in enumerate(body["changes"].items()):
        if index:
            pieces.append(b",")
        pieces += [orjson.dumps(name), b':{"created":', *change["created"].pieces()]
        pieces += [b',"updated":', *change["updated"].pieces()]
        pieces += [b',"deleted":', orjson.dumps(change["deleted"]), b"}"]
    pieces.append(
        b'},"timestamp":%d,"has_more":%s}'
        % (body["timestamp"], b"true" if body["has_more"] else b"false")
    )
    return b"".join(pieces)


def json_default(value: Any) -> Any:
    """orjson's fallback for the few types it lacks."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"Cannot encode {type(value).__name__}")
