"""Connector for the DALO mediation commission (COMED): its decisions in, the attribution outcomes of DALO households
out, and the list of DALO households still waiting for rehousing (processor ``dalo_attente``, ``relais dalo
attente``)."""

__all__: list[str] = []
