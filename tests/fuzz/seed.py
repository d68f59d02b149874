#!/usr/bin/env python3
"""seed.py: make tests/fuzz/corpus/ from the recorded test data.

Run from the repository root: python3 tests/fuzz/seed.py.  Each target's
seeds come from what the unit tests already replay: the recorded conntrack
dump and sock_diag answers, the fake /proc trees, the filter expressions of
the unit test and the manual, the shipped and test service files,
geoip.conf and a settings file as 'W' writes it."""
import hashlib, os, re, struct, sys

OUT = "tests/fuzz/corpus"


def put(target, data):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def ct_msg():
    dump = read("tests/data/ct_dump.bin")
    put("fuzz_ct_msg", dump)
    off = 0
    while off + 16 <= len(dump):
        n = struct.unpack_from("<I", dump, off)[0]
        if n < 16 or off + n > len(dump):
            break
        put("fuzz_ct_msg", dump[off:off + n])
        off += (n + 3) & ~3


def sock_diag():
    # Records of tests/tools/record_diag.sh: family, l4proto, 0, len.
    dump = read("tests/data/proc_lookup/diag.dump")
    index = {0: 0, 6: 1, 17: 2, 136: 3}
    off = 0
    while off + 8 <= len(dump):
        fam, proto, _, n = struct.unpack_from("<BBHI", dump, off)
        off += 8
        put("fuzz_sock_diag", bytes([index.get(proto, 0)]) +
            dump[off:off + n])
        off += n


def proc():
    for root in ("tests/data/proc", "tests/data/proc_lookup/proc"):
        seed = b""
        for pid in sorted(os.listdir(root)):
            comm = b""
            if os.path.exists(os.path.join(root, pid, "comm")):
                comm = read(os.path.join(root, pid, "comm"))[:64]
            fddir = os.path.join(root, pid, "fd")
            links = []
            if os.path.isdir(fddir):
                links = [os.readlink(os.path.join(fddir, f)).encode()
                         for f in sorted(os.listdir(fddir))
                         if os.path.islink(os.path.join(fddir, f))]
            for link in links or [b""]:
                one = pid.encode() + b"\0" + comm + b"\0" + link + b"\0"
                put("fuzz_proc", one)
                seed += one
        put("fuzz_proc", seed)


def filters():
    src = read("tests/unit/test_filter.c").decode("utf-8", "replace")
    exprs = set()
    # Table rows: { "expr", ... } and the lists of words.
    for m in re.finditer(r'\{\s*"((?:[^"\\]|\\.)*)"\s*,', src):
        exprs.add(m.group(1))
    man = read("man/flowtop.8").decode("utf-8", "replace")
    for m in re.finditer(r"flowtop .*?-f\s+'([^']*)'", man):
        exprs.add(m.group(1).replace("\\-", "-"))
    exprs.update(["asn 4", "asn 4 or org *net*", "not asn 64500"])
    for e in exprs:
        # The C escapes of the unit test's strings.
        e = e.encode().decode("unicode_escape").encode("latin-1")
        put("fuzz_filter", e)


def services():
    for i, path in ((0, "tests/data/services/conf/tcp.conf"),
                    (1, "tests/data/services/conf/udp.conf"),
                    (0, "etc/tcp.conf"), (1, "etc/udp.conf"),
                    (2, "tests/data/services/etc-services")):
        put("fuzz_services", bytes([i]) + read(path))


def geoip_conf():
    put("fuzz_geoip_conf", read("etc/geoip.conf"))
    put("fuzz_geoip_conf", "dir /nonexistent # x\nnodefaultdirs\n"
        "url https://example.org/a.mmdb.gz#frag a.mmdb\n\tcafile\t/x\n")


def ui_config():
    put("fuzz_ui_config",
        "# flowtop settings, written by the 'W' key; command-line "
        "options win.\nview=remote\nsort=bytes\nreverse=1\nipv4=1\n"
        "ipv6=0\nprotocols=tcp,udp\nshow_src=1\nbits=0\nactive_only=0\n"
        "show_hidden=0\nrates=10s\nremote=country\n"
        "leases=/var/lib/misc/dnsmasq.leases\n")
    put("fuzz_ui_config", "view = flows \nprotocols=all\nbits=maybe\n"
        "nokey\n=\nleases=relative\n")


if __name__ == "__main__":
    if not os.path.isdir("tests/data"):
        sys.exit("run from the repository root")
    ct_msg()
    sock_diag()
    proc()
    filters()
    services()
    geoip_conf()
    ui_config()
    for t in sorted(os.listdir(OUT)):
        print(t, len(os.listdir(os.path.join(OUT, t))))
