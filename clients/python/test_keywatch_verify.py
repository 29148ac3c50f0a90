"""Tests of keywatch_verify against a stub auth server (http.server in a thread)."""

import json
import threading
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from keywatch_verify import KeywatchError, KeywatchVerifier

KEY = "sk_live_" + "A" * 36
ALLOWED = {
    "valid": True,
    "outcome": "allowed",
    "status": 200,
    "key": {"id": "key_abc", "tenant_id": "tenant_1", "type": "secret", "environment": "live", "scopes": ["subscriptions:read"], "name": "backend"},
    "rate_limit": {"limit": 10, "remaining": 9, "reset_s": 6},
    "request_id": "req_1",
}


class Stub(BaseHTTPRequestHandler):
    seen = []
    answer = (200, ALLOWED)

    def do_POST(self):  # noqa: N802 (http.server's naming)
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        Stub.seen.append((self.path, dict(self.headers), body))
        status, answer = Stub.answer
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


class VerifyClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = ThreadingHTTPServer(("127.0.0.1", 0), Stub)
        cls.thread = threading.Thread(target=cls.server.serve_forever, daemon=True)
        cls.thread.start()
        cls.url = f"http://127.0.0.1:{cls.server.server_address[1]}"

    @classmethod
    def tearDownClass(cls):
        cls.server.shutdown()
        cls.server.server_close()

    def setUp(self):
        Stub.seen = []
        Stub.answer = (200, ALLOWED)

    def test_sends_the_contract_body_and_token_and_parses_an_allowed_answer(self):
        verifier = KeywatchVerifier(self.url, token="t0ken", gateway_id="billing-php")
        result = verifier.verify(KEY, method="GET", route="/v1/subscriptions", ip="203.0.113.9", user_agent="ua")
        path, headers, body = Stub.seen[0]
        self.assertEqual(path, "/v1/verify")
        self.assertEqual(headers.get("keywatch-auth-token") or headers.get("Keywatch-Auth-Token"), "t0ken")
        self.assertEqual(body, {"key": KEY, "method": "GET", "route": "/v1/subscriptions", "ip": "203.0.113.9", "user_agent": "ua", "gateway_id": "billing-php"})
        self.assertTrue(result.valid)
        self.assertEqual(result.key.id, "key_abc")
        self.assertEqual(result.key.scopes, ("subscriptions:read",))
        self.assertEqual(result.headers(), {"RateLimit-Limit": "10", "RateLimit-Remaining": "9", "RateLimit-Reset": "6"})

    def test_a_refused_key_is_an_answer_not_an_exception(self):
        Stub.answer = (200, {"valid": False, "outcome": "rate_limited", "status": 429, "key": None, "rate_limit": {"limit": 1, "remaining": 0, "reset_s": 30}})
        result = KeywatchVerifier(self.url).verify(KEY, scope="subscriptions:read")
        self.assertEqual((result.valid, result.outcome, result.status, result.key), (False, "rate_limited", 429, None))
        self.assertEqual(result.headers()["Retry-After"], "30")
        self.assertEqual(Stub.seen[0][2], {"key": KEY, "scope": "subscriptions:read"})

    def test_a_missing_key_is_sent_as_empty(self):
        Stub.answer = (200, {"valid": False, "outcome": "missing_key", "status": 401, "key": None, "rate_limit": None})
        result = KeywatchVerifier(self.url).verify(None)
        self.assertEqual(Stub.seen[0][2], {"key": ""})
        self.assertEqual(result.headers(), {})

    def test_a_bad_request_raises_with_the_field_and_without_the_key(self):
        Stub.answer = (400, {"error": {"code": "invalid_request", "message": "scope: invalid option", "field": "scope"}})
        with self.assertRaises(KeywatchError) as caught:
            KeywatchVerifier(self.url).verify(KEY, scope="everything")
        self.assertEqual((caught.exception.status, caught.exception.code, caught.exception.field), (400, "invalid_request", "scope"))
        self.assertNotIn(KEY, str(caught.exception))

    def test_a_wrong_token_raises_401(self):
        Stub.answer = (401, {"error": {"code": "unauthorized", "message": "bad token"}})
        with self.assertRaises(KeywatchError) as caught:
            KeywatchVerifier(self.url, token="wrong").verify(KEY)
        self.assertEqual(caught.exception.status, 401)

    def test_an_unreachable_server_raises_without_the_key(self):
        with self.assertRaises(KeywatchError) as caught:
            KeywatchVerifier("http://127.0.0.1:9", timeout=0.5).verify(KEY)
        self.assertEqual(caught.exception.code, "unreachable")
        self.assertNotIn(KEY, str(caught.exception))


if __name__ == "__main__":
    unittest.main()
