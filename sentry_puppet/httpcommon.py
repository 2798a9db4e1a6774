"""What every HTTP client of the tool shares (the server's API in backends/http.py, PuppetDB in
puppetdb.py): the User-Agent, and failed requests turned into words a person can act on."""
import re

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
