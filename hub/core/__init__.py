"""The hub's runtime: plugin host, ingest pipeline, journal and outbox, bus, delivery loop, routing and access
policy, logging. Knows no partner format. Plugins use :mod:`hub` (the public API), never these modules directly."""

__all__: list[str] = []
