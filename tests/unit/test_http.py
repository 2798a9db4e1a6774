"""HttpClient against fake HTTP (responses): headers, TLS settings, retries, rate limits,
error messages and both pagination styles. Sleeping is recorded, never done."""
import email.utils
import os
import socket
import time

import pytest
import requests
import responses

from sentry_puppet import __version__
from sentry_puppet.backends.base import BackendError
from sentry_puppet.backends.http import (GET_RETRIES, MAX_WAIT, RATE_LIMIT_RETRIES, HttpClient,
                                         HttpError)
from tests.support.fake_sentry import FakeSentry

BASE = "https://sentry.test"
TOKEN = "0123456789abcdef0123456789abcdef01234567"
HINT = "Check the token in /etc/sentry_puppet/token (it needs project:write, team:write)."


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def client(sleeps):
    http = HttpClient(BASE, TOKEN, timeout=7, auth_hint=HINT, sleep=sleeps.append)
    yield http
    http.close()


def error_of(call):
    with pytest.raises(BackendError) as info:
        call()
    message = str(info.value)
    assert TOKEN not in message
    return info.value, message


@responses.activate
def test_every_request_carries_user_agent_bearer_token_and_timeout(client):
    responses.get(BASE + "/api/0/x/", json={"ok": True})
    assert client.get_json("/api/0/x/") == {"ok": True}
    request = responses.calls[0].request
    assert request.headers["User-Agent"] == "sentry-puppet/%s" % __version__
    assert request.headers["Authorization"] == "Bearer " + TOKEN
    assert request.req_kwargs["timeout"] == 7
    # No ca_file: the system store (requests takes $REQUESTS_CA_BUNDLE for it); never off.
    assert request.req_kwargs["verify"] in (True, os.environ.get("REQUESTS_CA_BUNDLE"))
    assert TOKEN not in request.url
    assert client.request_count == 1


@responses.activate
def test_ca_file_is_used_even_when_the_environment_names_another_bundle(monkeypatch, tmp_path):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/nonexistent/env-bundle.pem")
    ca = tmp_path / "ca.pem"
    ca.write_text("not read by responses")
    responses.get(BASE + "/x", json=[])
    http = HttpClient(BASE, TOKEN, ca_file=str(ca))
    http.get_json("x")
    assert responses.calls[0].request.req_kwargs["verify"] == str(ca)


def test_one_session_with_a_pool_larger_than_the_jobs():
    http = HttpClient(BASE, TOKEN)
    adapter = http.session.get_adapter(BASE + "/")
    assert adapter._pool_maxsize >= 16
    assert TOKEN not in repr(http.session.auth)


@responses.activate
def test_429_waits_retry_after_then_succeeds(client, sleeps):
    responses.get(BASE + "/x", status=429, headers={"Retry-After": "3"})
    responses.get(BASE + "/x", json=[1])
    assert client.get_json("/x") == [1]
    assert sleeps == [3.0]
    assert client.request_count == 2


@responses.activate
def test_429_honours_sentry_rate_limit_reset_when_no_retry_after(client, sleeps):
    responses.get(BASE + "/x", status=429,
                  headers={"X-Sentry-Rate-Limit-Reset": str(int(time.time()) + 5)})
    responses.get(BASE + "/x", json=[1])
    client.get_json("/x")
    assert len(sleeps) == 1 and 3.5 <= sleeps[0] <= 5.0


@responses.activate
def test_429_retry_after_may_be_an_http_date(client, sleeps):
    responses.get(BASE + "/x", status=429,
                  headers={"Retry-After": email.utils.formatdate(time.time() + 10, usegmt=True)})
    responses.get(BASE + "/x", json=[])
    client.get_json("/x")
    assert len(sleeps) == 1 and 8 <= sleeps[0] <= 10


@responses.activate
def test_429_wait_is_bounded(client, sleeps):
    responses.get(BASE + "/x", status=429, headers={"Retry-After": "86400"})
    responses.get(BASE + "/x", json=[])
    client.get_json("/x")
    assert sleeps == [MAX_WAIT]


@responses.activate
def test_429_on_a_post_is_retried_because_the_server_did_nothing(client, sleeps):
    responses.post(BASE + "/x", status=429, headers={"Retry-After": "1"})
    responses.post(BASE + "/x", status=201, json={"id": "1"})
    assert client.post_json("/x", {"name": "a"}) == {"id": "1"}
    assert len(responses.calls) == 2


@responses.activate
def test_endless_429_gives_up_after_a_bounded_number_of_tries(client, sleeps):
    responses.get(BASE + "/x", status=429)
    error, message = error_of(lambda: client.get_json("/x"))
    assert error.status == 429
    assert len(responses.calls) == RATE_LIMIT_RETRIES + 1
    assert BASE + "/x" in message and "429" in message


@responses.activate
def test_get_after_one_500_is_retried(client, sleeps):
    responses.get(BASE + "/x", status=500)
    responses.get(BASE + "/x", json={"a": 1})
    assert client.get_json("/x") == {"a": 1}
    assert len(sleeps) == 1


@responses.activate
def test_get_retries_on_server_errors_are_bounded(client, sleeps):
    responses.get(BASE + "/x", status=503, body="<html>Service Unavailable</html>")
    error, message = error_of(lambda: client.get_json("/x"))
    assert len(responses.calls) == GET_RETRIES + 1
    assert sleeps == sorted(sleeps) and len(sleeps) == GET_RETRIES
    assert "%s/x answered 503" % BASE in message


@responses.activate
def test_post_is_not_retried_after_a_server_error(client, sleeps):
    responses.post(BASE + "/x", status=500, json={"detail": "boom"})
    error, message = error_of(lambda: client.post_json("/x", {}))
    assert isinstance(error, HttpError) and error.status == 500
    assert len(responses.calls) == 1 and sleeps == []


@responses.activate
def test_get_after_a_connection_error_is_retried(client, sleeps):
    responses.get(BASE + "/x", body=requests.exceptions.ConnectionError("refused"))
    responses.get(BASE + "/x", json=[])
    assert client.get_json("/x") == []
    assert len(responses.calls) == 2


@responses.activate
def test_post_after_a_read_timeout_is_not_retried(client, sleeps):
    responses.post(BASE + "/x", body=requests.exceptions.ReadTimeout("slow"))
    error, message = error_of(lambda: client.post_json("/x", {}))
    assert len(responses.calls) == 1
    assert "%s/x: no answer within 7 s" % BASE in message


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]   # nothing listens once the socket is closed


def test_unreachable_server_is_named_with_the_cause(sleeps):
    url = "http://127.0.0.1:%d" % closed_port()
    http = HttpClient(url, TOKEN, timeout=2, sleep=sleeps.append)
    error, message = error_of(lambda: http.get_json("/api/"))
    assert "%s/api/: cannot connect (Connection refused)" % url in message
    assert "`url`" in message
    assert http.request_count == GET_RETRIES + 1


@pytest.mark.parametrize("status, words", [(401, "token refused"),
                                           (403, "token lacks permission")])
@responses.activate
def test_refused_token_names_url_status_and_what_to_check_never_the_token(client, status, words):
    responses.get(BASE + "/api/0/organizations/acme/teams/", status=status,
                  json={"detail": "Invalid token " + TOKEN})
    error, message = error_of(lambda: client.get_json("/api/0/organizations/acme/teams/"))
    assert message == "%s/api/0/organizations/acme/teams/ answered %d (%s). %s" % (
        BASE, status, words, HINT)
    assert len(responses.calls) == 1


APACHE_403 = """<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">
<html><head>
<title>403 Forbidden</title>
</head><body>
<h1>Forbidden</h1>
<p>You don't have permission to access this resource.</p>
</body></html>
"""


@responses.activate
def test_web_servers_own_403_sends_the_operator_to_its_error_log_not_to_the_token(client):
    responses.get(BASE + "/api/0/organizations/acme/teams/", status=403, body=APACHE_403,
                  content_type="text/html; charset=iso-8859-1",
                  headers={"Server": "Apache/2.4.62 (Debian)"})
    error, message = error_of(lambda: client.get_json("/api/0/organizations/acme/teams/"))
    assert message.startswith(
        "%s/api/0/organizations/acme/teams/ answered 403 with a text/html body, not the API's "
        "JSON: the web server in front of the API (Apache/2.4.62 (Debian)) refused the request "
        "before the API saw the token. Read the web server's error log for this URL" % BASE)
    assert "token lacks permission" not in message and HINT not in message
    assert error.status == 403


@responses.activate
def test_html_login_page_instead_of_json_is_named(client):
    responses.get(BASE + "/api/0/x/", body="<html><form>Login</form></html>",
                  content_type="text/html")
    error, message = error_of(lambda: client.get_json("/api/0/x/"))
    assert "%s/api/0/x/ answered 200 with a text/html body, not JSON" % BASE in message
    assert "login page" in message


@responses.activate
def test_redirect_is_reported_not_followed(client):
    responses.get(BASE + "/api/0/x/", status=302,
                  headers={"Location": BASE + "/auth/login/?next=/api/0/x/"})
    error, message = error_of(lambda: client.get_json("/api/0/x/"))
    assert "answered 302, a redirect to %s/auth/login/" % BASE in message
    assert len(responses.calls) == 1


@responses.activate
def test_client_error_quotes_the_servers_detail(client):
    responses.post(BASE + "/x", status=400, json={"platform": ["Invalid platform"]})
    error, message = error_of(lambda: client.post_json("/x", {}))
    assert error.status == 400 and error.body == {"platform": ["Invalid platform"]}
    assert message == '%s/x answered 400: {"platform": ["Invalid platform"]}' % BASE


def link(cursor, results, rel="next"):
    return ('<https://elsewhere.test/api/0/p/?cursor=%s>; rel="%s"; results="%s"; cursor="%s"'
            % (cursor, rel, results, cursor))


@responses.activate
def test_link_pagination_follows_next_while_results_true(client):
    pages = [("", [1, 2], "c1", "true"), ("c1", [3, 4], "c2", "true"), ("c2", [5], "c3", "false")]
    for cursor, items, following, results in pages:
        query = {"per_page": "100"}
        if cursor:
            query["cursor"] = cursor
        responses.get(BASE + "/api/0/p/", json=items,
                      match=[responses.matchers.query_param_matcher(query)],
                      headers={"Link": link(cursor or "c0", "false", "previous") + ", "
                               + link(following, results)})
    assert list(client.paginate_link("/api/0/p/")) == [1, 2, 3, 4, 5]
    assert len(responses.calls) == 3
    # The cursor goes on our own URL, not the host the Link header names.
    assert all(call.request.url.startswith(BASE) for call in responses.calls)


@responses.activate
def test_link_pagination_refuses_a_cursor_that_does_not_advance(client):
    responses.get(BASE + "/p/", json=[1], headers={"Link": link("same", "true")})
    error, message = error_of(lambda: list(client.paginate_link("/p/")))
    assert "next cursor advances" in message
    assert len(responses.calls) == 2


@responses.activate
def test_link_pagination_refuses_a_body_that_is_not_a_list(client):
    responses.get(BASE + "/p/", json={"detail": "?"})
    error, message = error_of(lambda: list(client.paginate_link("/p/")))
    assert "%s/p/ answered with an unexpected body: wanted a JSON list" % BASE in message


@responses.activate
def test_body_pagination_follows_next_on_our_own_host(client):
    responses.get(BASE + "/api/canonical/0/projects/", json={
        "next": "http://127.0.0.1:8000/api/canonical/0/projects/?cursor=abc", "previous": None,
        "results": [{"id": 1}]}, match=[responses.matchers.query_param_matcher({})])
    responses.get(BASE + "/api/canonical/0/projects/", json={
        "next": None, "previous": "x", "results": [{"id": 2}]},
        match=[responses.matchers.query_param_matcher({"cursor": "abc"})])
    assert list(client.paginate_body("/api/canonical/0/projects/")) == [{"id": 1}, {"id": 2}]


@responses.activate
def test_body_pagination_refuses_a_body_without_results(client):
    responses.get(BASE + "/l/", json=[1, 2])
    error, message = error_of(lambda: list(client.paginate_body("/l/")))
    assert "wanted a JSON object with a `results` list" in message


def test_after_a_lost_connection_every_request_goes_on_a_fresh_one(sleeps):
    # A server that closes after each answer without saying so (uWSGI, `sentry run web`).
    with FakeSentry() as fake:
        fake.drop_after_answer = True
        http = HttpClient(fake.url + "/api/0/", fake.token, sleep=sleeps.append)
        for _ in range(3):
            assert http.get_json("organizations/acme/teams/")[0]["slug"] == "apps"
        # The second GET was lost on the reused connection and retried on a fresh one; the
        # third went on a fresh one at once.
        assert http.request_count == 4 and sleeps == [0.5]
        # A POST is never retried blindly: it must not meet a stale connection at all.
        assert http.post_json("organizations/acme/teams/", {"slug": "ops"})["slug"] == "ops"
        assert http.request_count == 5
        http.close()
