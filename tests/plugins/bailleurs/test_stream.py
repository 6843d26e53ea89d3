"""A large decisions document (over 1 MiB) is read as a stream and gives exactly what ``json.loads`` gives: the same
events in the same order, the same rejected decisions with their paths, the same refusals of the whole document.
What the streaming parser would read differently (NaN, a repeated key, a BOM, not an object) goes to json.loads;
a syntax error at the very end still refuses the document before any decision is yielded."""

from __future__ import annotations

import json

import pytest

from hub import DecodeError, RawMessage, RecordReject
from plugins.bailleurs import stream
from plugins.bailleurs.codec import decode_decisions
from tests.factories import decision, decisions_document


def _document(n: int, **extra) -> dict:
    model = decision()
    items = [dict(model, id=f"S-{i}", numero_unique=f"0631{i:09d}G6301") for i in range(n)]
    items[7] = dict(items[7], numero_unique="trop-court")                # one bad decision, rejected with its path
    return {**decisions_document(items), "correlation_id": "lot-1", **extra}


def _decode(body: bytes, streaming: bool, monkeypatch) -> list:
    monkeypatch.setattr(stream, "STREAM_OVER", 1024 if streaming else 10**12)
    return list(decode_decisions(RawMessage.from_bytes(body, origin="big.json"), source="bailleurs"))


def _comparable(items: list) -> list:
    return [("reject", i.error.location.field, i.raw, i.replay) if isinstance(i, RecordReject)
            else ("event", i.sourcemessageid, i.correlationid, i.data.model_dump(mode="json")) for i in items]


def test_a_large_document_streams_to_exactly_what_json_loads_gives(monkeypatch):
    body = json.dumps(_document(8_000)).encode()
    assert len(body) > stream.STREAM_OVER                                  # the real threshold, not the patched one
    assert stream.streamed(body) is not None and stream.streamed(body).count == 8_000
    read_whole = _decode(body, streaming=False, monkeypatch=monkeypatch)
    read_streamed = _decode(body, streaming=True, monkeypatch=monkeypatch)
    assert _comparable(read_streamed) == _comparable(read_whole)
    assert sum(isinstance(i, RecordReject) for i in read_streamed) == 1
    assert read_streamed[7].error.location.field.startswith("decisions[7]")


@pytest.mark.parametrize("body", [
    b'\xef\xbb\xbf' + json.dumps(_document(40)).encode(),                  # a BOM
    json.dumps(_document(40, note=float("nan"))).encode(),                 # NaN: JSON to Python, not to yajl
    json.dumps(_document(40))[:-1].encode() + b', "format": "autre"}',     # a repeated key: the last one counts
    json.dumps([_document(40)]).encode(),                                  # not an object
    json.dumps({**_document(40), "decisions": {"0": decision()}}).encode(),  # decisions not a list
], ids=["bom", "nan", "repeated-key", "not-an-object", "decisions-not-a-list"])
def test_what_the_stream_would_read_differently_is_read_by_json_loads(body, monkeypatch):
    def outcome(streaming: bool):
        try:
            return _comparable(_decode(body, streaming, monkeypatch))
        except DecodeError as exc:
            return ("refused", exc.reason, exc.location.field, exc.location.line)
    assert outcome(True) == outcome(False)


def test_a_syntax_error_at_the_end_refuses_the_document_before_any_decision(monkeypatch):
    body = json.dumps(_document(3_000)).encode()[:-2]                      # cut short: the last brackets missing
    monkeypatch.setattr(stream, "STREAM_OVER", 1024)
    decoded = decode_decisions(RawMessage.from_bytes(body, origin="big.json"), source="bailleurs")
    with pytest.raises(DecodeError, match="invalid JSON") as refused:
        next(decoded)
    assert refused.value.location.line == 1
