#!/usr/bin/env python3
"""mkmmdb.py: write a MaxMind DB (.mmdb) file from a JSON description.

Usage: mkmmdb.py INPUT.json OUTPUT.mmdb     (INPUT may be "-" for stdin)

Python 3 standard library only, so that the test suite can make its own
databases.  Follows the MaxMind DB File Format Specification 2.0: a binary
search tree of 24, 28 or 32-bit records, 16 zero bytes, the data section,
then "\\xab\\xcd\\xefMaxMind.com" and the metadata map.

The JSON description:

  {
    "ip_version": 6,                  4 or 6 (default 6)
    "database_type": "GeoIP2-City",
    "record_size": 28,                24, 28 or 32 (default: smallest fit)
    "languages": ["en"],              (default [])
    "description": {"en": "text"},    (default {})
    "build_epoch": 1700000000,        (default: now)
    "ipv4_aliases": true,             IPv6 trees: also reach the IPv4 part
                                      through ::ffff:0:0/96 and 2002::/16
                                      (default true, as MaxMind does)
    "pointers": true,                 share repeated strings and maps
                                      through pointers (default true)
    "networks": {"192.0.2.0/25": {...record...}, "2001:db8::/48": {...}}
  }

"networks" may also be a list of ["network", record] pairs or of
{"network": ..., "data": ...} objects.  More specific networks win over the
ones that contain them, whatever the order.  In an IPv6 tree, IPv4 networks
go to ::a.b.c.d as in MaxMind's own databases.

Records are JSON values: strings become utf8_string, integers uint32 (uint64
or uint128 when larger, int32 when negative), floats double, booleans
boolean, objects maps, lists arrays.  A value can name its type with
{"$type": T, "value": V}; T is one of utf8_string, double, bytes, uint16,
uint32, map, int32, uint64, uint128, array, boolean, float.  For
utf8_string and bytes, {"$type": T, "hex": "ff41"} gives raw bytes (e.g.
invalid UTF-8 for tests of hostile databases).
"""

import collections
import ipaddress
import json
import struct
import sys
import time

METADATA_MARKER = b"\xab\xcd\xefMaxMind.com"

T_POINTER = 1
T_UTF8 = 2
T_DOUBLE = 3
T_BYTES = 4
T_UINT16 = 5
T_UINT32 = 6
T_MAP = 7
T_INT32 = 8
T_UINT64 = 9
T_UINT128 = 10
T_ARRAY = 11
T_BOOLEAN = 14
T_FLOAT = 15

TYPE_NAMES = {
    "utf8_string": T_UTF8, "double": T_DOUBLE, "bytes": T_BYTES,
    "uint16": T_UINT16, "uint32": T_UINT32, "map": T_MAP, "int32": T_INT32,
    "uint64": T_UINT64, "uint128": T_UINT128, "array": T_ARRAY,
    "boolean": T_BOOLEAN, "float": T_FLOAT,
}
UINT_BITS = {T_UINT16: 16, T_UINT32: 32, T_UINT64: 64, T_UINT128: 128}


class MmdbError(Exception):
    pass


def typed(t, v):
    """A value with an explicit MaxMind DB type."""
    return ("$typed", t, v)


def normalise(v):
    """JSON value -> tree of ("$typed", type, payload) tuples."""
    if isinstance(v, tuple) and len(v) == 3 and v[0] == "$typed":
        return v
    if isinstance(v, dict) and "$type" in v:
        name = v["$type"]
        if name not in TYPE_NAMES:
            raise MmdbError("unknown $type %r" % name)
        t = TYPE_NAMES[name]
        if t in (T_UTF8, T_BYTES) and "hex" in v:
            return typed(t, bytes.fromhex(v["hex"]))
        if "value" not in v:
            raise MmdbError("$type %s without value" % name)
        inner = v["value"]
        if t == T_MAP:
            if not isinstance(inner, dict):
                raise MmdbError("map value must be an object")
            return typed(t, [(k, normalise(x)) for k, x in inner.items()])
        if t == T_ARRAY:
            return typed(t, [normalise(x) for x in inner])
        if t == T_UTF8:
            return typed(t, str(inner).encode("utf-8"))
        if t == T_BYTES:
            raise MmdbError("bytes need \"hex\"")
        if t in UINT_BITS:
            n = int(inner)
            if n < 0 or n >= 1 << UINT_BITS[t]:
                raise MmdbError("%d does not fit %s" % (n, name))
            return typed(t, n)
        if t == T_INT32:
            n = int(inner)
            if n < -(1 << 31) or n >= 1 << 31:
                raise MmdbError("%d does not fit int32" % n)
            return typed(t, n)
        if t in (T_DOUBLE, T_FLOAT):
            return typed(t, float(inner))
        if t == T_BOOLEAN:
            return typed(t, bool(inner))
    if isinstance(v, bool):
        return typed(T_BOOLEAN, v)
    if isinstance(v, int):
        if v < 0:
            if v < -(1 << 31):
                raise MmdbError("%d does not fit int32" % v)
            return typed(T_INT32, v)
        if v < 1 << 32:
            return typed(T_UINT32, v)
        if v < 1 << 64:
            return typed(T_UINT64, v)
        if v < 1 << 128:
            return typed(T_UINT128, v)
        raise MmdbError("%d is too large" % v)
    if isinstance(v, float):
        return typed(T_DOUBLE, v)
    if isinstance(v, str):
        return typed(T_UTF8, v.encode("utf-8"))
    if isinstance(v, dict):
        return typed(T_MAP, [(k, normalise(x)) for k, x in v.items()])
    if isinstance(v, list):
        return typed(T_ARRAY, [normalise(x) for x in v])
    if v is None:
        raise MmdbError("null has no MaxMind DB type")
    raise MmdbError("cannot encode %r" % (v,))


def cache_key(v):
    """Hashable identity of a normalised value, for sharing by pointer."""
    _, t, payload = v
    if t == T_MAP:
        return (t, tuple((k, cache_key(x)) for k, x in payload))
    if t == T_ARRAY:
        return (t, tuple(cache_key(x) for x in payload))
    if t in (T_DOUBLE, T_FLOAT):
        return (t, struct.pack(">d", payload))
    return (t, payload)


class DataWriter:
    """Appends encoded values to a section; offsets are section-relative."""

    def __init__(self, pointers):
        self.buf = bytearray()
        self.pointers = pointers
        self.seen = {}

    @staticmethod
    def control(t, size):
        out = bytearray()
        if size < 29:
            low, extra = size, b""
        elif size < 29 + 256:
            low, extra = 29, bytes([size - 29])
        elif size < 285 + 65536:
            low, extra = 30, (size - 285).to_bytes(2, "big")
        elif size < 65821 + (1 << 24):
            low, extra = 31, (size - 65821).to_bytes(3, "big")
        else:
            raise MmdbError("value too large (%d)" % size)
        if t <= 7:
            out.append((t << 5) | low)
        else:
            out.append(low)
            out.append(t - 7)
        out += extra
        return bytes(out)

    @staticmethod
    def pointer(p):
        if p < 2048:
            return bytes([(T_POINTER << 5) | (p >> 8), p & 0xFF])
        q = p - 2048
        if q < 1 << 19:
            return bytes([(T_POINTER << 5) | (1 << 3) | (q >> 16)]) + \
                (q & 0xFFFF).to_bytes(2, "big")
        q = p - 526336
        if q < 1 << 27:
            return bytes([(T_POINTER << 5) | (2 << 3) | (q >> 24)]) + \
                (q & 0xFFFFFF).to_bytes(3, "big")
        return bytes([(T_POINTER << 5) | (3 << 3)]) + p.to_bytes(4, "big")

    @staticmethod
    def uint_bytes(n):
        return n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""

    def write(self, v):
        """Write v, sharing an earlier copy; returns the offset of v."""
        key = None
        if self.pointers:
            _, t, payload = v
            big = t in (T_MAP, T_ARRAY) or \
                (t in (T_UTF8, T_BYTES) and len(payload) > 3)
            if big:
                key = cache_key(v)
                if key in self.seen:
                    off = len(self.buf)
                    self.buf += self.pointer(self.seen[key])
                    return off
        off = len(self.buf)
        self.emit(v)
        if key is not None:
            # A pointer must name the value itself, never another pointer.
            self.seen[key] = off
        return off

    def emit(self, v):
        _, t, payload = v
        b = self.buf
        if t in (T_UTF8, T_BYTES):
            b += self.control(t, len(payload)) + payload
        elif t == T_DOUBLE:
            b += self.control(t, 8) + struct.pack(">d", payload)
        elif t == T_FLOAT:
            b += self.control(t, 4) + struct.pack(">f", payload)
        elif t in UINT_BITS:
            raw = self.uint_bytes(payload)
            b += self.control(t, len(raw)) + raw
        elif t == T_INT32:
            raw = (payload & 0xFFFFFFFF).to_bytes(4, "big") \
                if payload < 0 else self.uint_bytes(payload)
            b += self.control(t, len(raw)) + raw
        elif t == T_BOOLEAN:
            b += self.control(t, 1 if payload else 0)
        elif t == T_MAP:
            b += self.control(t, len(payload))
            for k, x in payload:
                self.write(typed(T_UTF8, k.encode("utf-8")))
                self.write(x)
        elif t == T_ARRAY:
            b += self.control(t, len(payload))
            for x in payload:
                self.write(x)
        else:
            raise MmdbError("cannot emit type %d" % t)


def parse_networks(spec, ip_version):
    if isinstance(spec, dict):
        items = list(spec.items())
    elif isinstance(spec, list):
        items = []
        for e in spec:
            if isinstance(e, dict):
                items.append((e["network"], e["data"]))
            else:
                items.append((e[0], e[1]))
    else:
        raise MmdbError("networks must be an object or a list")
    out = []
    for i, (net, data) in enumerate(items):
        n = ipaddress.ip_network(net, strict=True)
        if n.version == 4:
            bits, plen = int(n.network_address), n.prefixlen
            if ip_version == 6:
                # IPv4 lives at ::a.b.c.d in an IPv6 tree.
                bits, plen = bits, plen + 96
        else:
            if ip_version == 4:
                raise MmdbError("%s in an IPv4 database" % net)
            bits, plen = int(n.network_address), n.prefixlen
        if plen == 0:
            raise MmdbError("%s: a /0 network has no tree" % net)
        out.append((plen, i, bits, data))
    # Shorter prefixes first, so more specific networks overwrite them.
    out.sort(key=lambda e: (e[0], e[1]))
    return out


def insert(root, width, bits, plen, value):
    node = root
    for i in range(plen):
        bit = (bits >> (width - 1 - i)) & 1
        if i == plen - 1:
            node[bit] = value
            return
        child = node[bit]
        if child is None:
            child = [None, None]
            node[bit] = child
        elif not isinstance(child, list):
            # Split a covering network around the more specific one.
            child = [child, child]
            node[bit] = child
        node = child


def walk(root, width, bits, plen):
    """The child reached after plen bits, or None."""
    node = root
    for i in range(plen):
        if not isinstance(node, list):
            return node
        node = node[(bits >> (width - 1 - i)) & 1]
    return node


def alias(root, width, bits, plen, target):
    node = root
    for i in range(plen - 1):
        bit = (bits >> (width - 1 - i)) & 1
        child = node[bit]
        if child is None:
            child = [None, None]
            node[bit] = child
        elif not isinstance(child, list):
            return  # covered by data already: leave it
        node = child
    bit = (bits >> (width - plen)) & 1
    if node[bit] is None:
        node[bit] = target


class Leaf:
    __slots__ = ("rec",)

    def __init__(self, rec):
        self.rec = rec


def build(desc):
    ip_version = int(desc.get("ip_version", 6))
    if ip_version not in (4, 6):
        raise MmdbError("ip_version must be 4 or 6")
    width = 32 if ip_version == 4 else 128
    nets = parse_networks(desc.get("networks", {}), ip_version)

    data = DataWriter(bool(desc.get("pointers", True)))
    rec_offset = {}
    root = [None, None]
    by_text = {}
    for plen, _, bits, value in nets:
        # Equal JSON text is an equal record: skip normalising it again.
        text = json.dumps(value)
        leaf = by_text.get(text)
        if leaf is None:
            v = normalise(value)
            key = cache_key(v)
            if key in data.seen:
                # Written before, inside another record: point the tree
                # at it (write() would add a pointer, and the tree must
                # not point at a pointer).
                rec_offset[key] = data.seen[key]
            elif key not in rec_offset:
                rec_offset[key] = data.write(v)
            leaf = by_text[text] = Leaf(rec_offset[key])
        insert(root, width, bits, plen, leaf)

    if ip_version == 6 and desc.get("ipv4_aliases", True):
        v4 = walk(root, width, 0, 96)
        if v4 is not None:
            alias(root, width, 0xFFFF << 32, 96, v4)
            alias(root, width, 0x2002 << 112, 16, v4)

    # Number the nodes breadth first from the root; aliased subtrees are
    # shared, so number each list object once.
    number = {}
    order = []
    queue = collections.deque([root])
    number[id(root)] = 0
    order.append(root)
    while queue:
        node = queue.popleft()
        for child in node:
            if isinstance(child, list) and id(child) not in number:
                number[id(child)] = len(order)
                order.append(child)
                queue.append(child)
    node_count = len(order)

    def record(child):
        if child is None:
            return node_count
        if isinstance(child, list):
            return number[id(child)]
        return node_count + 16 + child.rec

    max_record = node_count + 16 + len(data.buf)
    record_size = desc.get("record_size")
    if record_size is None:
        record_size = next(s for s in (24, 28, 32) if max_record < 1 << s)
    record_size = int(record_size)
    if record_size not in (24, 28, 32):
        raise MmdbError("record_size must be 24, 28 or 32")
    if max_record >= 1 << record_size:
        raise MmdbError("database too large for %d-bit records" % record_size)

    tree = bytearray()
    for node in order:
        left, right = record(node[0]), record(node[1])
        if record_size == 24:
            tree += left.to_bytes(3, "big") + right.to_bytes(3, "big")
        elif record_size == 28:
            tree += (left & 0xFFFFFF).to_bytes(3, "big")
            tree.append(((left >> 24) << 4) | (right >> 24))
            tree += (right & 0xFFFFFF).to_bytes(3, "big")
        else:
            tree += left.to_bytes(4, "big") + right.to_bytes(4, "big")

    meta = normalise({
        "node_count": typed(T_UINT32, node_count),
        "record_size": typed(T_UINT16, record_size),
        "ip_version": typed(T_UINT16, ip_version),
        "database_type": desc.get("database_type", "Test"),
        "languages": typed(T_ARRAY, [typed(T_UTF8, s.encode("utf-8"))
                                     for s in desc.get("languages", [])]),
        "binary_format_major_version": typed(T_UINT16, 2),
        "binary_format_minor_version": typed(T_UINT16, 0),
        "build_epoch": typed(T_UINT64,
                             int(desc.get("build_epoch", time.time()))),
        "description": typed(T_MAP, [(k, normalise(str(x))) for k, x in
                                     desc.get("description", {}).items()]),
    })
    md = DataWriter(False)
    md.write(meta)
    return bytes(tree) + bytes(16) + bytes(data.buf) + METADATA_MARKER + \
        bytes(md.buf)


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: mkmmdb.py INPUT.json OUTPUT.mmdb\n")
        return 2
    try:
        if argv[1] == "-":
            desc = json.load(sys.stdin)
        else:
            with open(argv[1], encoding="utf-8") as f:
                desc = json.load(f)
        blob = build(desc)
    except (OSError, ValueError, KeyError, IndexError, MmdbError) as e:
        sys.stderr.write("mkmmdb.py: %s\n" % e)
        return 1
    with open(argv[2], "wb") as f:
        f.write(blob)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
