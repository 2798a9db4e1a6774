"""A fake Sentry /api/0/ server: real HTTP on 127.0.0.1 (a free port), state in memory.

Routes, bodies and status codes follow Sentry's published OpenAPI schema (the subset in
sentry_openapi_subset.json: every body carries each property its response schema requires,
and tests/unit/test_fake_sentry.py validates them against it); the behaviours the schema
does not tell follow ../shared/sentry-openapi/README.md: an explicit slug that exists
answers 409, an unknown platform 400, Link-header pagination with results="true|false",
429 with Retry-After or X-Sentry-Rate-Limit-Reset. `glitchtip=True` answers like GlitchTip:
422 for validation errors, 500 for a duplicate project slug.

Knobs for the failure tests are attributes and methods (`rate_limit`, `fail_next`,
`platforms`, `refuse_token`, `hidden`, `drop_after_answer`); `requests` records (method,
path, query) of every request.
Command line (for manual runs): python -m tests.support.fake_sentry [PROJECTS]
"""
import http.server
import itertools
import json
import os
import re
import select
import threading
import time
import uuid
from urllib.parse import parse_qs, urlsplit

SCHEMA_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           "sentry_openapi_subset.json")
SLUG = re.compile(r"^(?![0-9]+$)[a-z0-9_\-]+$")
RESERVED = {"api", "admin", "organizations", "projects", "teams", "new", "settings"}
PLATFORMS = frozenset("""
    android apple bun c capacitor cocoa cordova dart deno dotnet electron elixir flutter go
    ionic java javascript kotlin minidump native node objc other perl php powershell python
    react-native ruby rust swift unity unreal python-django python-flask ruby-rails
    javascript-react node-express java-spring-boot php-laravel go-gin dotnet-aspnetcore
""".split())
MAX_PAGE = 100
DATE = "2026-01-01T00:00:00.000000Z"

_ORG = r"(?P<org>[^/]+)"
ROUTES = [  # (method, regex, handler name, schema path)
    ("GET", r"/api/0/organizations/%s/teams/" % _ORG, "list_teams",
     "/api/0/organizations/{organization_id_or_slug}/teams/"),
    ("POST", r"/api/0/organizations/%s/teams/" % _ORG, "create_team",
     "/api/0/organizations/{organization_id_or_slug}/teams/"),
    ("GET", r"/api/0/organizations/%s/projects/" % _ORG, "list_projects",
     "/api/0/organizations/{organization_id_or_slug}/projects/"),
    ("GET", r"/api/0/teams/%s/(?P<team>[^/]+)/" % _ORG, "get_team",
     "/api/0/teams/{organization_id_or_slug}/{team_id_or_slug}/"),
    ("GET", r"/api/0/teams/%s/(?P<team>[^/]+)/projects/" % _ORG, "list_team_projects",
     "/api/0/teams/{organization_id_or_slug}/{team_id_or_slug}/projects/"),
    ("POST", r"/api/0/teams/%s/(?P<team>[^/]+)/projects/" % _ORG, "create_project",
     "/api/0/teams/{organization_id_or_slug}/{team_id_or_slug}/projects/"),
    ("GET", r"/api/0/projects/%s/(?P<project>[^/]+)/" % _ORG, "get_project",
     "/api/0/projects/{organization_id_or_slug}/{project_id_or_slug}/"),
    ("GET", r"/api/0/projects/%s/(?P<project>[^/]+)/keys/" % _ORG, "list_keys",
     "/api/0/projects/{organization_id_or_slug}/{project_id_or_slug}/keys/"),
]
# Routes the schema subset leaves out; their answers follow a real Sentry 21.1 (the tests in
# tests/integration/test_sentry_api.py run against both).
UNSCHEMED_ROUTES = [
    ("PUT", r"/api/0/projects/%s/(?P<project>[^/]+)/keys/(?P<key>[^/]+)/" % _ORG, "update_key",
     "/api/0/projects/{organization_id_or_slug}/{project_id_or_slug}/keys/{key_id}/"),
    ("DELETE", r"/api/0/projects/%s/(?P<project>[^/]+)/keys/(?P<key>[^/]+)/" % _ORG,
     "delete_key",
     "/api/0/projects/{organization_id_or_slug}/{project_id_or_slug}/keys/{key_id}/"),
    ("GET", r"/api/0/projects/%s/(?P<project>[^/]+)/rules/" % _ORG, "list_rules",
     "/api/0/projects/{organization_id_or_slug}/{project_id_or_slug}/rules/"),
]
ROUTES = [(m, re.compile(r + r"\Z"), h, s) for m, r, h, s in ROUTES]
UNSCHEMED_ROUTES = [(m, re.compile(r + r"\Z"), h, s) for m, r, h, s in UNSCHEMED_ROUTES]
# Event ingestion, the DSN's side (Relay's, in front of Sentry): a known active key -> 200.
INGEST = re.compile(r"/api/(?P<project_id>\d+)/(?P<endpoint>store|envelope)/\Z")
DEFAULT_RULE = {"name": "Send a notification for new issues", "actionMatch": "all",
                "conditions": [{"id": "sentry.rules.conditions.first_seen_event."
                                      "FirstSeenEventCondition"}],
                "actions": [{"id": "sentry.mail.actions.NotifyEmailAction"}], "frequency": 30}
MAX_RATE_WINDOW = 86400
PROJECT_WRITE = "project:write"


def load_schema():
    with open(SCHEMA_FILE, encoding="utf-8") as handle:
        return json.load(handle)


def response_schema(schema, method, route, status):
    """The JSON schema of a documented response, or None when the status has no body."""
    response = schema["paths"][route][method.lower()]["responses"][str(status)]
    return response.get("content", {}).get("application/json", {}).get("schema")


def conform(schema, values):
    """`values` completed with a plain value of the right type for every property the schema
    requires and `values` lacks, recursively: the fake's bodies have the schema's shape."""
    if schema.get("type") == "array":
        return [conform(schema["items"], item) for item in values]
    if schema.get("type") != "object" or not isinstance(values, dict):
        return values
    properties = schema.get("properties", {})
    body = {}
    for name in list(values) + sorted(set(schema.get("required", ())) - set(values)):
        sub = properties.get(name, {})
        body[name] = conform(sub, values[name]) if name in values else _blank(sub)
    return body


def _blank(schema):
    if schema.get("nullable"):
        return None
    kind = schema.get("type")
    if kind == "object":
        return conform(schema, {})
    return {"string": "", "integer": 0, "number": 0, "boolean": False, "array": []}.get(kind)


class Reply(Exception):
    def __init__(self, status, body=None, headers=None):
        super().__init__(status)
        self.status, self.body, self.headers = status, body, headers or {}


class FakeSentry:
    def __init__(self, org="acme", token="sntrys_fake-token-for-tests", projects=0,
                 teams=("apps",), page_size=MAX_PAGE, glitchtip=False, ssl_context=None):
        self.org = org
        self.token = token
        # Scopes as Sentry checks them: creating a project needs project:write (else 403).
        self.limited_token = "sntrys_fake-token-without-project-write"
        self.page_size = page_size
        self.glitchtip = glitchtip
        self.platforms = set(PLATFORMS)
        self.refuse_token = False
        self.hidden = set()          # project slugs left out of listings: made by a racing run
        # Like uWSGI's bare listener (`sentry run web`): answer HTTP/1.1 without
        # `Connection: close`, then close. The close waits for the client's next request on
        # that connection, so the race a real client loses now and then is lost every time.
        self.drop_after_answer = False
        self.requests = []
        self._schema = load_schema()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._rate_limited = []      # headers of the 429s still to give, in order
        self._failures = []          # (method, status) of the failures still to give
        self._server = self._bind(ssl_context)
        self.scheme = "https" if ssl_context else "http"
        self.netloc = "127.0.0.1:%d" % self._server.server_address[1]
        self.url = "%s://%s" % (self.scheme, self.netloc)
        self.teams = {}
        self.projects = {}           # slug -> project body (schema-shaped)
        self.keys = {}               # project slug -> [key body]
        self.rules = {}              # project slug -> [alert rule]
        self.events = []             # (project id, key) of every event accepted
        for slug in teams:
            self.add_team(slug)
        for n in range(projects):
            self.add_project("app%05d" % n, teams[0] if teams else "apps")

    # -- state ------------------------------------------------------------------------------
    def add_team(self, slug):
        self.teams[slug] = conform(self._body_schema("create_team", 201), {
            "id": str(next(self._ids)), "slug": slug, "name": slug, "dateCreated": DATE,
            "isMember": True, "hasAccess": True, "memberCount": 1, "teamRole": "admin"})
        return self.teams[slug]

    def add_project(self, slug, team, name=None, platform="other", default_rules=True):
        project_id = str(next(self._ids))
        ref = {"id": self.teams[team]["id"], "slug": team, "name": team}
        self.projects[slug] = {
            "id": project_id, "slug": slug, "name": name or slug, "platform": platform,
            "platforms": [platform], "dateCreated": DATE, "isMember": True, "hasAccess": True,
            "team": ref, "teams": [ref], "status": "active", "organization": {"slug": self.org}}
        public = uuid.uuid4().hex
        self.keys[slug] = [conform(self._body_schema("list_keys", 200)["items"], {
            "id": public, "name": "Default", "label": "Default", "public": public,
            "secret": uuid.uuid4().hex, "projectId": int(project_id), "isActive": True,
            "dateCreated": DATE, "rateLimit": None, "browserSdkVersion": "5.x",
            "dsn": {"public": "%s://%s@%s/%s" % (self.scheme, public, self.netloc,
                                                 project_id)}})]
        self.rules[slug] = [dict(DEFAULT_RULE, id=project_id)] if default_rules else []
        return self.projects[slug]

    def project_slugs(self):
        with self._lock:
            return sorted(self.projects)

    # -- knobs -------------------------------------------------------------------------------
    def rate_limit(self, times=1, header="Retry-After"):
        """The next `times` requests answer 429, telling when to come back with `header`."""
        value = "0" if header == "Retry-After" else str(int(time.time()))
        self._rate_limited += [{header: value}] * times

    def fail_next(self, status=500, method="GET", times=1):
        """The next `times` requests with `method` answer `status` and change nothing."""
        self._failures += [(method, status)] * times

    def count(self, method=None, path_contains="", path=None):
        return sum(1 for m, p, _ in list(self.requests)
                   if (method is None or m == method) and path_contains in p
                   and (path is None or p == path))

    # -- serving -----------------------------------------------------------------------------
    def _bind(self, ssl_context):
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"   # keep-alive, as a real server offers
            # Headers and body leave in two writes: without this, Nagle's algorithm and the
            # client's delayed ACK stall every keep-alive response by 40 ms.
            disable_nagle_algorithm = True

            def do_GET(self):
                fake._handle(self, "GET")

            def do_POST(self):
                fake._handle(self, "POST")

            def do_PUT(self):
                fake._handle(self, "PUT")

            def do_DELETE(self):
                fake._handle(self, "DELETE")

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        if ssl_context:
            server.socket = ssl_context.wrap_socket(server.socket, server_side=True)
        return server

    def start(self):
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _handle(self, handler, method):
        parts = urlsplit(handler.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        with self._lock:
            self.requests.append((method, parts.path, query))
            try:
                status, body, headers = self._route(handler, method, parts.path, query, raw)
            except Reply as reply:
                status, body, headers = reply.status, reply.body, reply.headers
        if body is None:
            data, kind = b"", "text/plain"
        elif isinstance(body, str):
            data, kind = body.encode(), "text/html; charset=utf-8"
        else:
            data, kind = json.dumps(body).encode(), "application/json"
        handler.send_response(status)
        handler.send_header("Content-Type", kind)
        handler.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)
        if self.drop_after_answer:
            handler.wfile.flush()
            select.select([handler.connection], [], [], 2.0)
            handler.close_connection = True

    def _route(self, handler, method, path, query, raw):
        ingest = INGEST.match(path)
        if ingest and method == "POST":
            return self._ingest(handler, query, **ingest.groupdict())
        authorization = handler.headers.get("Authorization")
        if authorization not in ("Bearer " + self.token, "Bearer " + self.limited_token) \
                or self.refuse_token:
            raise Reply(401, {"detail": "Invalid token"})
        if self._rate_limited:
            raise Reply(429, {"detail": "You are attempting to use this endpoint too frequently."},
                        self._rate_limited.pop(0))
        if self._failures and self._failures[0][0] == method:
            _, status = self._failures.pop(0)
            raise Reply(status, "<html><body><h1>Server Error (%d)</h1></body></html>" % status)
        for route_method, pattern, name, _ in ROUTES + UNSCHEMED_ROUTES:
            match = pattern.match(path)
            if match and route_method == method:
                args = match.groupdict()
                if args.pop("org") != self.org:
                    raise Reply(404, {"detail": "The requested resource does not exist"})
                if (name == "create_project" and authorization == "Bearer " + self.limited_token):
                    raise Reply(403, {"detail": "You do not have permission to perform this "
                                                "action."})
                body = json.loads(raw) if raw else {}
                status, result, headers = getattr(self, "_" + name)(query, body, **args)
                if any(name == n for _, _, n, _ in UNSCHEMED_ROUTES):
                    return status, result, headers
                return status, conform(self._body_schema(name, status), result), headers
        raise Reply(404, {"detail": "The requested resource does not exist"})

    def _body_schema(self, handler_name, status):
        [(method, route)] = [(m, r) for m, _, h, r in ROUTES if h == handler_name]
        return response_schema(self._schema, method, route, status) or {}

    def _page(self, items, query):
        """Sentry's cursor pagination: `<url>; rel="previous|next"; results=; cursor=`."""
        size = min(int(query.get("per_page") or MAX_PAGE), MAX_PAGE, self.page_size)
        offset = int((query.get("cursor") or "0:0:0").split(":")[1])
        page = items[offset:offset + size]
        base = "%s%s" % (self.url, self._current_path)

        def link(rel, at, results):
            cursor = "0:%d:%d" % (at, 1 if rel == "previous" else 0)
            return '<%s?&cursor=%s>; rel="%s"; results="%s"; cursor="%s"' % (
                base, cursor, rel, "true" if results else "false", cursor)

        header = ", ".join([link("previous", max(offset - size, 0), offset > 0),
                            link("next", offset + size, offset + size < len(items))])
        return 200, page, {"Link": header}

    # -- routes -------------------------------------------------------------------------------
    def _list_teams(self, query, body):
        self._current_path = "/api/0/organizations/%s/teams/" % self.org
        return self._page([self.teams[s] for s in sorted(self.teams)], query)

    def _create_team(self, query, body):
        slug = body.get("slug")
        self._validate_slug(slug, 50)
        if slug in self.teams:
            raise Reply(409, {"detail": "A team with this slug already exists."})
        return 201, self.add_team(slug), {}

    def _list_projects(self, query, body):
        self._current_path = "/api/0/organizations/%s/projects/" % self.org
        return self._page([self.projects[s] for s in sorted(self.projects)
                           if s not in self.hidden], query)

    def _get_team(self, query, body, team):
        if team not in self.teams:
            raise Reply(404, {"detail": "The requested resource does not exist"})
        return 200, self.teams[team], {}

    def _list_team_projects(self, query, body, team):
        self._get_team(query, body, team)
        self._current_path = "/api/0/teams/%s/%s/projects/" % (self.org, team)
        return self._page([p for s, p in sorted(self.projects.items())
                           if p["team"]["slug"] == team], query)

    def _create_project(self, query, body, team):
        self._get_team(query, body, team)
        name, slug, platform = body.get("name"), body.get("slug"), body.get("platform")
        if not isinstance(name, str) or not name or len(name) > 50:
            self._invalid("name", "Ensure this field has no more than 50 characters.")
        self._validate_slug(slug, 100)
        if platform is not None and platform not in self.platforms:
            self._invalid("platform", "Invalid platform")
        if slug in self.projects:
            if self.glitchtip:
                raise Reply(500, "<h1>Server Error (500)</h1>")
            raise Reply(409, {"detail": "A project with this slug already exists."})
        rules = body.get("default_rules", True) is not False
        return 201, self.add_project(slug, team, name, platform or "other", rules), {}

    def _get_project(self, query, body, project):
        if project not in self.projects:
            raise Reply(404, {"detail": "The requested resource does not exist"})
        return 200, self.projects[project], {}

    def _list_keys(self, query, body, project):
        if project not in self.projects:
            raise Reply(404, {"detail": "The requested resource does not exist"})
        self._current_path = "/api/0/projects/%s/%s/keys/" % (self.org, project)
        keys = [k for k in self.keys[project]
                if query.get("status") != "active" or k["isActive"]]
        return self._page(keys, query)

    def _key(self, project, key):
        if project not in self.projects:
            raise Reply(404, {"detail": "The requested resource does not exist"})
        found = [k for k in self.keys[project] if k["public"] == key]
        if not found:
            raise Reply(404, {"detail": "The requested resource does not exist"})
        return found[0]

    def _update_key(self, query, body, project, key):
        """As Sentry 21.1: `rateLimit` is kept only when both numbers are non-zero; a window
        over a day is refused (400); a rateLimit without a window is a server error (500);
        a PUT without browserSdkVersion resets it to the default."""
        found = self._key(project, key)
        if "rateLimit" in body:
            limit = body["rateLimit"] or {}
            if "window" not in limit:
                raise Reply(500, "<h1>Server Error (500)</h1>")
            if (limit.get("window") or 0) > MAX_RATE_WINDOW:
                raise Reply(400, {"rateLimit": {"window": [
                    "Ensure this value is less than or equal to %d." % MAX_RATE_WINDOW]}})
            found["rateLimit"] = ({"window": limit["window"], "count": limit["count"]}
                                  if limit.get("window") and limit.get("count") else None)
        found["browserSdkVersion"] = body.get("browserSdkVersion") or "5.x"
        return 200, found, {}

    def _delete_key(self, query, body, project, key):
        self.keys[project].remove(self._key(project, key))
        return 204, None, {}

    def _list_rules(self, query, body, project):
        if project not in self.projects:
            raise Reply(404, {"detail": "The requested resource does not exist"})
        return 200, self.rules[project], {}

    def _ingest(self, handler, query, project_id, endpoint):
        """What Relay answers an SDK: 200 with the event id for an active key of the project
        the DSN names; 401 otherwise. (A bare `sentry run web` of 21.1 has no such route.)"""
        auth = handler.headers.get("X-Sentry-Auth", "")
        key = query.get("sentry_key") or dict(
            part.strip().split("=", 1) for part in auth.replace("Sentry ", "", 1).split(",")
            if "=" in part).get("sentry_key")
        for slug, project in self.projects.items():
            if project["id"] == project_id and any(
                    k["public"] == key and k["isActive"] for k in self.keys[slug]):
                self.events.append((project_id, key))
                return 200, {"id": uuid.uuid4().hex}, {}
        raise Reply(401, {"detail": "Unknown public key"})

    def _validate_slug(self, slug, limit):
        if not isinstance(slug, str) or not SLUG.match(slug) or len(slug) > limit:
            self._invalid("slug", "Enter a valid slug consisting of lowercase letters, numbers, "
                                  "underscores or hyphens. It cannot be entirely numeric.")
        if slug in RESERVED:
            self._invalid("slug", 'The slug "%s" is reserved and not allowed.' % slug)

    def _invalid(self, field, message):
        if self.glitchtip:   # django-ninja's validation error
            raise Reply(422, {"detail": [{"type": "value_error", "loc": ["body", "payload", field],
                                          "msg": message}]})
        raise Reply(400, {field: [message]})


def main(argv):
    fake = FakeSentry(projects=int(argv[0]) if argv else 0).start()
    print(fake.url, fake.org, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        fake.stop()
    return 0


if __name__ == "__main__":
    import sys
    sys.exit(main(sys.argv[1:]))
