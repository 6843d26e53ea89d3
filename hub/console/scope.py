"""What a signed-in person may see and do: their registry partner's access rules, their role, and the audit trail.

The rules are the hub's, never a copy:

* a **demand** (dossier, a line of a list) is shown only when ``Hub.demand_verdict`` lets the person's partner read
  it — the same engine as for its events, the applicant-information API and ``relais listes export --partner``;
* **flows and dead letters** are operations data: the device's whole view is for people of a partner whose role
  runs the shared device (:data:`DEVICE_ROLES`); anyone else sees the flows of their partner's connector and the
  dead letters of messages their partner sent (inbound, origin ``partner:ID:…``) — never another partner's bytes;
* **retry, discard, reveal** need the role ``operator``;
* every view of nominative data, and every refusal, is a row of the audit trail (``person:EMAIL@PARTNER``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hub.console.accounts import Person
from hub.core.audit import AuditKind
from hub.core.partners import Partner, origin_partner
from hub.core.roles import PartnerRole

__all__ = ["DEVICE_ROLES", "Denied", "Scope"]

#: roles whose people see every partner's flows and dead letters (they run the device or its system of record)
DEVICE_ROLES = frozenset({PartnerRole.GESTIONNAIRE, PartnerRole.EPCI, PartnerRole.FICHIER_PARTAGE})


class Denied(Exception):
    """Refused to this person: ``message`` is the French sentence of the 403 page (it names no household's value)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class Scope:
    """The person, their partner and the hub: every decision of what they may see goes through here."""

    def __init__(self, hub: Any, person: Person):
        self.hub = hub
        self.person = person
        partner = hub.find_partner(person.partner)
        if partner is None:
            raise Denied(f"Le partenaire « {person.partner} » de votre compte n'est plus actif dans le registre : "
                         "l'accès est suspendu. Contactez le gestionnaire du dispositif.")
        self.partner: Partner = partner

    @property
    def device_wide(self) -> bool:
        return self.partner.role in DEVICE_ROLES

    def audit(self, action: str, target: str | None = None, *, outcome: str = "done", reason: str | None = None,
              kind: str = AuditKind.READ) -> None:
        self.hub.audit_access(actor=self.person.actor, action=f"console {action}", target=target, outcome=outcome,
                              reason=reason, kind=kind)

    def require_operator(self, action: str, target: str | None = None) -> None:
        if not self.person.operator:
            self.audit(action, target, outcome="denied", reason="role reader")
            raise Denied("Cette action est réservée aux comptes « opérateur » ; votre compte est en lecture seule.")

    # --- demands ------------------------------------------------------------------------------------------------
    def may_read(self) -> Callable[[str, list[str]], bool]:
        """The partner's answer for a demand, for filtering the lines of a list."""
        return lambda numero_unique, communes: self.hub.demand_verdict(self.partner, numero_unique,
                                                                       communes).allowed

    def check_demand(self, numero_unique: str, communes: list[str], action: str) -> None:
        """Allowed: audited as a read, with the granting rule. Refused: audited as denied, then :class:`Denied`."""
        verdict = self.hub.demand_verdict(self.partner, numero_unique, communes)
        if not verdict.allowed:
            self.audit(action, numero_unique, outcome="denied", reason=verdict.why)
            raise Denied(f"Votre organisme ({self.partner.id}, rôle {self.partner.role.value}) n'a pas accès à la "
                         f"demande {numero_unique} selon les règles d'accès du territoire. La tentative est "
                         "enregistrée dans le journal d'audit.")
        self.audit(action, numero_unique, reason=f"{verdict.rule}: {verdict.why}")

    # --- operations ---------------------------------------------------------------------------------------------
    def connectors(self, all_names: list[str]) -> list[str]:
        return all_names if self.device_wide else [n for n in all_names if n == self.partner.connector]

    def sees_dead_letter(self, row: dict[str, Any]) -> bool:
        if self.device_wide:
            return True
        return row["direction"] == "inbound" and origin_partner(row.get("origin")) == self.partner.id
