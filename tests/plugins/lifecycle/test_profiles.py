"""Lifecycle profiles: both bundled ones load; a wrong one is refused with the line and key to fix."""

from __future__ import annotations

import re

import pytest

from hub import ConfigurationError
from plugins.lifecycle.profile import BUNDLED, PROFILE_DIR, bundled_profile, parse_profile


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_profiles_load_and_cite_their_source(name):
    profile = bundled_profile(name)
    assert profile.profil.nom == name and profile.profil.source


def test_national_rules_are_t_plus_13_and_t_plus_18_months():
    r = bundled_profile("national").renouvellement
    assert r.validite_mois + r.radiation_apres_anniversaire_mois == 13
    assert r.validite_mois + r.radiation_apres_anniversaire_mois + r.reactivation_mois == 18


def test_a_wrong_value_a_typo_and_a_missing_key_are_named_with_their_line():
    text = (PROFILE_DIR / "national.toml").read_text(encoding="utf-8")
    lines = text.splitlines()
    wrong = text.replace("validite_mois = 12", "validite_mois = 0").replace(
        "delai_guichet_jours = 30", "delai_guichets_jours = 30")
    with pytest.raises(ConfigurationError) as err:
        parse_profile(wrong, "territoire.toml")
    message = str(err.value)
    validite = next(i for i, line in enumerate(lines, 1) if line.startswith("validite_mois"))
    assert f"line {validite}, [renouvellement] validite_mois: Input should be greater than or equal to 1" in message
    assert "[enregistrement] delai_guichets_jours: unknown key" in message
    assert "[enregistrement] delai_guichet_jours: missing" in message
    assert message.startswith("territoire.toml: ")


def test_a_toml_syntax_error_names_the_file():
    with pytest.raises(ConfigurationError, match=r"territoire.toml: not valid TOML: .*line 1"):
        parse_profile("[profil\\n", "territoire.toml")


def test_an_unknown_bundled_name_lists_the_choices():
    with pytest.raises(ConfigurationError, match="puy-de-dome, national"):
        bundled_profile("corse")


def test_a_wrong_territory_file_is_reported_at_start(hub_settings, tmp_path):
    from hub.core.plugins import PluginHost
    from hub.core.runtime import Hub

    wrong = tmp_path / "territoire.toml"
    wrong.write_text((PROFILE_DIR / "puy-de-dome.toml").read_text(encoding="utf-8").replace(
        "reactivation_mois = 2", "reactivation_mois = -2"), encoding="utf-8")
    settings = hub_settings.model_copy(update={"connectors": {"echeances": {"profil_fichier": str(wrong)}}})
    with Hub(settings, PluginHost.load(allow=["lifecycle"])) as hub:
        assert "echeances" not in hub.connectors      # the hub serves without it, and says why
        [failure] = [f for f in hub.failures if f.plugin == "lifecycle"]
    assert re.search(r"territoire.toml: line \d+, \[renouvellement\] reactivation_mois", str(failure.error))
