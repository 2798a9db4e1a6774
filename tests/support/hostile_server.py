"""An HTTP server on 127.0.0.1 that misbehaves on purpose, for the deadline, redaction and
canary tests: every request gets the answer of `mode`, and `requests` counts them.

    echo      `status` with a JSON body repeating every request header (Authorization too),
              and a `Location` with user:password@ for a 3xx, a `Retry-After` for a 429
    trickle   200 with a JSON body sent one byte every `interval` seconds
    headers   the status line, then the headers one byte every `interval` seconds
    cut       200 announcing 1000 bytes, sending 10, then closing (IncompleteRead)
    nested    200 with a JSON body nested 100,000 deep (RecursionError in a naive parser)
    silent    accepts the connection and never answers
"""
import http.server
import json
import threading
import time


class HostileServer:
    def __init__(self, mode, status=500, interval=1.0, retry_after="3600"):
        self.mode, self.status, self.interval = mode, status, interval
        self.retry_after = retry_after
        self.requests = 0
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                owner.requests += 1
                getattr(owner, "_" + owner.mode)(self)

            do_POST = do_GET

            def log_message(self, *args):
                pass

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                pass   # the client giving up on us (a broken pipe) is the point

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()

    def _send(self, handler, status, data, headers=()):
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)

    def _echo(self, handler):
        length = int(handler.headers.get("Content-Length") or 0)
        if length:
            handler.rfile.read(length)
        headers = dict(handler.headers.items())
        body = {"detail": "you sent Authorization: %s" % headers.get("Authorization"),
                "headers": headers, "path": handler.path}
        extra = []
        if 300 <= self.status < 400:
            extra.append(("Location", "https://admin:%s@elsewhere.test/login"
                          % headers.get("Authorization", "").split(" ")[-1]))
        if self.status == 429:
            extra.append(("Retry-After", self.retry_after))
        self._send(handler, self.status, json.dumps(body).encode(), extra)

    def _trickle(self, handler):
        data = json.dumps({"results": [], "next": None, "padding": "x" * 100}).encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.flush()
        for byte in data:
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
            time.sleep(self.interval)

    def _headers(self, handler):
        for byte in b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Padding: " + \
                b"x" * 1000 + b"\r\n\r\n":
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
            time.sleep(self.interval)

    def _cut(self, handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", "1000")
        handler.end_headers()
        handler.wfile.write(b'{"results"')
        handler.wfile.flush()
        handler.close_connection = True

    def _nested(self, handler):
        self._send(handler, 200, b"[" * 100000 + b"]" * 100000)

    def _silent(self, handler):
        time.sleep(3600)
