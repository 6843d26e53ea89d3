"""The journal's hot-path writes (plain tuples through SQL rendered once, :mod:`hub.core.stores.rows`; lists bound as
one parameter, :func:`hub.core.stores.common.among`) store exactly what SQLAlchemy Core's generic statements stored,
on SQLite and PostgreSQL: a journal written before the change and one written after read the same, byte for byte.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from contracts import REGISTRY, DecisionCal, LegalEntity
from hub.core.errors import ErrorLocation
from hub.core.journal import Journal, Route
from hub.core.journal_schema import DeliveryStatus as S
from hub.core.journal_schema import deliveries, events, outbox
from hub.core.storable import unstorable_text
from hub.core.stores.common import among

ENTITY = LegalEntity(siren="392812343", nom="Bailleur de test")
PARIS = ZoneInfo("Europe/Paris")


def _event(numero: str, when: datetime, smid: str | None = None):
    data = DecisionCal(numero_unique=numero, rpls="6300054321", commune="63430",
                       date_commission=date(2026, 11, 20), decision="attribution")
    return REGISTRY.build(data, source="bailleurs", entity=ENTITY, time=when, sourcemessageid=smid)


@pytest.fixture(params=["sqlite", "postgresql"])
def journal(request, tmp_path):
    url = (f"sqlite:///{tmp_path / 'journal.sqlite3'}" if request.param == "sqlite"
           else request.getfixturevalue("pg_schema_url"))
    journal = Journal(url, router=lambda e: [Route("partner_a", True), Route("partner_b", e.subject.endswith("1"))])
    yield journal
    journal.close()


def _raw(journal: Journal, sql: str) -> list[tuple]:
    """Rows as the driver returns them (SQLite: the stored text itself)."""
    with journal.engine.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(sql)]


def test_appended_rows_are_what_the_generic_insert_stores(journal: Journal) -> None:
    batch = [_event("06311260000%02dG6301" % i, datetime(2026, 3, 29, 1, 59, 59, 999_999 - i, tzinfo=PARIS),
                    smid=f"m-{i}" if i % 2 else None) for i in range(7)]
    result = journal.append(batch)
    assert [e.id for _, e in result.inserted] == [e.id for e in batch]
    seqs = [seq for seq, _ in result.inserted]

    # the same values through SQLAlchemy Core's own statements, as the journal wrote them before
    with journal.engine.begin() as conn:
        for seq, e in result.inserted:
            fetched = conn.execute(select(events.c.recorded_at).where(events.c.seq == seq)).scalar_one()
            conn.execute(events.insert(), {
                "seq": seq + 1000, "id": f"copy-{e.id}", "type": e.type, "source": e.source,
                "source_message_id": f"copy-{e.sourcemessageid}" if e.sourcemessageid else None,
                "subject": e.subject, "entity_siren": e.entity.siren, "entity_nom": e.entity.nom, "time": e.time,
                "recorded_at": fetched, "body": e.model_dump_json(), "depth": None})
        for r in conn.execute(select(deliveries).where(deliveries.c.seq.in_(seqs))).all():
            conn.execute(deliveries.insert(), {"subscriber": r.subscriber + "_copy", "seq": r.seq,
                                               "subject": r.subject, "status": r.status, "attempts": 0,
                                               "updated_at": r.updated_at})
    columns = "type, source, subject, entity_siren, entity_nom, time, recorded_at, body, depth"
    fast = _raw(journal, f"SELECT {columns} FROM events WHERE seq < 1000 ORDER BY seq")
    generic = _raw(journal, f"SELECT {columns} FROM events WHERE seq >= 1000 ORDER BY seq")
    assert fast == generic and len(fast) == 7
    assert _raw(journal, "SELECT seq, source_message_id FROM events WHERE seq < 1000 ORDER BY seq") == [
        (seq, e.sourcemessageid) for seq, e in result.inserted]

    cols = "seq, subject, status, attempts, next_attempt_at, claimed_at, last_error, updated_at, claimed_by"
    for name in ("partner_a", "partner_b"):
        assert _raw(journal, f"SELECT {cols} FROM deliveries WHERE subscriber = '{name}' ORDER BY seq") == \
            _raw(journal, f"SELECT {cols} FROM deliveries WHERE subscriber = '{name}_copy' ORDER BY seq")
    statuses = _raw(journal, "SELECT status FROM deliveries WHERE subscriber = 'partner_b' ORDER BY seq")
    assert [s for (s,) in statuses] == [S.PENDING if e.subject.endswith("1") else S.DENIED for e in batch]
    assert _raw(journal, "SELECT seq FROM outbox ORDER BY seq") == [(seq,) for seq in seqs]
    # the body is the envelope's own JSON, read back as the same event
    assert [journal.events.bodies([seq])[0][2] for seq in seqs] == [e.model_dump_json() for e in batch]


def test_a_resend_is_absorbed_and_a_changed_one_refused(journal: Journal) -> None:
    first = _event("0631126000001G6301", datetime(2026, 11, 20, tzinfo=PARIS), smid="m-1")
    journal.append([first])
    again = journal.append([first, _event("0631126000001G6301", datetime(2026, 11, 20, tzinfo=PARIS), smid="m-1")])
    assert again.inserted == [] and len(again.duplicates) == 2
    changed = _event("0631126000002G6301", datetime(2026, 11, 20, tzinfo=PARIS), smid="m-1")
    result = journal.append([changed])
    assert result.inserted == [] and [c.fields for c in result.conflicts] == [("data.numero_unique", "subject")]
    assert _raw(journal, "SELECT count(*) FROM events") == [(1,)]


def test_a_large_batch_spans_several_statements(journal: Journal) -> None:
    batch = [_event(f"06311260{i:05d}G6301", datetime(2026, 11, 20, tzinfo=timezone.utc)) for i in range(1_203)]
    result = journal.append(batch + batch[:3])
    assert len(result.inserted) == 1_203 and len(result.duplicates) == 3
    assert [e.id for _, e in result.inserted] == [e.id for e in batch]
    seqs = [seq for seq, _ in result.inserted]
    assert seqs == sorted(seqs), "seqs are handed out in the batch's order (a demand's events are delivered in it)"
    assert _raw(journal, "SELECT count(*) FROM deliveries") == [(2 * 1_203,)]


def test_among_selects_exactly_the_listed_values(journal: Journal) -> None:
    result = journal.append([_event(f"06311260000{i:02d}G6301", datetime(2026, 11, 20, tzinfo=timezone.utc))
                             for i in range(5)])
    seqs = [seq for seq, _ in result.inserted]
    subjects = [e.subject for _, e in result.inserted]
    dialect = journal.engine.dialect
    with journal.engine.connect() as conn:
        assert sorted(conn.execute(select(events.c.seq).where(among(events.c.seq, seqs[1:4], dialect)))
                      .scalars()) == seqs[1:4]
        assert conn.execute(select(events.c.seq).where(among(events.c.seq, [], dialect))).all() == []
        assert sorted(conn.execute(select(events.c.subject).where(among(events.c.subject, subjects[:2] + ["x'"],
                                                                          dialect))).scalars()) == subjects[:2]
        assert conn.execute(select(outbox.c.seq).where(among(outbox.c.seq, [seqs[0]], dialect))).scalars().all() \
            == [seqs[0]]


def test_the_body_is_the_checked_text_and_a_copy_is_serialised_anew(journal: Journal) -> None:
    """The text serialised by the ingest check is what the journal stores; a copy made after the check (a partner's
    scope stamping its entity) is another object, and its own content is journaled."""
    checked = _event("0631126000001G6301", datetime(2026, 11, 20, tzinfo=PARIS))
    assert unstorable_text(checked, ErrorLocation()) is None
    stamped = checked.model_copy(update={"entity": LegalEntity(siren="552100554", nom="Autre bailleur"),
                                         "id": "stamped-1"})
    result = journal.append([checked, stamped])
    bodies = {seq: body for seq, _t, body in journal.events.bodies([seq for seq, _ in result.inserted])}
    by_id = {e.id: bodies[seq] for seq, e in result.inserted}
    assert by_id[checked.id] == checked.model_dump_json()
    assert by_id["stamped-1"] == stamped.model_dump_json() and "552100554" in by_id["stamped-1"]


@pytest.mark.parametrize("dialect_name", ["sqlite", "postgresql"])
def test_repeated_times_are_converted_once_each_and_bound_as_one_by_one(dialect_name: str) -> None:
    from sqlalchemy.dialects import postgresql, sqlite
    from sqlalchemy.exc import StatementError

    from hub.core.stores.rows import RowInsert
    dialect = sqlite.dialect() if dialect_name == "sqlite" else postgresql.psycopg.dialect()
    columns = ("id", "time", "recorded_at")
    memoised = RowInsert(dialect, events, columns, repeated=("time",))
    plain = RowInsert(dialect, events, columns)
    # the same instant in two zones, both sides of the autumn's repeated hour (fold), and the same wall time again
    paris = datetime(2026, 10, 25, 2, 30, tzinfo=PARIS)
    times = [paris, paris.astimezone(timezone.utc), paris.replace(fold=1), paris.replace(fold=1).astimezone(
             timezone.utc), datetime(2026, 11, 20, tzinfo=PARIS), paris, datetime(2026, 11, 20, tzinfo=PARIS)]
    rows = [(f"e{i}", t, datetime(2026, 12, 1, tzinfo=timezone.utc)) for i, t in enumerate(times)]
    converted = memoised.params_all(rows)
    assert converted == [plain.params(row) for row in rows]
    assert converted[0][1] != converted[2][1]   # the two 02:30 of that night are an hour apart
    with pytest.raises(StatementError, match="naive datetime"):   # refused as one by one
        memoised.params_all(rows + [("bad", datetime(2026, 11, 20), None)])
