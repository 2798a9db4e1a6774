"""PuppetDB's resources endpoint over HTTPS with a required client certificate, streaming its
answer in chunks as the real one does. It does not evaluate the query (the e2e test against
the real PuppetDB does): it records it and serves `resources`, for the tool's parsing, TLS and
fault handling, and for bench/puppetdb.py.

    with FakePuppetDB(pki, resources) as pdb: pdb.url, pdb.queries, pdb.requests
"""
import http.server
import json
import ssl
import threading
import time
from urllib.parse import parse_qs, urlsplit

ENDPOINT = "/pdb/query/v4/resources"


def exported(app, certname, environment="production", **parameters):
    """One resource as PuppetDB answers `extract [certname, title, parameters]`."""
    params = {"project": app, "platform": "python", "source": certname, "tag": environment}
    params.update(parameters)
    return {"certname": certname, "title": "%s-%s" % (app, certname),
            "parameters": {k: v for k, v in params.items() if v is not None}}


class FakePuppetDB:
    def __init__(self, pki, resources=(), status=200, cut_after=None, body=None, trickle=None):
        """`resources`: a list, or a callable returning an iterable (so 50,000 never need to
        be in this process's memory at once). `cut_after`: close the connection after that
        many resources, with no closing `]`. `body`: this text as the answer instead (a
        broken one). `trickle`: send the answer one byte every `trickle` seconds."""
        self.resources = resources
        self.status = status
        self.cut_after = cut_after
        self.body = body
        self.trickle = trickle
        self.queries = []
        self.requests = 0
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                owner.requests += 1
                parts = urlsplit(self.path)
                if parts.path != ENDPOINT:
                    return self._plain(404, "no route %s" % parts.path)
                owner.queries.append(json.loads(parse_qs(parts.query)["query"][0]))
                if owner.status != 200:
                    return self._plain(owner.status, "refused by the fake PuppetDB")
                self.send_response(200)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                if owner.body is not None or owner.trickle:
                    text = owner.body if owner.body is not None else json.dumps(owner.resources)
                    try:
                        for char in text if owner.trickle else [text]:
                            self._chunk(char)
                            self.wfile.flush()
                            time.sleep(owner.trickle or 0)
                        self.wfile.write(b"0\r\n\r\n")
                    except OSError:
                        self.close_connection = True   # the reader gave up on us: the point
                    return
                items = owner.resources() if callable(owner.resources) else owner.resources
                batch = ["["]
                for n, item in enumerate(items):
                    if owner.cut_after is not None and n == owner.cut_after:
                        self._chunk("".join(batch))
                        self.close_connection = True
                        return  # no terminating chunk: the stream breaks off
                    batch.append(("," if n else "") + json.dumps(item))
                    if len(batch) >= 200:
                        self._chunk("".join(batch))
                        batch = []
                batch.append("]")
                self._chunk("".join(batch))
                self.wfile.write(b"0\r\n\r\n")

            def _chunk(self, text):
                data = text.encode()
                if data:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

            def _plain(self, status, text):
                data = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(pki.server.cert, pki.server.key)
        context.load_verify_locations(pki.ca_file)
        context.verify_mode = ssl.CERT_REQUIRED
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.url = "https://127.0.0.1:%d" % self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
