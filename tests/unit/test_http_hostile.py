"""HttpClient against servers that misbehave on purpose (tests/support/hostile_server.py, real
sockets on 127.0.0.1): total time limits, the run's deadline, Retry-After counted against it,
answers cut short, nesting, and what a server echoes never printed."""
import email.utils
import time

import pytest

from sentry_puppet.backends.base import BackendError
from sentry_puppet.backends.http import GET_RETRIES, MAX_WAIT, HttpClient
from sentry_puppet.deadline import Deadline, RunTimeout
from tests.support.hostile_server import HostileServer

CANARY = "sntrys_CANARY0123456789abcdefCANARY"


def client(server, timeout=1.0, deadline=None, sleeps=None):
    return HttpClient(server.url + "/api/", CANARY, timeout=timeout, deadline=deadline,
                      sleep=sleeps.append if sleeps is not None else (lambda s: None))


def failure(call, kind=BackendError):
    with pytest.raises(kind) as info:
        call()
    message = str(info.value)
    assert CANARY not in message and "CANARY" not in message
    return message


@pytest.mark.parametrize("mode", ["trickle", "headers"])
def test_a_server_sending_a_byte_a_second_is_given_up_on_after_timeout(mode):
    # requests' timeout bounds each read: every byte arrives in time, so only a limit on the
    # whole attempt ends it. GETs are tried again, like any timeout.
    with HostileServer(mode, interval=0.2) as server:
        http = client(server, timeout=1.0)
        message = failure(lambda: http.get_json("teams/"))
    assert message == ("%s/api/teams/: no whole answer within 1 s (timeout in the config: "
                       "connect to last byte); check that `url` in the config is right and the "
                       "server is up" % server.url)
    assert server.requests == GET_RETRIES + 1


def test_the_runs_deadline_ends_a_request_before_its_own_timeout():
    with HostileServer("silent") as server:
        http = client(server, timeout=60, deadline=Deadline(1.0))
        message = failure(lambda: http.get_json("teams/"), RunTimeout)
    assert message == "run_timeout of 1 s reached while waiting for %s/api/teams/" % server.url
    assert server.requests == 1


@pytest.mark.parametrize("retry_after", [
    "3600",
    email.utils.formatdate(time.time() + 86400, usegmt=True),   # an HTTP date far ahead
])
def test_a_retry_after_beyond_the_runs_deadline_ends_the_run_at_once(retry_after):
    sleeps = []
    with HostileServer("echo", status=429, retry_after=retry_after) as server:
        http = client(server, deadline=Deadline(30), sleeps=sleeps)
        message = failure(lambda: http.get_json("teams/"), RunTimeout)
    # Capped at MAX_WAIT, and that is still more than the run has left: no sleep at all.
    assert message == ("run_timeout of 30 s reached while waiting out the server's rate limit "
                       "(429, Retry-After) for %s/api/teams/ (%g s)" % (server.url, MAX_WAIT))
    assert sleeps == [] and server.requests == 1


def test_a_retry_after_is_capped_without_a_run_deadline():
    sleeps = []
    with HostileServer("echo", status=429, retry_after="86400") as server:
        http = client(server, sleeps=sleeps)
        failure(lambda: http.get_json("teams/"))
    assert sleeps and max(sleeps) == MAX_WAIT


def test_an_answer_cut_short_names_the_url_and_is_asked_again():
    with HostileServer("cut") as server:
        http = client(server)
        message = failure(lambda: http.get_json("teams/"))
    assert message.startswith("%s/api/teams/: the answer broke off before its end" % server.url)
    assert server.requests == GET_RETRIES + 1


def test_json_nested_too_deeply_is_one_clear_error():
    with HostileServer("nested") as server:
        http = client(server)
        message = failure(lambda: http.get_json("teams/"))
    assert "not JSON" in message and server.url in message


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 429, 500, 502, 302])
def test_what_the_server_echoes_is_never_printed(status):
    with HostileServer("echo", status=status, retry_after="0") as server:
        http = client(server)
        message = failure(lambda: http.post_json("teams/", {"name": "x"}))
    assert "answered %d" % status in message
    assert "Bearer" not in message or "Bearer [redacted]" in message


def test_a_cut_detail_keeps_no_part_of_the_token():
    # The detail is shortened to DETAIL_CHARS: redacting after the cut would leave the token's
    # first characters. Here the token straddles the cut.
    from sentry_puppet.backends.http import _detail
    from sentry_puppet.httpcommon import DETAIL_CHARS
    body = {"detail": "x" * (DETAIL_CHARS - 10) + CANARY}
    assert "sntrys_CAN" not in _detail(body, CANARY)


def test_a_base_url_with_credentials_is_printed_without_them():
    with HostileServer("echo", status=500) as server:
        url = server.url.replace("http://", "http://admin:s3cr@t@")
        http = HttpClient(url + "/api/", CANARY, timeout=1, sleep=lambda s: None)
        message = failure(lambda: http.get_json("teams/"))
    assert "s3cr" not in message and "admin" not in message
