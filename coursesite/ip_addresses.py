"""The one rule for keeping a client's address (login sessions, audit events): a parsed IPv4 or IPv6 address in its
canonical text form, or None.

``request.remote_addr`` is whatever the trusted proxy put last in ``X-Forwarded-For``, and the proxy passes on what
the client wrote there: text of any length (``<svg/onload=…>``) would otherwise be stored as an address, or overflow
the 45-character columns with a 500.
"""
from __future__ import annotations

import ipaddress

from flask import has_request_context, request

IP_ADDRESS_MAX = 45  # the longest canonical form: an IPv4-mapped IPv6 address, "ffff:…:255.255.255.255"


def ip_address_or_none(value: str | None) -> str | None:
    """``value`` as a canonical IPv4/IPv6 address (an IPv6 zone such as ``%eth0`` dropped: it is local to the
    machine that saw it, and unbounded), or None when it is none."""
    if not value:
        return None
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.scope_id is not None:
        address = ipaddress.IPv6Address(int(address))
    return str(address)


def request_ip_address() -> str | None:
    """The current request's client address as we keep it; None outside a request."""
    return ip_address_or_none(request.remote_addr) if has_request_context() else None
