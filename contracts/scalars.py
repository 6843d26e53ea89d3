"""Small constrained scalar types shared by the models, for values that are not regulated identifiers.

Why: one definition per kind of value keeps the limits (lengths, patterns) identical in every event, so that JSON
Schema, partners' mappings and the journal agree. Regulated identifiers live in :mod:`contracts.identifiers`.
Whether a value is personal data is said where it is used (:func:`contracts.base.personal`), not here.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

__all__ = [
    "CodeGuichet", "IdPiece", "NumeroRecours", "ReferenceExterne", "Texte", "Nom", "Telephone", "Courriel",
    "CodePostal", "CodePays", "Montant", "Annee", "Sha256", "MediaType", "VersionGrille", "Points",
]

#: A registration desk's code in its system of record (SNE or fichier partagé), when no SIREN is given.
CodeGuichet = Annotated[str, Field(pattern=r"^[A-Z0-9][A-Z0-9_-]{0,19}$",
                                   description="Code of a registration desk in the system of record.")]

#: Identifier of a supporting document (pièce justificative) in the dossier unique.
IdPiece = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$",
                               description="Identifier of a supporting document in the dossier unique.")]

#: Number of a DALO appeal (recours) as given by the mediation commission's secretariat.
NumeroRecours = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9/_. -]{0,49}$",
                                     description="Number of the DALO appeal.")]

#: An identifier in a partner's system (SI-SIAO record, Syplo number, decision reference).
ReferenceExterne = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9/_.:-]{0,79}$",
                                        description="Identifier in a partner's system.")]

#: Free text; mark it personal where it is used: it may describe a household's situation.
Texte = Annotated[str, Field(min_length=1, max_length=2000)]

#: A person's name or first name.
Nom = Annotated[str, Field(min_length=1, max_length=100)]

Telephone = Annotated[str, Field(pattern=r"^\+?[0-9][0-9 .()-]{5,19}$")]

Courriel = Annotated[str, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]

CodePostal = Annotated[str, Field(pattern=r"^[0-9]{5}$")]

#: ISO 3166-1 alpha-2 country code.
CodePays = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]

#: An amount in whole euros (the CERFA and the SNE count euros without cents).
Montant = Annotated[int, Field(ge=0, le=100_000_000)]

Annee = Annotated[int, Field(ge=1900, le=2200)]

#: SHA-256 digest of a document, lower-case hexadecimal: lets a receiver check the copy it fetched.
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]

MediaType = Annotated[str, Field(pattern=r"^[a-z]+/[a-z0-9.+-]{1,100}$")]

#: Version of a cotation grid, as configured per territory (e.g. "tdm-2023.1").
VersionGrille = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,49}$")]

#: Points of a cotation criterion or score: finite, may be negative (a refusal costs points).
Points = Annotated[float, Field(allow_inf_nan=False, ge=-1_000_000, le=1_000_000)]
