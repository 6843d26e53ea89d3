"""The ``[connectors.dalo_attente]`` section.

Why the délai is configuration: the State must rehouse a household the COMED declared "prioritaire et urgent" within
a time the préfet fixes per department (CCH R441-16-1: at most six months for a dwelling, three in some
departments); each territory sets it here.
"""

from __future__ import annotations

from pydantic import Field

from hub import ConnectorSettings

__all__ = ["DaloAttenteSettings"]


class DaloAttenteSettings(ConnectorSettings):
    delai_relogement_mois: int = Field(
        default=6, ge=1, le=24, description="Months after the COMED's decision within which the State must rehouse "
                                            "a DALO household, when the decision gives no date_limite_relogement.")
