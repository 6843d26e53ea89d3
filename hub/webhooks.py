"""For partners receiving the hub's webhooks: check the ``Relais-Signature`` header (docs/partners.md, "Receiving
events")::

    from hub.webhooks import verify, SignatureMismatch
    try:
        verify(secret, request.headers.get("Relais-Signature"), raw_body)
    except SignatureMismatch as exc:
        return 400, str(exc)

A receiver that does not install Relais does the same in a few lines (``examples/reference_client``).
"""

from hub.core.signatures import DEFAULT_TOLERANCE, SIGNATURE_HEADER, SignatureMismatch, signature_header, verify

__all__ = ["DEFAULT_TOLERANCE", "SIGNATURE_HEADER", "SignatureMismatch", "signature_header", "verify"]
