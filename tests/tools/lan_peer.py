#!/usr/bin/env python3
"""lan_peer: both ends of the router test's TCP flows (integration tests).

    lan_peer.py serve ADDR PORT READYFILE
    lan_peer.py fetch ADDR PORT SEND RECV READYFILE

serve: listen on ADDR:PORT; each connection sends "RECV\\n" followed by
some bytes, gets RECV bytes back, and is then kept open (reading and
discarding) until the peer closes it.  fetch: connect, send SEND bytes and
ask for RECV, read them all, write "done" to READYFILE, then keep the
connection open (so the flow stays ESTABLISHED) until killed, at most
LIFETIME seconds (default 120).  Bounded: RECV and SEND at most 64 MiB,
at most 64 connections served.
"""
import os
import socket
import sys
import threading
import time

LIFETIME = int(os.environ.get("LIFETIME", "120"))
MAXBYTES = 64 << 20


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def ready(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text + "\n")
    os.rename(tmp, path)


def handle(conn):
    conn.settimeout(LIFETIME)
    buf = b""
    try:
        while b"\n" not in buf and len(buf) < 64:
            d = conn.recv(64)
            if not d:
                return
            buf += d
        want = min(int(buf.split(b"\n", 1)[0]), MAXBYTES)
        chunk = b"x" * 65536
        while want > 0:
            n = conn.send(chunk[:min(want, len(chunk))])
            want -= n
        while conn.recv(65536):
            pass
    except (OSError, ValueError):
        pass
    finally:
        conn.close()


def serve(addr, port, readyfile):
    s = socket.socket(family(addr), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(16)
    ready(readyfile, "listening")
    end = time.monotonic() + LIFETIME
    s.settimeout(1.0)
    served = 0
    while time.monotonic() < end and served < 64:
        try:
            conn, _ = s.accept()
        except socket.timeout:
            continue
        served += 1
        threading.Thread(target=handle, args=(conn,), daemon=True).start()


def fetch(addr, port, send, recv, readyfile):
    send = min(send, MAXBYTES)
    recv = min(recv, MAXBYTES)
    c = socket.create_connection((addr, port), timeout=10)
    c.sendall(b"%d\n" % recv)
    c.sendall(b"y" * send)
    got = 0
    while got < recv:
        d = c.recv(65536)
        if not d:
            break
        got += len(d)
    ready(readyfile, "done %d" % got)
    time.sleep(LIFETIME)
    c.close()


def main():
    a = sys.argv[1:]
    if len(a) == 4 and a[0] == "serve":
        serve(a[1], int(a[2]), a[3])
    elif len(a) == 6 and a[0] == "fetch":
        fetch(a[1], int(a[2]), int(a[3]), int(a[4]), a[5])
    else:
        sys.stderr.write(__doc__)
        sys.exit(2)


if __name__ == "__main__":
    main()
