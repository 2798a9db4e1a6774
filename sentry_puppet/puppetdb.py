"""Definitions read from PuppetDB: the `sentry::source::project` resources the app servers
export, of active nodes only, straight from PuppetDB's query API (no Puppet run in between).

One streamed request: PuppetDB sends the result as a JSON array while it reads its database
cursor, and this module parses it resource by resource, so 50,000 definitions never sit in
memory as one document. Each resource then goes through the same checks and merge as a
definition file (definitions.check_definition, definitions.merge).

PuppetDB that cannot be reached, refuses us or sends a broken answer is an error, never
"no definitions": the caller must not go on to the server with an empty wish list."""
import codecs
import json
import time

import requests

from sentry_puppet.definitions import Definitions, SourceError, check_definition, merge
from sentry_puppet.httpcommon import (DETAIL_CHARS, USER_AGENT, AttemptTimeout, bounded_chunks,
                                      connection_reason, error_reason, within)
from sentry_puppet.redact import redact

RESOURCE_TYPE = "Sentry::Source::Project"
ENDPOINT = "/pdb/query/v4/resources"
CHUNK = 64 * 1024
MAX_ELEMENT = 1024 * 1024   # bytes of one resource: more is a broken answer, not a resource
ANSWER_FACTOR = 6   # x timeout: the whole answer (every export of the fleet, streamed)
RETRIES = 2         # after a connection that failed or an answer that broke off
BACKOFF = 1.0       # seconds, doubled after each
# Puppet's metaparameters: PuppetDB lists the ones a manifest set (the export sets `tag`).
METAPARAMETERS = frozenset(("alias", "audit", "before", "loglevel", "noop", "notify", "require",
                            "schedule", "stage", "subscribe", "tag"))


class PuppetDBError(SourceError):
    """PuppetDB gave no usable answer; the message names the URL, the cause and the fix.
    `transient`: a connection that failed or an answer that broke off, worth asking again."""

    def __init__(self, message, transient=False):
        super().__init__(redact(message))   # puppetdb.url's user:password@, an echo
        self.transient = transient


def query(environment):
    """The AST query: exported Sentry::Source::Project resources tagged with the environment,
    of nodes neither deactivated nor expired; only the three fields used. PQL equivalent:
    resources[certname, title, parameters] { type = "Sentry::Source::Project" and
    exported = true and tag = "<env>" and certname in nodes[certname]
    { deactivated is null and expired is null } }"""
    active_nodes = ["extract", "certname",
                    ["select_nodes", ["and", ["null?", "deactivated", True],
                                      ["null?", "expired", True]]]]
    return ["extract", ["certname", "title", "parameters"],
            ["and", ["=", "type", RESOURCE_TYPE], ["=", "exported", True],
             ["=", "tag", environment], ["in", "certname", active_nodes]]]


def load_puppetdb_definitions(settings, default_team, timeout, deadline=None):
    """-> Definitions of every active node's export; a bad resource is named and skipped. A
    connection that fails or an answer that breaks off is asked again (RETRIES times)."""
    for attempt in range(RETRIES + 1):
        try:
            return _load(settings, default_team, timeout, deadline)
        except PuppetDBError as exc:
            if not exc.transient or attempt == RETRIES:
                raise
        wait = BACKOFF * 2 ** attempt
        if deadline is not None:
            deadline.sleep(wait, "waiting to ask PuppetDB %s again" % redact(settings.url))
        else:
            time.sleep(wait)


def _load(settings, default_team, timeout, deadline):
    problems, warnings, entries = [], [], []
    count = 0
    for resource in fetch_resources(settings, timeout, deadline):
        count += 1
        entry, problem = _check_resource(resource, default_team)
        if problem:
            problems.append(problem)
        else:
            entries.append(entry)
    apps = merge(entries, problems, warnings)
    origin = "PuppetDB %s (exported %s tagged %s, active nodes)" % (
        redact(settings.url), RESOURCE_TYPE, settings.environment)
    return Definitions(apps, problems, warnings, count, origin)


def _check_resource(resource, default_team):
    if not isinstance(resource, dict):
        return None, "PuppetDB sent %r where a resource was expected" % (resource,)
    certname, title = resource.get("certname"), resource.get("title")
    label = "%s[%s] exported by %s" % (RESOURCE_TYPE, title, certname)
    parameters = resource.get("parameters")
    if not isinstance(parameters, dict) or not isinstance(certname, str):
        return None, "%s: has no parameters or certname in PuppetDB's answer" % label
    fields = {k: v for k, v in parameters.items() if k not in METAPARAMETERS and k != "source"}
    # The certname is who exported it, whatever its `source` parameter says.
    entry, problem = check_definition(fields, default_team, certname, label)
    if problem:
        return None, "%s: %s" % (label, problem)
    return entry, None


def fetch_resources(settings, timeout, deadline=None):
    """Yield the matching resources as PuppetDB streams them; PuppetDBError on any failure,
    including an answer cut short (a list without its closing `]`) or one that does not arrive
    whole within ANSWER_FACTOR x timeout; RunTimeout when the run's `deadline` comes first."""
    url = settings.url + ENDPOINT
    answer_end = time.monotonic() + timeout * ANSWER_FACTOR

    def seconds_left():
        left = answer_end - time.monotonic()
        return left if deadline is None else min(left, deadline.remaining())

    def too_slow():
        if deadline is not None and deadline.remaining() <= 0:
            return deadline.expired("reading PuppetDB's answer from %s" % redact(url))
        return PuppetDBError(
            "%s: PuppetDB's answer did not arrive whole within %g s (%d x timeout in the "
            "config); is PuppetDB overloaded? No definitions were used; nothing was changed"
            % (url, timeout * ANSWER_FACTOR, ANSWER_FACTOR))

    session = requests.Session()
    try:
        def ask():
            # verify and cert given per request: a session's verify loses to $REQUESTS_CA_BUNDLE.
            return session.get(
                url, params={"query": json.dumps(query(settings.environment))},
                verify=settings.ca_file, cert=(settings.cert_file, settings.key_file),
                headers={"Accept": "application/json", "User-Agent": USER_AGENT},
                timeout=max(min(timeout, seconds_left()), 0.001), stream=True)
        try:
            response = within(min(timeout, seconds_left()), ask)
        except AttemptTimeout:
            raise too_slow() from None
        except requests.exceptions.SSLError as exc:
            raise PuppetDBError(_tls_message(url, error_reason(exc), settings)) from None
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
            raise PuppetDBError(
                "%s: PuppetDB: %s; check puppetdb.url in the config and that PuppetDB is up. "
                "No definitions were read; nothing was changed"
                % (url, connection_reason(exc, timeout)), transient=True) from None
        with response:
            if response.status_code != 200:
                raise PuppetDBError(_status_message(url, response, settings))
            try:
                yield from iter_json_array(
                    bounded_chunks(response.iter_content(CHUNK), seconds_left))
            except AttemptTimeout:
                raise too_slow() from None
            except (requests.exceptions.RequestException, ValueError) as exc:
                raise PuppetDBError(
                    "%s: PuppetDB's answer broke off or is not a JSON list of resources (%s). "
                    "No definitions were used; nothing was changed. Run again; if it persists, "
                    "see PuppetDB's log" % (url, _answer_reason(exc)),
                    transient=isinstance(exc, requests.exceptions.RequestException)) from None
    finally:
        session.close()


def _tls_message(url, reason, settings):
    # PuppetDB refusing our certificate: an alert, or (TLS 1.3) the connection closed on us.
    if " alert " in reason or "EOF" in reason:
        advice = ("PuppetDB refused this host's certificate: puppetdb.cert_file %s (key_file "
                  "%s) must be signed by the CA PuppetDB trusts, the Puppet CA"
                  % (settings.cert_file, settings.key_file))
    else:
        advice = ("PuppetDB's certificate was not accepted: puppetdb.ca_file %s must be the "
                  "Puppet CA, and puppetdb.url's host a name in PuppetDB's certificate"
                  % settings.ca_file)
    return ("%s: TLS with PuppetDB failed (%s); %s. No definitions were read; nothing was "
            "changed" % (url, reason, advice))


def _status_message(url, response, settings):
    # Redacted before it is cut: no part of an echoed secret survives.
    detail = redact(response.text)[:DETAIL_CHARS].strip().replace("\n", " ")
    if response.status_code in (401, 403):
        advice = ("PuppetDB refused this host's certificate %s: add its certname to PuppetDB's "
                  "certificate-allowlist (or use the certificate of a host it allows)"
                  % settings.cert_file)
    elif response.status_code == 400:
        advice = "PuppetDB did not accept the query (PuppetDB 4 or later is needed)"
    else:
        advice = "see PuppetDB's log"
    return ("%s: PuppetDB answered %d (%s); %s. No definitions were read; nothing was changed"
            % (url, response.status_code, detail or response.reason, advice))


def iter_json_array(chunks):
    """Yield the elements of the JSON array that `chunks` (bytes) spell, one by one, holding
    only the element being read. ValueError if the text is not one complete array."""
    decoder = json.JSONDecoder()
    text = codecs.getincrementaldecoder("utf-8")()
    buf, pos = "", 0
    state = "open"   # open: want `[`; first: an element or `]`; next: `,` or `]`; item; done
    for chunk in chunks:
        buf = buf[pos:] + text.decode(chunk)
        pos = 0
        while True:
            while pos < len(buf) and buf[pos] in " \t\r\n":
                pos += 1
            if pos == len(buf):
                break
            char = buf[pos]
            if state == "done":
                raise ValueError("text after the end of the list")
            if state == "open":
                if char != "[":
                    raise ValueError("not a list: starts with %r" % buf[pos:pos + 20])
                state, pos = "first", pos + 1
            elif state in ("first", "next") and char == "]":
                state, pos = "done", pos + 1
            elif state == "next":
                if char != ",":
                    raise ValueError("expected `,` or `]`, found %r" % buf[pos:pos + 20])
                state, pos = "item", pos + 1
            else:
                try:
                    value, pos = decoder.raw_decode(buf, pos)
                except RecursionError:
                    raise ValueError("an element nested too deeply to be a resource") from None
                except json.JSONDecodeError:
                    # Most likely the element goes on in the next chunk; a broken one shows
                    # at the end of the answer, or when it grows past any sane resource.
                    if len(buf) - pos > MAX_ELEMENT:
                        raise ValueError("an element over %d bytes, or broken JSON"
                                         % MAX_ELEMENT) from None
                    break
                state = "next"
                yield value
    text.decode(b"", final=True)
    if state != "done":
        raise ValueError("the list ends before its closing `]`" if state != "open"
                         else "the answer is empty")


def _answer_reason(exc):
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "the connection closed before the end of the answer"
    if isinstance(exc, requests.exceptions.Timeout):
        return "no data for longer than the timeout"
    if isinstance(exc, requests.exceptions.RequestException):
        return error_reason(exc)
    return str(exc)[:DETAIL_CHARS]
