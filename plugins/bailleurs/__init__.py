"""Connector for social landlords' CALEOL systems pushing their attribution commission decisions."""

__all__: list[str] = []
