"""The contracts package stands alone: importing it needs nothing but pydantic, and its public names are there."""

from __future__ import annotations

import json
import subprocess
import sys

import contracts

ALLOWED_THIRD_PARTY = {"pydantic", "pydantic_core", "annotated_types", "typing_extensions", "typing_inspection"}


def test_import_needs_only_pydantic():
    code = ("import sys, json; import contracts, contracts.export, contracts.compat, contracts.snapshots; "
            "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))")
    loaded = set(json.loads(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                                           text=True).stdout))
    stdlib = set(sys.stdlib_module_names) | {"__main__", "_distutils_hack", "sitecustomize", "usercustomize"}
    third_party = {m for m in loaded - stdlib if not m.startswith("_")}
    assert third_party - ALLOWED_THIRD_PARTY - {"contracts"} == set(), third_party


def test_public_api_of_the_lead_is_stable():
    for name in ("Envelope", "REGISTRY", "EventData", "LegalEntity", "parse_event", "register_event", "DecisionCal",
                 "TypeDecisionCal", "Demande", "describe_validation_error"):
        assert name in contracts.__all__ and hasattr(contracts, name)
    for name in ("build", "parse", "model_for", "types", "envelope_model", "upcast", "register_upcaster"):
        assert callable(getattr(contracts.REGISTRY, name))
    assert set(contracts.LegalEntity.model_fields) == {"siren", "nom"}
