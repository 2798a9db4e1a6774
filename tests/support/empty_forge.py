"""A Forge API with no releases, on 127.0.0.1 (a free port printed on stdout), for
`puppet module install --module_repository`: no Forge is reachable from these machines, and
`puppet module install` asks its Forge for releases of every module it resolves, even when
installing a local tarball whose dependencies are already installed. With this answering
"none", the tool resolves the tarball's dependencies against the installed modules alone,
as it would offline, and fails if they do not satisfy them.
    python3 -m tests.support.empty_forge     (standard library only)
"""
import http.server
import json
import sys


class EmptyForge(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"pagination": {"next": None}, "results": []}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        sys.stderr.write("empty-forge: %s\n" % (format % args))


def main():
    server = http.server.HTTPServer(("127.0.0.1", 0), EmptyForge)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
