"""The organisation dashboard's "Certificate" column (``organization_member_columns``, filled by ``create_app``):
each member's current certificate for the module, with its date, CE hours and a link to its public verification
page (which anyone with the code may open anyway)."""
from __future__ import annotations

from collections.abc import Sequence

from flask import url_for
from markupsafe import Markup

from coursesite.certificates.services import certificates_for_users, format_hours

STATUS_WORDS = {"valid": "", "revoked": " (revoked)", "superseded": " (superseded)"}


def certificate_column(user_ids: Sequence[int], module_id: int) -> tuple[str, dict[int, Markup]]:
    cells = {}
    for user_id, certificate in certificates_for_users(list(user_ids), module_id).items():
        hours = certificate.snapshot.get("ce_hours")
        cells[user_id] = Markup('{issued}, {hours} CE hours{status} · <a href="{url}">Verify<span '
                                'class="visually-hidden"> the certificate of {issued}</span></a>').format(
            issued=certificate.issued_at.strftime("%-d %b %Y"),
            hours=format_hours(hours) if isinstance(hours, int | float) else "?",
            status=STATUS_WORDS.get(certificate.status, ""),
            url=url_for("certificates.verify", code=certificate.code))
    return "Certificate", cells
