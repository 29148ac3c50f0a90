"""Client for the Keywatch auth server's verify API (POST /v1/verify), standard library only.

    from keywatch_verify import KeywatchVerifier
    verifier = KeywatchVerifier("http://127.0.0.1:8089", token=None, gateway_id="billing-php")
    result = verifier.verify(api_key, method="GET", route="/v1/subscriptions", ip=client_ip)
    if not result.valid:
        return result.status, {"error": {"code": result.outcome}}, result.headers()

A refused key is a normal answer (``valid`` False, ``outcome`` and ``status`` of the contract);
only a bad request, a wrong deployment token or an unreachable server raise ``KeywatchError``.
The key is sent in the JSON body only and never appears in an exception message.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any, Dict, Optional, Tuple

__all__ = ["KeywatchVerifier", "KeywatchError", "Verification", "KeyInfo", "RateLimit"]


class KeywatchError(Exception):
    """The auth server could not answer the question (not: the key was refused)."""

    def __init__(self, status: int, code: str, message: str, field: Optional[str] = None) -> None:
        super().__init__(f"{status} {code}: {message}" + (f" (field {field})" if field else ""))
        self.status = status
        self.code = code
        self.field = field


@dataclass(frozen=True)
class KeyInfo:
    id: str
    tenant_id: str
    type: str
    environment: str
    scopes: Tuple[str, ...]
    name: str


@dataclass(frozen=True)
class RateLimit:
    limit: int
    remaining: int
    reset_s: int


@dataclass(frozen=True)
class Verification:
    valid: bool
    outcome: str
    status: int
    key: Optional[KeyInfo]
    rate_limit: Optional[RateLimit]
    request_id: Optional[str] = None

    def headers(self) -> Dict[str, str]:
        """``RateLimit-*`` (and ``Retry-After`` when rate limited) for the answer to your client."""
        if self.rate_limit is None:
            return {}
        out = {
            "RateLimit-Limit": str(self.rate_limit.limit),
            "RateLimit-Remaining": str(self.rate_limit.remaining),
            "RateLimit-Reset": str(self.rate_limit.reset_s),
        }
        if self.outcome == "rate_limited":
            out["Retry-After"] = str(max(1, self.rate_limit.reset_s))
        return out


def _parse(body: Dict[str, Any]) -> Verification:
    key = body.get("key")
    limit = body.get("rate_limit")
    return Verification(
        valid=bool(body["valid"]),
        outcome=str(body["outcome"]),
        status=int(body["status"]),
        key=None
        if key is None
        else KeyInfo(key["id"], key["tenant_id"], key["type"], key["environment"], tuple(key["scopes"]), key["name"]),
        rate_limit=None if limit is None else RateLimit(int(limit["limit"]), int(limit["remaining"]), int(limit["reset_s"])),
        request_id=body.get("request_id"),
    )


class KeywatchVerifier:
    """Verifies keys against one auth server. Thread-safe; one instance per process is enough."""

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8089",
        token: Optional[str] = None,
        gateway_id: Optional[str] = None,
        timeout: float = 2.0,
    ) -> None:
        self._url = base_url.rstrip("/") + "/v1/verify"
        self._token = token
        self._gateway_id = gateway_id
        self._timeout = timeout
        # No proxy from the environment: the key must go to the auth server and nowhere else.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def verify(
        self,
        key: Optional[str],
        *,
        scope: Optional[str] = None,
        method: Optional[str] = None,
        route: Optional[str] = None,
        ip: Optional[str] = None,
        origin: Optional[str] = None,
        user_agent: Optional[str] = None,
    ) -> Verification:
        """Asks whether ``key`` may make the request (``scope``, or ``method`` + ``route``)."""
        payload: Dict[str, Any] = {"key": key or ""}
        for name, value in (
            ("scope", scope),
            ("method", method),
            ("route", route),
            ("ip", ip),
            ("origin", origin),
            ("user_agent", user_agent),
            ("gateway_id", self._gateway_id),
        ):
            if value is not None:
                payload[name] = value
        headers = {"content-type": "application/json", "accept": "application/json"}
        if self._token is not None:
            headers["keywatch-auth-token"] = self._token
        request = urllib.request.Request(self._url, data=json.dumps(payload).encode(), headers=headers, method="POST")
        try:
            with self._opener.open(request, timeout=self._timeout) as response:
                return _parse(json.loads(response.read()))
        except urllib.error.HTTPError as error:
            try:
                detail = json.loads(error.read()).get("error", {})
            except (ValueError, AttributeError):
                detail = {}
            raise KeywatchError(error.code, str(detail.get("code", "http_error")), str(detail.get("message", error.reason)), detail.get("field")) from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise KeywatchError(0, "unreachable", f"auth server unreachable: {reason}") from None
        except (ValueError, KeyError, TypeError):
            raise KeywatchError(0, "bad_answer", "the auth server's answer is not a verify answer") from None
