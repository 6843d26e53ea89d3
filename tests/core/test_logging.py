"""Logs never carry a household's personal data, whatever a caller passes."""

from __future__ import annotations

import io
import json
import sys

import structlog

from hub.core.logging import configure_logging, redact_personal_data


def test_personal_fields_are_masked_by_the_processor():
    event = {"event": "x", "nom": "Dupont", "prenomDemandeur": "Jeanne", "date_naissance": "1980-01-01",
             "revenu_fiscal": 12000, "adresse_postale": "1 rue", "event_id": "abc", "type": "decision_cal.v1"}
    out = redact_personal_data(None, "info", dict(event))
    for key in ("nom", "prenomDemandeur", "date_naissance", "revenu_fiscal", "adresse_postale"):
        assert out[key] == "[redacted]"
    assert out["event_id"] == "abc" and out["type"] == "decision_cal.v1"


def test_json_lines_carry_ids_and_no_personal_data(monkeypatch):
    buf = io.StringIO()
    monkeypatch.setattr(sys, "stderr", buf)
    configure_logging("json", "info")
    structlog.get_logger("t").info("event_delivered", event_id="e1", type="decision_cal.v1", connector="habisoft",
                                   nom="Martin")
    line = json.loads(buf.getvalue().strip().splitlines()[-1])
    assert line["event"] == "event_delivered" and line["event_id"] == "e1" and line["connector"] == "habisoft"
    assert "Martin" not in buf.getvalue()
