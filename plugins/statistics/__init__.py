"""The territory's figures (bundled plugin): per commune and typology, for a year N — dwellings, demands pending at
31 December N-1, attributions in N-1, delays, mutations, the CIA indicator and the annual tables — under statistical
secrecy, as CSV, JSON, XLSX and charts (``relais stats``)."""

__all__: list[str] = []
