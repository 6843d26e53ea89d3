"""Relais hub: the public API for plugins (connectors and processors).

A plugin needs only this import (and :mod:`contracts` for the events themselves)::

    from hub import hookimpl, Connector, ConnectorSettings, RawMessage, OutboundMessage, PartnerRole
    from hub import RetryableError, RejectError, DecodeError, ContractError, RecordReject, ErrorLocation
    from hub import HttpTarget          # delivering over HTTP with the hub's retry/reject mapping
    from hub.xml import parse, XmlSchema, iter_records   # partner formats in XML: hardened parsing, XSD, streaming
    from hub.json_documents import load_document, decode_records, notice   # partner formats in JSON, by record
    from hub import require_api_key     # protecting a plugin's HTTP routes (loads FastAPI on first use)
    from hub import Processor, ProcessContext, Timer   # computing: derived events, timers, projections
    from hub import command_hub, OperatorError          # a plugin's own ``relais`` commands
    from hub import command_operator                    # who runs it, for the audit trail (hub.audit_access)
    from hub import require_partner     # a plugin route for registry partners (then hub.demand_verdict)

The hooks a plugin may implement are in ``docs/hooks.md``; the fixtures to test it come with the pytest plugin
:mod:`hub.testing`; the guide is ``docs/write-a-connector.md``. Everything under ``hub.core`` that is not
re-exported here is internal and may change without notice.
"""

from typing import Any

from hub.core.bulk import BulkRecord, DeferredRecord, RecordReject
from hub.core.connector import (
    Connector, ConnectorContext, ConnectorSettings, OutboundMessage, Polled, RawMessage, write_atomically,
)
from hub.core.errors import (
    AccessDenied, ConfigurationError, ConflictingResend, ContractError, DecodeError, DuplicateRegistration,
    EncodeError, ErrorLocation, InputTooLarge, RejectError, RelaisError, RetryableError,
)
from hub.core.hookspecs import hookimpl
from hub.core.http_target import HttpTarget
from hub.core.processing import ProcessContext, Processor, Timer
from hub.core.roles import PartnerRole

__all__ = [
    "hookimpl", "Connector", "ConnectorContext", "ConnectorSettings", "RawMessage", "OutboundMessage",
    "write_atomically", "Polled", "PartnerRole", "BulkRecord", "DeferredRecord", "RecordReject", "RelaisError",
    "ConfigurationError", "DuplicateRegistration", "RetryableError", "RejectError", "DecodeError", "ContractError",
    "AccessDenied", "InputTooLarge", "ConflictingResend", "EncodeError", "ErrorLocation", "HttpTarget",
    "require_api_key", "Processor", "ProcessContext", "Timer", "command_hub", "OperatorError", "command_operator",
    "require_partner",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # Why lazy: only plugins that serve HTTP routes need FastAPI; every other import of the API stays light.
    if name in ("require_api_key", "require_partner"):
        from hub import gateway
        return getattr(gateway, name)
    if name in ("command_hub", "OperatorError", "command_operator"):   # the command line's: loads the settings
        from hub import cli_support
        return getattr(cli_support, name)
    raise AttributeError(f"module 'hub' has no attribute {name!r}")
