"""Connector for the SNE, the national registration system of social-housing demands (format ``interfaceNuu``,
namespace ``http://nuu.application.i2/``). See ``README.md`` beside this file for the format."""

__all__: list[str] = []
