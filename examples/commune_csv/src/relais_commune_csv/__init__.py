"""Example third-party Relais connector: a commune's housing tool (CSV designations in, JSON decisions out)."""

__all__ = ["__version__"]
__version__ = "0.1.0"
