#!/usr/bin/env python3
"""fakedns: a tiny DNS server for tests that answers PTR queries from a table.

Python 3 standard library only.  UDP and TCP on each --listen address.

usage: fakedns.py [--listen ADDR:PORT]... [--ready FILE] [--default MODE]
                  ADDRESS=MODE...

ADDRESS is an IPv4 or IPv6 address; MODE is one of
  name:NAME            answer PTR NAME
  slow:SECONDS:NAME    answer PTR NAME after SECONDS
  drop                 never answer (UDP: silence; TCP: keep it open)
  servfail, nxdomain, refused
  bytes:TEXT           PTR whose labels are TEXT with \\xNN escapes taken as
                       raw bytes (dots separate labels), e.g.
                       'bytes:\\x1b[31mred\\x07.example'
  escape               the same with a built-in terminal escape payload
  long                 a valid name of 253 characters (255 octets on the wire)
  overlong             a name of more than 255 octets (invalid)
  loop                 PTR data is a compression pointer to itself
  loop2                PTR data is a label, then a pointer back to it
  many:NAME            PTR NAME, then 12 more PTR records: too big for UDP,
                       so the client has to ask again over TCP
Addresses not in the table get --default (nxdomain).  Queries for other
types of a known name get an empty NOERROR answer.  Answers longer than 512
bytes over UDP come back truncated (TC), so the client retries over TCP.
"""

import argparse
import ipaddress
import signal
import socket
import socketserver
import struct
import sys
import threading
import time

QTYPE_PTR = 12
QCLASS_IN = 1
RCODE = {"noerror": 0, "formerr": 1, "servfail": 2, "nxdomain": 3,
         "notimp": 4, "refused": 5}
ESCAPE_NAME = "\\x1b[2J\\x1b]0;pwned\\x07\\x1b[31mred\\x9b\\x7f.example"
UDP_MAX = 512

TABLE = {}
DEFAULT = ("nxdomain",)
STOP = threading.Event()


def log(msg):
    sys.stderr.write("fakedns: %s\n" % msg)
    sys.stderr.flush()


def parse_mode(text):
    """'slow:5:host.example' -> ('slow', 5.0, 'host.example')."""
    kind, _, rest = text.partition(":")
    if kind == "name" and rest:
        return ("name", rest)
    if kind == "slow":
        secs, _, name = rest.partition(":")
        if name:
            return ("slow", float(secs), name)
    if kind in ("bytes", "many") and rest:
        return (kind, rest)
    if kind in ("drop", "servfail", "nxdomain", "refused", "escape",
                "long", "overlong", "loop", "loop2") and not rest:
        return (kind,)
    raise ValueError("bad mode %r" % text)


def labels_of(name):
    """Text name (\\xNN escapes allowed) to a list of raw labels."""
    raw = name.encode("utf-8", "surrogateescape")
    raw = raw.decode("unicode_escape").encode("latin-1")
    return [l for l in raw.split(b".") if l]


def encode_name(labels):
    out = b""
    for l in labels:
        out += bytes([len(l) & 0x3f]) + l
    return out + b"\0"


def parse_query(msg):
    """(id, flags, qname labels, qtype, qclass, end of question) or None."""
    if len(msg) < 12:
        return None
    qid, flags, qd, _an, _ns, _ar = struct.unpack("!6H", msg[:12])
    if qd != 1 or flags & 0x8000:
        return None
    pos, labels = 12, []
    while True:
        if pos >= len(msg):
            return None
        n = msg[pos]
        pos += 1
        if n == 0:
            break
        if n & 0xc0:
            return None     # no compression in a question
        labels.append(msg[pos:pos + n])
        pos += n
    if pos + 4 > len(msg):
        return None
    qtype, qclass = struct.unpack("!HH", msg[pos:pos + 4])
    return qid, flags, labels, qtype, qclass, pos + 4


def address_of(labels):
    """PTR owner name to an ip_address, or None."""
    low = [l.decode("ascii", "replace").lower() for l in labels]
    try:
        if low[-2:] == ["in-addr", "arpa"] and len(low) == 6:
            return ipaddress.IPv4Address(".".join(reversed(low[:4])))
        if low[-2:] == ["ip6", "arpa"] and len(low) == 34:
            nib = "".join(reversed(low[:32]))
            return ipaddress.IPv6Address(int(nib, 16))
    except ValueError:
        return None
    return None


def ptr_rdata(mode, rdata_off):
    """RDATA for a PTR answer in this mode; rdata_off is where it starts."""
    kind = mode[0]
    if kind in ("name", "slow", "many"):
        return encode_name(labels_of(mode[-1]))
    if kind == "bytes":
        return encode_name(labels_of(mode[1]))
    if kind == "escape":
        return encode_name(labels_of(ESCAPE_NAME))
    if kind == "long":
        return encode_name([b"x" * 63, b"y" * 63, b"z" * 63, b"w" * 53,
                            b"example"])
    if kind == "overlong":
        return encode_name([b"o" * 63] * 5 + [b"example"])
    if kind == "loop":
        return struct.pack("!H", 0xc000 | rdata_off)
    if kind == "loop2":
        return b"\x04loop" + struct.pack("!H", 0xc000 | rdata_off)
    raise ValueError(kind)


def answer(msg, proto):
    """Response bytes for a query, or None to stay silent."""
    q = parse_query(msg)
    if q is None:
        if len(msg) >= 2:
            return msg[:2] + struct.pack("!H5H", 0x8000 | RCODE["formerr"],
                                         0, 0, 0, 0, 0)
        return None
    qid, flags, labels, qtype, qclass, qend = q
    question = msg[12:qend]
    addr = address_of(labels)
    mode = TABLE.get(addr, DEFAULT) if addr is not None else DEFAULT
    qname = b".".join(labels).decode("ascii", "replace")
    log("%s %s type %d -> %s" % (proto, qname, qtype, mode[0]))

    kind = mode[0]
    if kind == "drop":
        return None
    if kind == "slow":
        # Sleep in small steps so a stopping server does not linger.
        end = time.monotonic() + mode[1]
        while not STOP.is_set() and time.monotonic() < end:
            time.sleep(min(0.05, max(0.0, end - time.monotonic())))
    rflags = 0x8000 | (flags & 0x7800) | 0x0400 | (flags & 0x0100) | 0x0080
    an = b""
    ancount = 0
    if kind in RCODE:
        rflags |= RCODE[kind]
    elif qtype == QTYPE_PTR and qclass == QCLASS_IN:
        # Owner: pointer to the question name at offset 12.
        rdata_off = 12 + len(question) + 12
        rdata = ptr_rdata(mode, rdata_off)
        an = struct.pack("!HHHIH", 0xc00c, QTYPE_PTR, QCLASS_IN, 60,
                         len(rdata)) + rdata
        ancount = 1
        if kind == "many":
            for i in range(12):
                rdata = encode_name([b"filler-%02d-" % i + b"f" * 40,
                                     b"example"])
                an += struct.pack("!HHHIH", 0xc00c, QTYPE_PTR, QCLASS_IN,
                                  60, len(rdata)) + rdata
                ancount += 1
    resp = struct.pack("!6H", qid, rflags, 1, ancount, 0, 0) + question + an
    if proto == "udp" and len(resp) > UDP_MAX:
        resp = struct.pack("!6H", qid, rflags | 0x0200, 1, 0, 0, 0) + \
            question
    return resp


class UDPHandler(socketserver.BaseRequestHandler):
    def handle(self):
        data, sock = self.request
        resp = answer(data, "udp")
        if resp is not None and not STOP.is_set():
            sock.sendto(resp, self.client_address)


class TCPHandler(socketserver.BaseRequestHandler):
    def recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.request.recv(n - len(buf))
            if not chunk:
                return None
            buf += chunk
        return buf

    def handle(self):
        self.request.settimeout(60)
        try:
            while not STOP.is_set():
                hdr = self.recv_exact(2)
                if hdr is None:
                    return
                msg = self.recv_exact(struct.unpack("!H", hdr)[0])
                if msg is None:
                    return
                resp = answer(msg, "tcp")
                if resp is not None:
                    self.request.sendall(struct.pack("!H", len(resp)) + resp)
        except OSError:
            return


def server_classes(family):
    class UDP(socketserver.ThreadingUDPServer):
        address_family = family
        allow_reuse_address = True
        daemon_threads = True

    class TCP(socketserver.ThreadingTCPServer):
        address_family = family
        allow_reuse_address = True
        daemon_threads = True

    return UDP, TCP


def split_listen(text):
    host, _, port = text.rpartition(":")
    host = host.strip("[]")
    if not host or not port.isdigit():
        raise ValueError("bad --listen %r" % text)
    return host, int(port)


def main():
    global DEFAULT
    ap = argparse.ArgumentParser(
        description="DNS server that answers PTR queries from a table.")
    ap.add_argument("--listen", action="append", default=[],
                    help="ADDR:PORT, may repeat (default 127.0.0.1:53)")
    ap.add_argument("--ready", help="write this file once listening")
    ap.add_argument("--default", default="nxdomain",
                    help="mode for addresses not in the table")
    ap.add_argument("entries", nargs="*", help="ADDRESS=MODE")
    args = ap.parse_args()

    try:
        DEFAULT = parse_mode(args.default)
        for e in args.entries:
            a, _, m = e.partition("=")
            TABLE[ipaddress.ip_address(a)] = parse_mode(m)
        listen = [split_listen(l) for l in args.listen or ["127.0.0.1:53"]]
    except ValueError as err:
        ap.error(str(err))

    servers = []
    for host, port in listen:
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        udp_cls, tcp_cls = server_classes(fam)
        servers.append(udp_cls((host, port), UDPHandler))
        servers.append(tcp_cls((host, port), TCPHandler))
    for s in servers:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    log("listening on %s, %d entries" %
        (", ".join("%s:%d" % hp for hp in listen), len(TABLE)))
    if args.ready:
        with open(args.ready, "w") as f:
            f.write("%d\n" % len(servers))

    def on_signal(_sig, _frame):
        STOP.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    while not STOP.wait(0.5):
        pass
    for s in servers:
        s.shutdown()
        s.server_close()
    log("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
