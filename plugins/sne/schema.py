"""The SNE format's names and schemas: namespace, qualified-name helper, and the XSDs loaded once.

Kept apart so that the codec, the bulk reader, the tolerant pass and the SOAP client share one definition of the
namespace and validate against the same file of ``schemas/``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from hub.xml import XmlSchema

__all__ = ["NS", "PREFIX", "SCHEMA_DIR", "q", "CLARK", "interface_schema", "VERSIONS", "DEFAULT_VERSION",
           "PUBLIC_VALUES"]

#: Namespace of the national interface ``interfaceNuu`` (numéro unique), as in the SNE's published samples.
NS = "http://nuu.application.i2/"
#: The prefix the SNE itself uses on the wire; we emit the same so that files look familiar to its operators.
PREFIX = "ns1"
SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
#: Interface versions this connector reads; it writes ``DEFAULT_VERSION`` unless configured otherwise.
VERSIONS = ("02.00", "02.01")
DEFAULT_VERSION = "02.01"


class _Clark(dict[str, str]):
    """Local name → Clark name, filled on first use: ``CLARK[name]`` is one dictionary lookup in C, without a
    Python call (the demand mapping looks names up ~100 times per record of a bulk import)."""

    def __missing__(self, local: str) -> str:
        clark = self[local] = f"{{{NS}}}{local}"
        return clark


CLARK = _Clark()


def q(local: str) -> str:
    """Clark name of an element of the SNE namespace: ``q("numUnique")`` → ``{http://nuu.application.i2/}numUnique``.
    Memoised: the decoders ask for the same few hundred names millions of times in a bulk import."""
    return CLARK[local]


#: Elements and attributes whose values may appear in an XSD error message (identifiers of demands, dwellings and
#: legal entities, dates of events, counts): everything else a person wrote (names, birth dates, incomes,
#: addresses) is masked in dead letters and logs.
PUBLIC_VALUES = frozenset({
    "numUnique", "numUniqueConserve", "rpls", "qpv", "siren", "raisonSociale", "code", "numeroRecours",
    "numeroRecoursDalo", "dateFichier", "dateCreationDemande", "dateDepot", "dateDernierRenouvellement",
    "dateModification", "dateRenouvellement", "dateRadiation", "dateAttribution", "dateDecision", "dateDepotRecours",
    "dateLimiteRelogement", "dateDecisionDalo", "date", "anneeMoins1", "anneeMoins2", "nombre", "nombreHabitant",
    "surface", "surfaceMinimum", "statut", "@versionInterface",
})


@lru_cache(maxsize=1)
def interface_schema() -> XmlSchema:
    """The XSD of ``interfaceNuu`` documents (files, bulk extractions, SOAP payloads)."""
    return XmlSchema(SCHEMA_DIR / "interfaceNuu.xsd", public=PUBLIC_VALUES)
