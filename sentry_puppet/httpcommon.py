"""What every HTTP client of the tool shares (the server's API in backends/http.py, PuppetDB in
puppetdb.py): the User-Agent, failed requests turned into words a person can act on, total
time limits on a request and a streamed body, and redaction of what a server echoes."""
import queue
import re
import threading

import requests

from sentry_puppet import __version__

USER_AGENT = "sentry-puppet/%s" % __version__
DETAIL_CHARS = 200      # of a server's error detail quoted in a message


# urllib3 nests the cause in reprs of reprs; these find the part a person can act on.
_REASONS = (re.compile(r"certificate verify failed: ([^(\"']+)"),
            re.compile(r"(hostname [^\"']+ doesn't match[^\"']+)"),
            re.compile(r"\] ((?:tlsv1|sslv3|tlsv13) alert [^(\"']+)"),
            re.compile(r"(EOF occurred in violation of protocol)"),
            re.compile(r"\[Errno [^\]]*\] ([^\"']+)"),
            re.compile(r"(Name or service not known|Temporary failure in name resolution)"))


def error_reason(exc):
    text = str(exc)
    for pattern in _REASONS:
        match = pattern.search(text)
        if match:
            return match.group(1).strip()
    return exc.__class__.__name__


def connection_reason(exc, timeout):
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "no connection within %g s" % timeout
    if isinstance(exc, requests.exceptions.Timeout):
        return "no answer within %g s (timeout in the config)" % timeout
    return "cannot connect (%s)" % error_reason(exc)


class AttemptTimeout(Exception):
    """One attempt (connect, headers and the whole body) outlasted its total limit."""


def within(seconds, call):
    """call()'s result, or AttemptTimeout after `seconds`, whatever the server does. requests'
    own timeout only bounds each read: a server sending a byte a second never trips it. The
    call runs in a daemon thread; one that is given up on stays blocked on its socket until
    the server or the process ends it, and its result is dropped."""
    outcome = {}

    def run():
        try:
            outcome["value"] = call()
        except BaseException as exc:  # handed to the waiting thread below
            outcome["error"] = exc

    thread = threading.Thread(target=run, name="sentry-puppet request", daemon=True)
    thread.start()
    thread.join(max(seconds, 0))
    if thread.is_alive():
        raise AttemptTimeout()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


_END = object()


def bounded_chunks(chunks, seconds_left):
    """Yield from `chunks` (a streamed body) as long as `seconds_left()` is above 0, else raise
    AttemptTimeout: a reader thread fetches, this side only waits, so a trickling server cannot
    hold the reader past its limit."""
    handoff = queue.Queue(maxsize=8)

    def read():
        try:
            for chunk in chunks:
                handoff.put(chunk)
            handoff.put(_END)
        except BaseException as exc:  # handed to the consuming side
            handoff.put(exc)

    threading.Thread(target=read, name="sentry-puppet reader", daemon=True).start()
    while True:
        try:
            item = handoff.get(timeout=max(seconds_left(), 0))
        except queue.Empty:
            raise AttemptTimeout() from None
        if item is _END:
            return
        if isinstance(item, BaseException):
            raise item
        yield item
