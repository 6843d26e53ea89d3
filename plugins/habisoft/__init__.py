"""Connector for the departmental fichier partagé (Habisoft in Puy-de-Dôme): format ``fichierPartage``, namespace
``urn:relais:habisoft:1``, defined by Relais (no public specification exists). See ``README.md`` beside this file."""

__all__: list[str] = []
