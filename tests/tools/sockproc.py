#!/usr/bin/env python3
"""sockproc: a test process that owns sockets (integration tests).

    sockproc.py COMM READYFILE ACTION ARGS...

Sets its own comm to COMM (prctl PR_SET_NAME), opens the sockets ACTION
asks for, writes one line per socket "PROTO LADDR LPORT RADDR RPORT" to
READYFILE (atomically, by rename) and then sleeps until killed, at most
LIFETIME seconds (default 300).

Actions:
  tcp-listen ADDR PORT                  listen, accept and keep connections
  tcp-connect ADDR PORT [BADDR BPORT]   connect (bound with SO_REUSEADDR)
  udp-bind ADDR PORT V6ONLY             unconnected, answers nothing
  udp-connect ADDR PORT [BADDR BPORT]   connected (SO_REUSEPORT), sends one
  udp-send ADDR PORT                    unconnected, sendto() once
  udplite-bind, udplite-connect         as udp-*, over UDP-lite
  many N ADDR                           N TCP connections to itself
"""
import ctypes
import os
import resource
import select
import socket
import sys
import time

IPPROTO_UDPLITE = 136
LIFETIME = int(os.environ.get("LIFETIME", "300"))


def set_comm(name):
    libc = ctypes.CDLL(None, use_errno=True)
    PR_SET_NAME = 15
    if libc.prctl(PR_SET_NAME, name.encode()[:15], 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl")


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def ends(proto, s):
    la = s.getsockname()
    try:
        ra = s.getpeername()
    except OSError:
        ra = ("::" if s.family == socket.AF_INET6 else "0.0.0.0", 0)
    return "%s %s %d %s %d" % (proto, la[0], la[1], ra[0], ra[1])


def ready(path, lines):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("".join(l + "\n" for l in lines))
    os.rename(tmp, path)


def main():
    comm, readyfile, action, args = sys.argv[1], sys.argv[2], sys.argv[3], \
        sys.argv[4:]
    set_comm(comm)
    keep = []
    lines = []
    listener = None
    if action == "tcp-listen":
        listener = socket.socket(family(args[0]), socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((args[0], int(args[1])))
        listener.listen(64)
        lines.append(ends("tcp", listener))
    elif action == "tcp-connect":
        s = socket.socket(family(args[0]), socket.SOCK_STREAM)
        if len(args) > 2:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((args[2], int(args[3])))
        s.connect((args[0], int(args[1])))
        keep.append(s)
        lines.append(ends("tcp", s))
    elif action.startswith("udplite-"):
        s = socket.socket(family(args[0]), socket.SOCK_DGRAM, IPPROTO_UDPLITE)
        if action == "udplite-connect":
            s.connect((args[0], int(args[1])))
            s.send(b"hello")
        else:
            s.bind((args[0], int(args[1])))
        keep.append(s)
        lines.append(ends("udplite", s))
    elif action == "udp-bind":
        s = socket.socket(family(args[0]), socket.SOCK_DGRAM)
        if s.family == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY,
                         int(args[2]))
        s.bind((args[0], int(args[1])))
        keep.append(s)
        lines.append(ends("udp", s))
    elif action == "udp-connect":
        s = socket.socket(family(args[0]), socket.SOCK_DGRAM)
        if len(args) > 2:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            s.bind((args[2], int(args[3])))
        s.connect((args[0], int(args[1])))
        s.send(b"hello")
        keep.append(s)
        lines.append(ends("udp", s))
    elif action == "udp-send":
        s = socket.socket(family(args[0]), socket.SOCK_DGRAM)
        s.sendto(b"hello", (args[0], int(args[1])))
        keep.append(s)
        lines.append(ends("udp", s))
    elif action == "many":
        n = int(args[0])
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        want = 2 * n + 64
        if soft < want:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
        ls = socket.socket(family(args[1]), socket.SOCK_STREAM)
        ls.bind((args[1], 0))
        ls.listen(n)
        keep.append(ls)
        for _ in range(n):
            c = socket.create_connection(ls.getsockname()[:2])
            a, _ = ls.accept()
            keep += [c, a]
        lines.append("many %d" % (2 * n))
    else:
        sys.exit("sockproc: unknown action " + action)
    ready(readyfile, lines)
    end = time.monotonic() + LIFETIME
    while time.monotonic() < end:
        if listener is None:
            time.sleep(1)
            continue
        r, _, _ = select.select([listener], [], [], 1)
        if r:
            a, _ = listener.accept()
            keep.append(a)


if __name__ == "__main__":
    main()
