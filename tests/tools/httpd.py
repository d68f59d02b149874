#!/usr/bin/env python3
"""httpd.py: a small HTTPS server for the flowtop -u tests.

Usage: httpd.py --cert CRT --key KEY --routes ROUTES.json [--port 8443]
                [--bind 0.0.0.0] [--hang-port PORT] [--lifetime SECONDS]
                [--ready FILE] [--log FILE]

Meant to run inside a test's network namespace, on its loopback only.
ROUTES.json maps a request path to what the server does:

  {"file": F}                    F with its Content-Length
  {"file": F, "cut": N}          the first N bytes, Content-Length N
  {"file": F, "cut": N, "lie": true}
                                 the first N bytes, Content-Length of all
                                 of F, then the connection closes
  {"file": F, "nolength": true}  F without Content-Length (closes after)
  {"random": N}                  N pseudo-random bytes, Content-Length N
  {"random": N, "nolength": true}
  {"status": 404}                that status, no body
  {"redirect": URL}              302 to URL
  {"hang": true}                 read the request, never answer

--hang-port accepts TCP connections and never says anything, not even
the TLS handshake.  The server stops by itself after --lifetime seconds
(default 600) so that a test that dies cannot leave it running forever.
"""

import argparse
import http.server
import json
import os
import random
import socket
import ssl
import sys
import threading
import time

STOP = threading.Event()


class Handler(http.server.BaseHTTPRequestHandler):
    routes = {}
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        log = getattr(self.server, "logfile", None)
        if log:
            log.write("%s %s\n" % (time.strftime("%H:%M:%S"), fmt % args))
            log.flush()

    def body(self, data, length=None):
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        if length is not None:
            self.send_header("Content-Length", str(length))
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        self.wfile.write(data)
        self.wfile.flush()

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        r = self.routes.get(path)
        if r is None:
            r = {"status": 404}
        if r.get("hang"):
            # Hold the connection, bounded by the server's lifetime.
            STOP.wait()
            self.close_connection = True
            return
        if "status" in r:
            self.send_response(int(r["status"]))
            self.send_header("Content-Length", "0")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            return
        if "redirect" in r:
            self.send_response(302)
            self.send_header("Location", r["redirect"])
            self.send_header("Content-Length", "0")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            return
        if "random" in r:
            rng = random.Random(42)
            data = bytes(rng.getrandbits(8) for _ in range(int(r["random"])))
        else:
            with open(r["file"], "rb") as f:
                data = f.read()
        full = len(data)
        if "cut" in r:
            data = data[:int(r["cut"])]
        if r.get("nolength"):
            length = None
        elif r.get("lie"):
            length = full
        else:
            length = len(data)
        self.body(data, length)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    ctx = None

    def handle_error(self, request, client_address):
        # A client that gives up mid-body (maxsize, timeouts) is expected.
        log = getattr(self, "logfile", None)
        if log:
            log.write("client %s went away: %s\n" %
                      (client_address, sys.exc_info()[1]))
            log.flush()

    def finish_request(self, request, client_address):
        # TLS in the connection's thread: a client that stalls in the
        # handshake must not block accept().
        request.settimeout(30)
        try:
            tls = self.ctx.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            self.RequestHandlerClass(tls, client_address, self)
            try:
                tls.unwrap()    # close_notify, so EOF is a clean end
            except (ssl.SSLError, OSError, ValueError):
                pass
        finally:
            tls.close()


def hang_port(bind, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((bind, port))
    s.listen(16)
    s.settimeout(0.5)
    held = []
    while not STOP.is_set():
        try:
            c, _ = s.accept()
        except socket.timeout:
            continue
        held.append(c)      # never read, never written
    for c in held:
        c.close()
    s.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--routes", required=True)
    ap.add_argument("--port", type=int, default=8443)
    ap.add_argument("--bind", default="0.0.0.0")
    ap.add_argument("--hang-port", type=int, default=0)
    ap.add_argument("--lifetime", type=float, default=600)
    ap.add_argument("--ready")
    ap.add_argument("--log")
    a = ap.parse_args()

    with open(a.routes) as f:
        Handler.routes = json.load(f)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    srv = Server((a.bind, a.port), Handler)
    srv.ctx = ctx
    srv.logfile = open(a.log, "a") if a.log else None
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    if a.hang_port:
        threading.Thread(target=hang_port, args=(a.bind, a.hang_port),
                         daemon=True).start()
    if a.ready:
        with open(a.ready + ".tmp", "w") as f:
            f.write("%d\n" % os.getpid())
        os.rename(a.ready + ".tmp", a.ready)
    try:
        STOP.wait(a.lifetime)
    except KeyboardInterrupt:
        pass
    STOP.set()
    srv.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
