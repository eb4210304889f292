"""A pull's answer assembled from its records' text is the JSON of the same answer built
from dicts."""

import orjson
import pytest

from umcr.sync.packed import CHUNK, Packed, pull_json


def packed(records: list[dict]) -> Packed:
    kept = Packed()
    for record in records:
        kept.append(record)
    return kept


def test_an_answer_from_packed_records_is_the_json_of_the_same_answer():
    notes = [{"id": f"n{i}", "body": f'say "hi" \u2028 {i}', "n": i} for i in range(CHUNK * 2 + 3)]
    body = {
        "changes": {
            "notes": {"created": packed(notes), "updated": packed(notes[:1]), "deleted": ["x"]},
            "calls": {"created": packed([]), "updated": packed([]), "deleted": []},
        },
        "timestamp": 42,
        "has_more": False,
    }

    answer = orjson.loads(pull_json(body))

    assert answer == {
        "changes": {
            "notes": {"created": notes, "updated": notes[:1], "deleted": ["x"]},
            "calls": {"created": [], "updated": [], "deleted": []},
        },
        "timestamp": 42,
        "has_more": False,
    }
    assert body["changes"]["notes"]["created"].ids == [note["id"] for note in notes]


def test_packed_records_are_handed_over_once():
    kept = packed([{"id": "a"}])
    assert b"".join(kept.pieces()) == b'[{"id":"a"}]'

    with pytest.raises(RuntimeError):
        kept.pieces()
