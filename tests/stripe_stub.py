"""A Stripe-compatible HTTP server on loopback, for the real ``stripe`` SDK to talk to in tests.

It speaks the slice of the API the app uses (Checkout Sessions with line items, listing sessions by payment intent,
charges, disputes) with Stripe's encoding: form-encoded requests with ``a[b][0]`` keys, JSON answers, errors as
``{"error": {...}}`` with 402/429/500 statuses. Tests play Stripe's other side through its methods: a customer pays
(``pay``), an operator refunds (``refund``), a session expires (``expire``), a cardholder disputes a charge
(``dispute``) and the bank decides (``close_dispute``), and events are built and signed as
Stripe would send them (``event``, ``sign``). Faults can be queued: an error status or a stall longer than the SDK's
timeout on the next matching requests.
"""
from __future__ import annotations

import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import stripe

SECRET_KEY = "sk_test_stub"
WEBHOOK_SECRET = "whsec_stub_secret"
# The SDK's timeout against the stub: long enough that a busy CI machine never trips it by accident, short enough
# that the fault tests (which stall the stub for STALL_PAST_TIMEOUT) stay quick.
TIMEOUT_SECONDS = 2.0
STALL_PAST_TIMEOUT = TIMEOUT_SECONDS + 1.0


def app_settings(server_url: str) -> dict:
    """The settings that point an app's Stripe gateway at the stub: its keys, its address, the timeout above and no
    SDK retries (the fault tests see each failure once)."""
    return {"STRIPE_SECRET_KEY": SECRET_KEY, "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET, "STRIPE_API_BASE": server_url,
            "STRIPE_TIMEOUT_SECONDS": TIMEOUT_SECONDS, "STRIPE_MAX_NETWORK_RETRIES": 0}

ERROR_BODIES = {
    402: {"type": "card_error", "code": "card_declined", "message": "Your card was declined."},
    429: {"type": "invalid_request_error", "code": "rate_limit", "message": "Too many requests."},
    500: {"type": "api_error", "message": "Something went wrong on Stripe's end."},
}


def parse_form(body: str) -> dict:
    """``line_items[0][price_data][currency]=usd`` → nested dicts, with all-digit keys turned into lists."""
    root: dict = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        parts = re.findall(r"[^\[\]]+", key)
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return _listify(root)


def _listify(node):
    if isinstance(node, dict):
        if node and all(key.isdigit() for key in node):
            return [_listify(node[key]) for key in sorted(node, key=int)]
        return {key: _listify(value) for key, value in node.items()}
    return node


@dataclass
class Fault:
    path_prefix: str
    status: int = 0
    stall_seconds: float = 0.0


@dataclass
class StubState:
    sessions: dict = field(default_factory=dict)
    line_items: dict = field(default_factory=dict)
    charges: dict = field(default_factory=dict)
    disputes: dict = field(default_factory=dict)
    requests: list = field(default_factory=list)
    faults: list = field(default_factory=list)
    idempotent: dict = field(default_factory=dict)


class StripeStub:
    def __init__(self) -> None:
        self.state = StubState()
        self.lock = threading.Lock()
        self.ids = itertools.count(1)
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                stub._handle(self, "GET")

            def do_POST(self):
                stub._handle(self, "POST")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def start(self) -> StripeStub:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def reset(self) -> None:
        with self.lock:
            self.state = StubState()

    def _id(self, prefix: str) -> str:
        return f"{prefix}_stub{next(self.ids):06d}"

    # The HTTP side -------------------------------------------------------------------------------------------

    def _handle(self, request: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(request.path)
        body = request.rfile.read(int(request.headers.get("Content-Length") or 0)).decode()
        params = parse_form(body if method == "POST" else parts.query)
        with self.lock:
            self.state.requests.append((method, parts.path, params, dict(request.headers)))
            fault = next((f for f in self.state.faults if parts.path.startswith(f.path_prefix)), None)
            if fault:
                self.state.faults.remove(fault)
        if fault and fault.stall_seconds:
            time.sleep(fault.stall_seconds)
            return self._reply(request, 500, {"error": ERROR_BODIES[500]})
        if fault:
            return self._reply(request, fault.status, {"error": ERROR_BODIES[fault.status]})
        if request.headers.get("Authorization") != f"Bearer {SECRET_KEY}":
            return self._reply(request, 401, {"error": {"type": "invalid_request_error", "message": "Bad key"}})
        status, answer = self._route(method, parts.path, params, request.headers.get("Idempotency-Key"))
        self._reply(request, status, answer)

    @staticmethod
    def _reply(request: BaseHTTPRequestHandler, status: int, answer: dict) -> None:
        data = json.dumps(answer).encode()
        try:
            request.send_response(status)
            request.send_header("Content-Type", "application/json")
            request.send_header("Content-Length", str(len(data)))
            request.send_header("Request-Id", "req_stub")
            request.end_headers()
            request.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)

    def _route(self, method: str, path: str, params: dict, idempotency_key: str | None) -> tuple[int, dict]:
        with self.lock:
            if method == "POST" and path == "/v1/checkout/sessions":
                if idempotency_key and idempotency_key in self.state.idempotent:
                    return 200, self.state.idempotent[idempotency_key]
                session = self._create_session(params)
                if idempotency_key:
                    self.state.idempotent[idempotency_key] = session
                return 200, session
            match = re.fullmatch(r"/v1/checkout/sessions/([\w-]+)", path)
            if method == "GET" and match:
                session = self.state.sessions.get(match.group(1))
                if session is None:
                    return 404, {"error": {"type": "invalid_request_error", "message": "No such checkout session"}}
                return 200, self._expanded(session, params.get("expand", []))
            if method == "GET" and path == "/v1/checkout/sessions":
                found = [s for s in self.state.sessions.values()
                         if s["payment_intent"] and s["payment_intent"] == params.get("payment_intent")]
                expand = [item.removeprefix("data.") for item in params.get("expand", [])]
                return 200, {"object": "list", "url": path, "has_more": False,
                             "data": [self._expanded(s, expand) for s in found]}
            match = re.fullmatch(r"/v1/charges/([\w-]+)", path)
            if method == "GET" and match and match.group(1) in self.state.charges:
                return 200, dict(self.state.charges[match.group(1)])
            match = re.fullmatch(r"/v1/disputes/([\w-]+)", path)
            if method == "GET" and match:
                if match.group(1) not in self.state.disputes:
                    return 404, {"error": {"type": "invalid_request_error", "message": "No such dispute"}}
                return 200, dict(self.state.disputes[match.group(1)])
        return 404, {"error": {"type": "invalid_request_error", "message": f"Unknown {method} {path}"}}

    def _create_session(self, params: dict) -> dict:
        session_id = self._id("cs_test")
        items = []
        for item in params.get("line_items", []):
            price = item["price_data"]
            quantity = int(item["quantity"])
            amount = int(price["unit_amount"]) * quantity
            items.append({"id": self._id("li"), "object": "item", "quantity": quantity, "currency": price["currency"],
                          "description": price["product_data"]["name"], "amount_subtotal": amount,
                          "amount_discount": 0, "amount_total": amount})
        subtotal = sum(item["amount_subtotal"] for item in items)
        session = {
            "id": session_id, "object": "checkout.session", "mode": params.get("mode"),
            "url": f"{self.url}/pay/{session_id}", "status": "open", "payment_status": "unpaid",
            "client_reference_id": params.get("client_reference_id"), "metadata": params.get("metadata", {}),
            "customer_email": params.get("customer_email"), "currency": items[0]["currency"] if items else "usd",
            "amount_subtotal": subtotal, "amount_total": subtotal,
            "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
            "allow_promotion_codes": params.get("allow_promotion_codes") == "true",
            "billing_address_collection": params.get("billing_address_collection"),
            "success_url": params.get("success_url"), "cancel_url": params.get("cancel_url"),
            "payment_intent": None, "customer_details": None,
        }
        self.state.sessions[session_id] = session
        self.state.line_items[session_id] = items
        return dict(session)

    def _expanded(self, session: dict, expand: list) -> dict:
        answer = dict(session)
        if "line_items" in expand:
            answer["line_items"] = {"object": "list", "has_more": False,
                                    "url": f"/v1/checkout/sessions/{session['id']}/line_items",
                                    "data": [dict(item) for item in self.state.line_items[session["id"]]]}
        return answer

    # Stripe's other side, for the tests ---------------------------------------------------------------------

    def last_session(self) -> dict:
        with self.lock:
            return dict(list(self.state.sessions.values())[-1])

    def created_sessions(self) -> list[dict]:
        return [params for method, path, params, _ in self.state.requests
                if method == "POST" and path == "/v1/checkout/sessions"]

    def pay(self, session_id: str, *, discount: int = 0, delayed: bool = False, customer_name: str = "",
            address: dict | None = None) -> dict:
        """The customer completes Checkout (with a promotion code worth ``discount``; ``delayed``: a bank debit
        still processing). Returns the charge."""
        with self.lock:
            session = self.state.sessions[session_id]
            items = self.state.line_items[session_id]
            remaining = discount
            for index, item in enumerate(items):
                share = remaining if index == len(items) - 1 else discount * item["amount_subtotal"] // max(
                    session["amount_subtotal"], 1)
                remaining -= share
                item["amount_discount"] = share
                item["amount_total"] = item["amount_subtotal"] - share
            payment_intent = self._id("pi")
            session.update(status="complete", payment_status="unpaid" if delayed else "paid",
                           payment_intent=payment_intent, amount_total=session["amount_subtotal"] - discount,
                           total_details={"amount_discount": discount, "amount_shipping": 0, "amount_tax": 0},
                           customer_details={"email": session["customer_email"], "name": customer_name or None,
                                             "address": address})
            charge = {"id": self._id("ch"), "object": "charge", "amount": session["amount_total"],
                      "amount_refunded": 0, "refunded": False, "payment_intent": payment_intent,
                      "status": "pending" if delayed else "succeeded"}
            self.state.charges[charge["id"]] = charge
            return dict(charge)

    def settle(self, session_id: str, succeeded: bool = True) -> None:
        """A delayed payment succeeds (or fails)."""
        with self.lock:
            session = self.state.sessions[session_id]
            if succeeded:
                session["payment_status"] = "paid"
            for charge in self.state.charges.values():
                if charge["payment_intent"] == session["payment_intent"]:
                    charge["status"] = "succeeded" if succeeded else "failed"

    def expire(self, session_id: str) -> None:
        with self.lock:
            self.state.sessions[session_id].update(status="expired")

    def refund(self, charge_id: str, amount: int | None = None) -> dict:
        with self.lock:
            charge = self.state.charges[charge_id]
            charge["amount_refunded"] += charge["amount"] - charge["amount_refunded"] if amount is None else amount
            charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
            return dict(charge)

    def dispute(self, charge_id: str, reason: str = "fraudulent") -> dict:
        """The cardholder disputes the whole charge; returns the dispute (status ``needs_response``)."""
        with self.lock:
            charge = self.state.charges[charge_id]
            dispute = {"id": self._id("dp"), "object": "dispute", "charge": charge_id,
                       "payment_intent": charge["payment_intent"], "amount": charge["amount"], "currency": "usd",
                       "status": "needs_response", "reason": reason, "livemode": False}
            charge["disputed"] = True
            self.state.disputes[dispute["id"]] = dispute
            return dict(dispute)

    def close_dispute(self, dispute_id: str, status: str) -> dict:
        """The bank decides: ``won`` or ``lost``."""
        with self.lock:
            self.state.disputes[dispute_id]["status"] = status
            return dict(self.state.disputes[dispute_id])

    def fail_next(self, status: int, path_prefix: str = "/v1/", times: int = 1) -> None:
        with self.lock:
            self.state.faults.extend(Fault(path_prefix, status=status) for _ in range(times))

    def stall_next(self, seconds: float, path_prefix: str = "/v1/") -> None:
        with self.lock:
            self.state.faults.append(Fault(path_prefix, stall_seconds=seconds))

    def event(self, event_type: str, obj: dict, event_id: str | None = None) -> bytes:
        """A webhook body as Stripe sends it: the object as it was when the event happened."""
        return json.dumps({"id": event_id or self._id("evt"), "object": "event", "type": event_type,
                           "created": int(time.time()), "livemode": False, "api_version": "2024-06-20",
                           "data": {"object": obj}}).encode()

    @staticmethod
    def sign(payload: bytes, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
        return stripe.WebhookSignature.generate_signature_header(payload.decode(), secret, timestamp)
