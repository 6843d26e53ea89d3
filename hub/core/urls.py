"""Partner URLs as they may be stored or logged: without what authenticates.

Why: a partner's webhook or endpoint URL may carry a token in its query string (``?token=…``) or credentials in its
userinfo, and a delivery's failure is kept in the journal (``last_error``, the dead letters) and logged — places read
by more people, and for longer, than the channel's own row. The scheme, host, port and path stay, which is what an
operator needs to tell which partner failed; the rest is replaced by a marker saying something was there.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit, urlunsplit

__all__ = ["MASK", "redacted_url", "scrub"]

MASK = "***"
#: an absolute URL quoted in a text, up to the first blank, quote or closing bracket
_ABSOLUTE = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"<>()\[\]]+")


def redacted_url(url: str) -> str:
    """``https://user:pw@host:8443/in?token=x#f`` → ``https://***@host:8443/in?***#***``."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return f"<URL not shown: unparsable ({len(url)} characters)>"
    host = parts.hostname or ""
    netloc = (f"[{host}]" if ":" in host else host) + (f":{port}" if port is not None else "")
    if parts.username is not None or parts.password is not None:
        netloc = f"{MASK}@{netloc}"
    return urlunsplit((parts.scheme, netloc, parts.path, MASK if parts.query else "",
                       MASK if parts.fragment else ""))


def scrub(text: str, url: str) -> str:
    """``text`` (an error message, or a partner's answer, which may quote the URL in any form) with every absolute
    URL in it redacted, and none of ``url``'s userinfo, query, fragment or query values (of 4 characters or more:
    shorter ones are no secret, and replacing them would garble the text) left anywhere."""
    text = _ABSOLUTE.sub(lambda m: redacted_url(m.group(0)), text)
    try:
        parts = urlsplit(url)
    except ValueError:
        return text
    userinfo = parts.netloc.rpartition("@")[0]
    values = [v for _k, v in parse_qsl(parts.query, keep_blank_values=True) if len(v) >= 4]
    for secret in sorted({parts.query, parts.fragment, userinfo, *values}, key=len, reverse=True):
        if secret:
            text = text.replace(secret, MASK)
    return text
