"""HTTP endpoints of the commune_csv plugin, mounted by the hub's gateway under ``/v1/plugins/commune_csv/``.

The CSV files themselves are pushed to the gateway's ``POST /v1/inbound/commune_csv``; these routes only help the
commune get them right: the template (public) and a dry-run check (behind the connector's API key).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import PlainTextResponse

from hub import RawMessage, RecordReject, RejectError, require_api_key

from relais_commune_csv.codec import COLUMNS

__all__ = ["router"]

router = APIRouter(tags=["commune_csv"])


@router.get("/template.csv", response_class=PlainTextResponse)
def template_csv() -> str:
    return ";".join(COLUMNS) + "\n"


@router.post("/check")
async def check_csv(request: Request, connector=Depends(require_api_key("commune_csv"))) -> dict:
    """Decode the posted CSV with the commune's own settings, journaling nothing: what would be rejected, and why."""
    raw = RawMessage.from_bytes(await request.body(), origin="check")
    try:
        items = list(connector.decode(raw))
    except RejectError as exc:
        return {"accepted": 0, "rejected": [{"reason": exc.reason, "problems": exc.problems}]}
    rejects = [i for i in items if isinstance(i, RecordReject)]
    return {"accepted": len(items) - len(rejects),
            "rejected": [{"line": r.line, "reason": r.error.reason, "problems": r.error.problems} for r in rejects]}
