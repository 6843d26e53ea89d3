"""The demand's clock (bundled plugin): renewal notices, radiations, reactivations and the CNIL purge, with every
duration taken from the territory's profile (``profils/*.toml``)."""

__all__: list[str] = []
