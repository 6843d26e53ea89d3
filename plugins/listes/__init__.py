"""The shared device's three lists (PPGID §3.2): priority households, délai anormalement long, demandes Poulidor —
kept by a processor from journaled events, announced to partners as ``liste_entree`` / ``liste_sortie``, exported on
demand (``relais listes export``)."""

from plugins.listes.rules import LISTES, EtatDemande, Rang, evaluate

__all__ = ["LISTES", "EtatDemande", "Rang", "evaluate"]
