"""HTTP for every backend: one session per run, verified TLS, timeouts, bounded retries,
rate limits, JSON checks and both pagination styles (Sentry's Link header, Bugsink's body).

Every failure becomes a BackendError naming the URL, the status and what to check; the
token lives only in the Authorization header of outgoing requests, never in a message."""
import email.utils
import json
import threading
import time
from urllib.parse import parse_qsl, urljoin, urlsplit

import requests
import requests.adapters
import requests.auth

from sentry_puppet.backends.base import BackendError
from sentry_puppet.httpcommon import (DETAIL_CHARS, USER_AGENT, AttemptTimeout, connection_reason,
                                      error_reason, within)
from sentry_puppet.redact import redact

POOL_SIZE = 32          # connections kept per host: more than any sensible --jobs
GET_RETRIES = 3         # after 5xx, timeouts and connection errors (GET only)
RATE_LIMIT_RETRIES = 5  # after 429 (any method: the server did nothing)
BACKOFF = 0.5           # seconds, doubled after each failed GET
MAX_WAIT = 60.0         # seconds: the longest one 429 may make us wait
MAX_PAGES = 10000       # a server whose cursor never ends must not hang a Puppet run


class HttpError(BackendError):
    """The server answered with an error status; backends look at `status` and `body`."""

    def __init__(self, message, url, status, body=None):
        super().__init__(message)
        self.url = url
        self.status = status
        self.body = body    # the parsed JSON error body, or None


class _Bearer(requests.auth.AuthBase):
    """Passing auth explicitly also keeps requests from reading ~/.netrc instead."""

    def __init__(self, token):
        self._token = token

    def __call__(self, request):
        request.headers["Authorization"] = "Bearer " + self._token
        return request

    def __repr__(self):
        return "<Bearer token>"


def _read_whole(response):
    with response:
        body = response.content
    # urllib3 before 2.0 takes a body cut short for a whole one: count it against the
    # Content-Length the server promised (a compressed body is counted before decoding).
    promised = response.headers.get("Content-Length", "")
    if (promised.isdigit() and "Content-Encoding" not in response.headers
            and len(body) != int(promised)):
        raise requests.exceptions.ChunkedEncodingError(
            "IncompleteRead(%d bytes read, %d more expected)"
            % (len(body), int(promised) - len(body)))
    return response


class HttpClient:
    def __init__(self, base_url, token, ca_file=None, timeout=10, auth_hint="",
                 sleep=time.sleep, deadline=None):
        """`auth_hint` completes a 401/403 message: where the token comes from, which scopes
        it needs. `sleep` is injectable so that tests of the back-off do not wait. `timeout`
        bounds each attempt whole (connect to last byte); `deadline` (deadline.Deadline), the
        run: no wait or sleep outlasts it."""
        self.base_url = base_url.rstrip("/") + "/"
        self.timeout = timeout
        self.auth_hint = auth_hint
        self.request_count = 0
        self._sleep = sleep
        self._token = token
        self.deadline = deadline
        self._lock = threading.Lock()
        self._fresh_connections = False   # set once a connection was lost
        # Given per request: requests lets $REQUESTS_CA_BUNDLE override a session's verify.
        self._verify = ca_file or True
        self._ca_file = ca_file
        self.session = requests.Session()
        self.session.auth = _Bearer(token)
        self.session.headers["User-Agent"] = USER_AGENT
        self.session.headers["Accept"] = "application/json"
        adapter = requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=POOL_SIZE)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)

    def url(self, path_or_url):
        """A path is taken relative to the API's base URL, even with a leading `/`."""
        if "://" in path_or_url:
            return path_or_url
        return urljoin(self.base_url, path_or_url.lstrip("/"))

    def close(self):
        self.session.close()

    def request(self, method, path_or_url, params=None, json=None):
        """-> requests.Response with a 2xx status and its body read, or HttpError/BackendError;
        RunTimeout when the run's deadline comes first."""
        url = self.url(path_or_url)
        get = method.upper() == "GET"
        failures = rate_limited = 0
        while True:
            try:
                response = self._send(method, url, params, json)
            except requests.exceptions.SSLError as exc:
                raise BackendError(self._redact(
                    "%s: TLS verification failed (%s); %s"
                    % (url, error_reason(exc), self._tls_advice()))) from None
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout,
                    requests.exceptions.ChunkedEncodingError,
                    requests.exceptions.ContentDecodingError, AttemptTimeout) as exc:
                if isinstance(exc, requests.exceptions.ConnectionError):
                    self._lost_connection()
                if get and failures < GET_RETRIES:
                    failures += 1
                    self._pause(BACKOFF * 2 ** (failures - 1), url)
                    continue
                raise BackendError(self._redact(
                    "%s: %s; check that `url` in the config is right and the server is up"
                    % (url, self._failure_reason(exc)))) from None
            status = response.status_code
            if status == 429 and rate_limited < RATE_LIMIT_RETRIES:
                rate_limited += 1
                self._pause(_rate_limit_wait(response, rate_limited), url,
                            "waiting out the server's rate limit (429, Retry-After) for")
                continue
            if status >= 500 and get and failures < GET_RETRIES:
                failures += 1
                self._pause(BACKOFF * 2 ** (failures - 1), url)
                continue
            if status >= 300:
                raise self._error(url, response)
            return response

    def _send(self, method, url, params, json):
        with self._lock:
            self.request_count += 1
        limit = self.timeout
        if self.deadline is not None:
            limit = min(limit, self.deadline.remaining())
            if limit <= 0:
                raise self.deadline.expired("about to ask %s" % self._redact(url))
        cut_by_run = limit < self.timeout

        def attempt():
            # Redirects are refused: a POST redirected becomes a GET, and a redirect to a login
            # page must be reported, not followed. The body is read here, within the limit.
            options = dict(params=params, json=json, timeout=limit, verify=self._verify,
                           allow_redirects=False, stream=True)
            if not self._fresh_connections:
                return _read_whole(self.session.request(method, url, **options))
            # A session of its own: its one connection is closed with it, never reused.
            with requests.Session() as session:
                session.auth, session.headers = self.session.auth, self.session.headers
                return _read_whole(session.request(method, url, **options))

        try:
            return within(limit, attempt)
        except (AttemptTimeout, requests.exceptions.Timeout):
            # Whichever clock fired first, ours or requests' own: a wait the run's deadline
            # had cut short means the run is what ran out.
            if cut_by_run:
                raise self.deadline.expired("waiting for %s" % self._redact(url)) from None
            raise

    def _pause(self, seconds, url, doing="waiting to ask again"):
        if self.deadline is not None and seconds >= self.deadline.remaining():
            raise self.deadline.expired("%s %s (%g s)" % (doing, self._redact(url), seconds))
        self._sleep(seconds)

    def _failure_reason(self, exc):
        if isinstance(exc, AttemptTimeout):
            return ("no whole answer within %g s (timeout in the config: connect to last byte)"
                    % self.timeout)
        if isinstance(exc, (requests.exceptions.ChunkedEncodingError,
                            requests.exceptions.ContentDecodingError)):
            return "the answer broke off before its end (%s)" % error_reason(exc)
        return connection_reason(exc, self.timeout)

    def _redact(self, text):
        return redact(text, self._token)

    def _lost_connection(self):
        """A connection was reset or refused. A server that closes after each answer without
        saying so (uWSGI's bare HTTP listener, `sentry run web`), or a load balancer dropping
        idle connections, leaves connections in the pool that look open: a retry on one of
        them fails the same way. So the retry, and every request of this run after it, goes
        on a fresh connection of its own."""
        self._fresh_connections = True

    def get_json(self, path_or_url, params=None):
        return self.json(self.request("GET", path_or_url, params=params))

    def post_json(self, path_or_url, body):
        return self.json(self.request("POST", path_or_url, json=body))

    def put_json(self, path_or_url, body):
        return self.json(self.request("PUT", path_or_url, json=body))

    def json(self, response):
        """The parsed body; a login page or a proxy's error page is refused by name."""
        try:
            return response.json()
        except (ValueError, RecursionError):   # RecursionError: JSON nested too deeply
            raise BackendError(
                "%s answered %d with %s, not JSON (a login page or a proxy in front of the "
                "API?); check that `url` in the config is the server's base URL"
                % (_plain(response.url), response.status_code, _content_kind(response))) from None

    def paginate_link(self, path, params=None):
        """Sentry: yield the items of every page, following rel="next" only while its
        results="true", with the cursor put on our own URL (a misconfigured url-prefix gives
        Link URLs on the wrong host)."""
        params = dict(params or {}, per_page=100)
        url = self.url(path)
        seen = set()
        for _ in range(MAX_PAGES):
            response = self.request("GET", url, params=params)
            items = self.json(response)
            if not isinstance(items, list):
                raise unexpected(response.url, "a JSON list")
            yield from items
            link = response.links.get("next")
            if not link or link.get("results") != "true":
                return
            cursor = link.get("cursor") or _query(link.get("url", "")).get("cursor")
            if not cursor or cursor in seen:
                raise unexpected(response.url, "a Link header whose next cursor advances")
            seen.add(cursor)
            params["cursor"] = cursor
        raise unexpected(url, "fewer than %d pages" % MAX_PAGES)

    def paginate_body(self, path, params=None):
        """Bugsink: yield the results of every page of `{next, previous, results}`."""
        params = dict(params or {})
        url = self.url(path)
        seen = set()
        for _ in range(MAX_PAGES):
            response = self.request("GET", url, params=params)
            body = self.json(response)
            if not (isinstance(body, dict) and isinstance(body.get("results"), list)):
                raise unexpected(response.url, "a JSON object with a `results` list")
            yield from body["results"]
            if not body.get("next"):
                return
            following = _query(body["next"])
            key = tuple(sorted(following.items()))
            if key in seen or following == params:
                raise unexpected(response.url, "a `next` link that advances")
            seen.add(key)
            params = following
        raise unexpected(url, "fewer than %d pages" % MAX_PAGES)

    def _error(self, url, response):
        status = response.status_code
        body = _json_or_none(response)
        if status == 403 and body is None:
            message = _web_server_refusal(url, response)
        elif status in (401, 403):
            what = "token refused" if status == 401 else "token lacks permission"
            message = "%s answered %d (%s)." % (url, status, what)
            if self.auth_hint:
                message += " " + self.auth_hint
        elif 300 <= status < 400:
            message = ("%s answered %d, a redirect to %s; set `url` in the config to the "
                       "server's base URL as it answers (https? a path prefix?)"
                       % (url, status, _plain(response.headers.get("Location", "nowhere"))))
        elif status == 429:
            message = "%s answered 429 (rate limited) %d times; try again later" % (
                url, RATE_LIMIT_RETRIES + 1)
        elif status >= 500:
            message = "%s answered %d (server error); see the server's log" % (url, status)
        else:
            message = "%s answered %d" % (url, status)
        if body is not None and status not in (401, 403):
            message += ": %s" % _detail(body, self._token)
        elif body is None and status not in (401, 403) and not 300 <= status < 400:
            message += " (%s)" % _content_kind(response)
        return HttpError(self._redact(message), url, status, body)

    def _tls_advice(self):
        if self._ca_file:
            return "is %s the CA that signed the server's certificate?" % self._ca_file
        return ("set `ca_file` in the config to the CA bundle that signed the server's "
                "certificate (verification is never switched off)")


def _web_server_refusal(url, response):
    """A 403 whose body is not JSON comes from the web server (Apache's own error page) or a
    proxy, not from the API: the token was never looked at, so do not send the operator to it."""
    server = response.headers.get("Server")
    return ("%s answered 403 with %s, not the API's JSON: the web server in front of the API%s "
            "refused the request before the API saw the token. Read the web server's error log "
            "for this URL (Apache: the vhost's ErrorLog; \"search permissions are missing\" or "
            "mod_wsgi's \"Unable to stat Python home\" there mean Apache's user cannot read the "
            "WSGI app's files or its virtualenv)"
            % (url, _content_kind(response), " (%s)" % server if server else ""))


def unexpected(url, wanted):
    return BackendError("%s answered with an unexpected body: wanted %s; is `url` in the "
                        "config this kind of server?" % (_plain(url), wanted))


def _rate_limit_wait(response, attempt):
    """Retry-After (seconds or an HTTP date), else X-Sentry-Rate-Limit-Reset (epoch
    seconds, sentry.io), else a doubling back-off; never more than MAX_WAIT."""
    wait = None
    retry_after = response.headers.get("Retry-After")
    if retry_after:
        try:
            wait = float(retry_after)
        except ValueError:
            try:
                wait = email.utils.parsedate_to_datetime(retry_after).timestamp() - time.time()
            except (TypeError, ValueError):
                pass
    reset = response.headers.get("X-Sentry-Rate-Limit-Reset")
    if wait is None and reset:
        try:
            wait = float(reset) - time.time()
        except ValueError:
            pass
    if wait is None:
        wait = BACKOFF * 2 ** attempt
    return min(max(wait, 0.0), MAX_WAIT)


def _query(url):
    return dict(parse_qsl(urlsplit(str(url)).query))


def _json_or_none(response):
    try:
        return response.json()
    except (ValueError, RecursionError):
        return None


def _detail(body, token):
    """The server's error detail, shortened, without what must not be echoed (redacted before
    it is cut, so that no part of a secret survives the cut)."""
    if isinstance(body, dict) and isinstance(body.get("detail"), str):
        text = body["detail"]
    else:
        text = json.dumps(body, sort_keys=True)
    text = redact(text, token)
    return text if len(text) <= DETAIL_CHARS else text[:DETAIL_CHARS] + "..."


def _content_kind(response):
    kind = response.headers.get("Content-Type", "").split(";")[0].strip()
    if not response.content:
        return "an empty body"
    return "a %s body" % (kind or "untyped")


def _plain(url):
    """The URL without query or credentials: for messages."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host += ":%d" % parts.port
    return "%s://%s%s" % (parts.scheme, host, parts.path) if parts.scheme else url


class HttpBackend:
    """What every backend shares: one HttpClient for the run on `config.url + api`, whose
    401/403 messages say where the token came from and what it `needs`."""
    api = ""
    token_needs = ""

    def __init__(self, config, http=None, deadline=None):
        self.settings = config.settings     # what a project this run creates gets
        self.http = http or HttpClient(config.url + self.api, config.token,
                                       ca_file=config.ca_file, timeout=config.timeout,
                                       auth_hint=token_hint(config, self.token_needs),
                                       deadline=deadline)

    @property
    def request_count(self):
        return self.http.request_count

    def close(self):
        self.http.close()


def token_hint(config, needs):
    """The second half of a 401/403 message: where the token came from and what it needs."""
    return "Check the token in %s (%s)." % (config.token_source, needs)


def create_or_adopt(create, find, duplicate):
    """Run `create`. When it fails in a way that may hide an existing object (the server
    calls it a duplicate, a 5xx, a lost connection), re-read with `find` and adopt what is
    there. Only when the re-read shows nothing is a failed create (not a refused duplicate)
    tried once more: never blindly, never twice."""
    try:
        return create()
    except BackendError as exc:
        status = getattr(exc, "status", None)
        is_duplicate = duplicate(exc)
        if not (is_duplicate or status is None or status >= 500):
            raise
        found = find()
        if found is not None:
            return found
        if is_duplicate:
            raise
    return create()
