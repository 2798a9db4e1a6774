"""What must never be printed, taken out of text that may carry it: a server's echo of our
request, a URL from the config or a server."""
import re

# What a server may echo back that must never be printed: a URL's user:password@ (up to the
# last `@` before the path: a password may hold `@`), a Bearer token, an Authorization value.
_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/?#\s\"'<>]*@")
_BEARER = re.compile(r"(?i)\b(bearer)(\s+|%20|\+)[^\s\"'<>,;}\]]+")
_AUTHORIZATION = re.compile(r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?)[^\"'\r\n,;}\]]+")
REDACTED = "[redacted]"


def redact(text, *secrets):
    """`text` without the given secrets, URL credentials, Bearer tokens or Authorization values."""
    text = str(text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    text = _URL_CREDENTIALS.sub(r"\1" + REDACTED + "@", text)
    text = _AUTHORIZATION.sub(r"\1" + REDACTED, text)
    return _BEARER.sub(r"\1 " + REDACTED, text)
