"""The partner registry and the audit trail, on SQLite and PostgreSQL: what an operator and a partner notice —
keys shown once and stored hashed, rotation with an overlap, revocation and expiry, stock import, audit rows."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from hub.core.audit import AuditEntry, AuditKind, AuditTrail, BufferedAudit
from hub.core.credentials import VerifiedKeys, hash_key, key_matches, parse_key_id
from hub.core.journal import Journal
from hub.core.partners import PartnerError, PartnerRegistry, read_rpls_csv
from hub.core.partners_schema import partner_keys
from hub.core.roles import PartnerRole
from tests.factories import rpls, siren

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


class Clock:
    def __init__(self, at: datetime = T0):
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture(params=["sqlite", "postgresql"])
def journal(request, tmp_path):
    url = f"sqlite:///{tmp_path / 'journal.sqlite3'}" if request.param == "sqlite" \
        else request.getfixturevalue("pg_schema_url")
    j = Journal(url)
    try:
        yield j
    finally:
        j.close()


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def registry(journal, clock):
    return PartnerRegistry(journal.engine, clock=clock, cache_ttl=0.0)


def add_landlord(registry, partner_id="bailleur-a", **extra):
    return registry.add(partner_id, siren=extra.pop("siren", siren()), nom="Habitat A", role="bailleur",
                        connector="bailleurs", communes=["63430"], **extra)


def test_a_key_is_shown_once_stored_hashed_and_authenticates_its_partner(registry, journal):
    partner = add_landlord(registry)
    issued = registry.issue_key(partner.id)
    assert issued.key.startswith(f"rk_{issued.key_id}_") and parse_key_id(issued.key) == issued.key_id
    with journal.engine.connect() as conn:
        stored = conn.execute(select(partner_keys.c.hash)).scalar_one()
    # the secret is everything after "rk_<key id>_" (it may hold "_" itself: splitting on it could leave one
    # character, found in any hash by chance)
    secret = issued.key[len(f"rk_{issued.key_id}_"):]
    assert len(secret) >= 20 and issued.key not in stored and secret not in stored
    found = registry.authenticate(issued.key)
    assert found.partner.id == "bailleur-a" and found.key_id == issued.key_id
    assert found.partner.entity == partner.entity and found.partner.role is PartnerRole.BAILLEUR
    assert registry.authenticate(issued.key[:-1] + ("A" if issued.key[-1] != "A" else "B")) is None
    assert registry.authenticate("not-a-key") is None


def test_rotation_keeps_the_old_key_valid_during_the_overlap_only(registry, clock):
    add_landlord(registry)
    old = registry.issue_key("bailleur-a")
    new, expiring = registry.rotate_key("bailleur-a", overlap=timedelta(days=2))
    assert expiring == [old.key_id]
    assert registry.authenticate(old.key) and registry.authenticate(new.key)
    clock.at = T0 + timedelta(days=2, seconds=1)
    assert registry.authenticate(old.key) is None
    assert registry.authenticate(new.key).key_id == new.key_id
    assert [k["valid"] for k in registry.keys("bailleur-a")] == [False, True]


def test_revoking_a_key_or_the_partner_refuses_its_keys(registry):
    add_landlord(registry)
    first, second = registry.issue_key("bailleur-a"), registry.issue_key("bailleur-a")
    registry.revoke("bailleur-a", first.key_id)
    assert registry.authenticate(first.key) is None and registry.authenticate(second.key) is not None
    registry.revoke("bailleur-a")
    assert registry.authenticate(second.key) is None
    assert registry.get("bailleur-a").status == "revoked"
    with pytest.raises(PartnerError, match="revoked"):
        registry.issue_key("bailleur-a")


def test_a_verified_key_is_remembered_briefly_and_forgotten_when_revoked_here(journal, clock):
    registry = PartnerRegistry(journal.engine, clock=clock, cache_ttl=60.0)
    add_landlord(registry)
    issued = registry.issue_key("bailleur-a")
    assert registry.authenticate(issued.key) is not None
    assert registry.verified.get(issued.key) is not None          # the next request pays no scrypt
    registry.revoke("bailleur-a", issued.key_id)
    assert registry.authenticate(issued.key) is None


def test_the_cache_forgets_after_its_time():
    now = [0.0]
    cache: VerifiedKeys[str] = VerifiedKeys(ttl=30, clock=lambda: now[0])
    cache.put("rk_x", "partner")
    now[0] = 29.9
    assert cache.get("rk_x") == "partner"
    now[0] = 30.0
    assert cache.get("rk_x") is None


def test_the_hash_is_salted_and_checked_in_full():
    assert hash_key("k") != hash_key("k")
    assert key_matches("k", hash_key("k")) and not key_matches("k2", hash_key("k"))
    assert not key_matches("k", "bcrypt$whatever")


@pytest.mark.parametrize("args, message", [
    ({"partner_id": "Bailleur A"}, "partner id 'Bailleur A': use 1 to 64 lower-case"),
    ({"partner_id": "done"}, "partner id 'done' is the name of an inbox's own directory"),
    ({"siren": "123456789"}, "--siren: SIREN"),
    ({"role": "landlord"}, "--role: 'landlord' is not a role"),
    ({"communes": ["6343"]}, "--commune 6343: code INSEE"),
])
def test_every_refusal_names_the_argument_and_the_fix(registry, args, message):
    values = {"partner_id": "bailleur-a", "siren": siren(), "nom": "Habitat A", "role": "bailleur",
              "connector": "bailleurs", "communes": ["63430"], **args}
    with pytest.raises(PartnerError, match=message.replace("(", r"\(")):
        registry.add(values.pop("partner_id"), **values)


def test_an_id_is_taken_once(registry):
    add_landlord(registry)
    with pytest.raises(PartnerError, match="already exists"):
        add_landlord(registry)


def test_stock_import_replaces_or_appends_and_refuses_a_bad_file_whole(registry):
    add_landlord(registry)
    first, second, third = rpls(), rpls(), rpls()
    assert registry.import_stock("bailleur-a", [first, second]) == 2
    assert registry.import_stock("bailleur-a", [third], replace_all=False) == 1
    assert registry.get("bailleur-a").stock == {first, second, third}
    with pytest.raises(PartnerError, match="dwelling 2: RPLS identifier"):
        registry.import_stock("bailleur-a", [first, "bad"])
    assert registry.stock_size("bailleur-a") == 3
    registry.import_stock("bailleur-a", [second])
    assert registry.get("bailleur-a").stock == {second}


def test_the_rpls_column_is_found_in_a_semicolon_csv_or_named():
    text = "commune;RPLS_ID;typo\n63430;0001234567;T3\n63430;000123456X;T2\n"
    assert read_rpls_csv(text) == ["0001234567", "000123456X"]
    assert read_rpls_csv("a,b\n1,0001234567\n", column="b") == ["0001234567"]
    with pytest.raises(PartnerError, match="no RPLS column in the CSV header"):
        read_rpls_csv("a,b\n1,2\n")


def test_the_audit_trail_keeps_rows_in_order_and_filters_them(journal, clock):
    trail = AuditTrail(journal.engine, clock=clock)
    trail.record(AuditEntry(AuditKind.INBOUND, "bailleur-a", "refused", "POST /v1/inbound/bailleurs 403",
                            key_id="abc", reason="entity.siren: …"))
    clock.at = T0 + timedelta(hours=1)
    trail.record(AuditEntry(AuditKind.READ, "operator:alice", "done", "history", target="0631126000100G6301"))
    rows = trail.entries()
    assert [r["actor"] for r in rows] == ["bailleur-a", "operator:alice"]
    assert rows[0]["at"] == T0 and rows[0]["key_id"] == "abc"
    assert [r["kind"] for r in trail.entries(kind=AuditKind.READ)] == ["read"]
    assert [r["actor"] for r in trail.entries(since=T0 + timedelta(minutes=30))] == ["operator:alice"]
    assert [r["actor"] for r in trail.entries(actor="bailleur-a", until=T0 + timedelta(minutes=30))] == ["bailleur-a"]


def test_buffered_audit_rows_are_written_in_batches_and_on_close(journal):
    trail = AuditTrail(journal.engine)
    buffered = BufferedAudit(trail, wait=0.01)
    for i in range(25):
        buffered.record(AuditEntry(AuditKind.INBOUND, "bailleur-a", "accepted", "POST", target=f"m{i}"))
    buffered.flush()
    buffered.close()
    assert [r["target"] for r in trail.entries()] == [f"m{i}" for i in range(25)]


def test_a_wrong_key_sent_again_costs_no_second_hash(journal, clock, monkeypatch):
    import hub.core.partners as partners_module
    hashes = []
    real = partners_module.key_matches
    monkeypatch.setattr(partners_module, "key_matches", lambda key, stored: hashes.append(key) or real(key, stored))
    registry = PartnerRegistry(journal.engine, clock=clock, cache_ttl=60.0)
    add_landlord(registry)
    issued = registry.issue_key("bailleur-a")
    wrong = issued.key[:-2] + ("AA" if not issued.key.endswith("AA") else "BB")
    assert [registry.authenticate(wrong) for _ in range(5)] == [None] * 5
    assert [registry.authenticate(issued.key) is not None for _ in range(5)] == [True] * 5
    assert hashes == [wrong, issued.key]
