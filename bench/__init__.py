"""Benchmarks of the hub against the raw transports it runs on, measured in the same run (``python -m bench``).

A package so that the runner can import every benchmark module by name; nothing here is collected by pytest
(``testpaths = ["tests"]``)."""
