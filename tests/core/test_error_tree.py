"""Every error class Relais raises on purpose is in the tree written in ``hub/core/errors.py``'s docstring (the
celery way: one place tells a reader what can go wrong and what it means). The check is a function so that a test
proves it can fail."""

from __future__ import annotations

import importlib
import pkgutil

import hub
from hub.core import errors


def _subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub} | _subclasses(sub)
    return found


def undocumented(doc: str) -> list[str]:
    for module in pkgutil.walk_packages(hub.__path__, "hub."):
        if not module.name.endswith("__main__") and not module.name.startswith("hub.testing"):
            importlib.import_module(module.name)
    return sorted(c.__name__ for c in _subclasses(errors.RelaisError)
                  if c.__module__.startswith("hub.") and f" {c.__name__} " not in doc)


def test_every_relais_error_is_in_the_documented_tree():
    assert undocumented(errors.__doc__ or "") == []


def test_the_check_fails_for_an_error_missing_from_the_tree():
    assert "EncodeError" in undocumented((errors.__doc__ or "").replace(" EncodeError ", " "))
