"""Connector for the SIAO (service intégré d'accueil et d'orientation): priority labels, orientations, préconisations
and Syplo inscriptions in, the outcomes of the households it labelled out."""

__all__: list[str] = []
