"""The partner HTTP gateway: partners who push (bailleurs, SIAO, COMED, a commune's tool) POST their messages here.

::

    POST /v1/inbound/{connector}   the body is one message in that connector's format
        202  journaled: every event of the message is durably in the journal (or was already: a resend is harmless)
        400  rejected, wholly or partly: the problems (with field paths) are in the answer and the message is kept in
             the dead-letter store (``relais dead list``); events of the message not listed there were journaled
        401  no valid credential (a partner key, a registered client certificate, or a legacy connector key)
        403  a key of a partner of another connector (each partner posts to its own connector); or the message
             speaks for another legal entity than the authenticated partner, about a dwelling outside its stock,
             or with a type outside its scope: each field named, nothing journaled nor kept, audited
        404  no such connector, or it takes no inbound messages
        409  an id of the message (a decision id…) was already journaled with different content: the answer names
             the differing fields, the message is kept in the dead-letter store; a correction takes a new id
        413  over ``connectors.<name>.max_message_bytes``; nothing is kept (the partner still has the message)
        415  a ``Content-Type`` the connector does not take (none at all is taken as its own format)
        429  the partner is over its requests in flight or its rate (``Retry-After``)
        503  the journal is unreachable: nothing was acknowledged, send it again later (``Retry-After``)
    GET  /healthz                  200 when the journal answers, 503 otherwise
    GET  /v1/partners/me/events    a pull partner's pending events (``after``, ``limit``), with a cursor
    POST /v1/partners/me/events/ack   {"cursor"} or {"ids"}: acknowledged, never served again (hub.gateway.pull)
    GET  /openapi.json, /docs      the contract of these routes; Swagger UI served offline

Every error answer is an RFC 9457 problem (``application/problem+json``): ``type``, ``title``, ``status``,
``detail`` (what to fix) and, for a rejection, ``errors`` with each problem's field path.
    /v1/plugins/{plugin}/...       the routers plugins register (``relais_register_routes``)

Why a 202 means something: it is sent only after the journal transaction holding the message's events (and the
dead-letter rows of its rejected parts) has committed — docs/architecture.md, invariant 1. Requests arriving together
share that transaction: one committer thread takes every decoded message waiting, commits them as one batch and then
answers each request (group commit, invariant 7), without a timer, so a lone request waits for one commit and a
burst for a handful. Decoding runs before, in a small thread pool per connector with a time limit: a connector that
hangs holds up only its own partner, and the message it hung on is dead-lettered under its name.
"""

from hub.gateway.app import create_app
from hub.gateway.auth import API_KEY_HEADER, require_api_key, require_partner
from hub.gateway.server import GatewayServer

__all__ = ["create_app", "require_api_key", "require_partner", "GatewayServer", "API_KEY_HEADER"]
