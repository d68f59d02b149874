#!/usr/bin/env python3
"""ct_compare.py: compare flowtop's JSON lines with `conntrack -L` output.

usage: ct_compare.py FLOWTOP_JSON CONNTRACK_L [--snapshot N] [--counters]

Both files are parsed independently; the check is that the two tables hold
the same flows (protocol, family, original tuple), and for each flow the
same state, the same reply tuple and, with --counters, the same byte and
packet counters each way.  Prints one line per difference and a summary
"ct_compare: N flows, N differences"; exits 1 on any difference.
"""
import json
import re
import sys

STATEFUL = {"tcp", "sctp", "dccp"}


def parse_conntrack(path):
    flows = {}
    for line in open(path):
        line = line.strip()
        if not line or line.startswith("conntrack v"):
            continue
        words = line.split()
        proto = words[0]
        kv = re.findall(r"(\w+)=(\S+)", line)
        state = None
        if proto in STATEFUL:
            # "tcp 6 431999 ESTABLISHED src=..." : the word before src=
            for w in words[3:]:
                if "=" in w:
                    break
                state = w
        tuples, counters, cur = [], [], {}
        for k, v in kv:
            if k == "src" and "src" in cur:
                tuples.append(cur)
                cur = {}
            if k in ("src", "dst", "sport", "dport", "type", "code", "id"):
                cur[k] = v
            elif k in ("packets", "bytes"):
                cur[k] = int(v)
        tuples.append(cur)
        orig, repl = tuples[0], tuples[1]
        fam = "ipv6" if ":" in orig["src"] else "ipv4"
        key = (proto, fam, orig["src"], orig["dst"],
               orig.get("sport") or orig.get("id"), orig.get("dport") or orig.get("type"))
        flows[key] = {"state": state, "orig": orig, "reply": repl}
    return flows


def parse_flowtop(path, snapshot):
    flows = {}
    rows = [json.loads(l) for l in open(path) if l.strip()]
    if snapshot is None and rows:
        snapshot = max(r["snapshot"] for r in rows)
    for r in rows:
        if r["snapshot"] != snapshot:
            continue
        proto = r["proto"]
        o = r["orig"]
        if proto in ("icmp", "icmpv6"):
            key = (proto, r["family"], o["src"], o["dst"], str(r["icmp"]["id"]), str(r["icmp"]["type"]))
        else:
            key = (proto, r["family"], o["src"], o["dst"], str(o["sport"]), str(o["dport"]))
        if key in flows:
            print("duplicate in flowtop:", key)
        flows[key] = r
    return flows


def main():
    args = sys.argv[1:]
    counters = "--counters" in args
    snap = None
    if "--snapshot" in args:
        snap = int(args[args.index("--snapshot") + 1])
    ft = parse_flowtop(args[0], snap)
    ct = parse_conntrack(args[1])
    diffs = 0
    for k in sorted(set(ct) - set(ft)):
        print("missing in flowtop:", k)
        diffs += 1
    for k in sorted(set(ft) - set(ct)):
        print("only in flowtop:", k)
        diffs += 1
    for k in sorted(set(ft) & set(ct)):
        f, c = ft[k], ct[k]
        if c["state"] is not None and f["state"] != c["state"]:
            print("state differs:", k, f["state"], c["state"])
            diffs += 1
        rep = f["reply"]
        if rep["src"] != c["reply"]["src"] or rep["dst"] != c["reply"]["dst"]:
            print("reply tuple differs:", k, rep, c["reply"])
            diffs += 1
        if "sport" in rep and str(rep["sport"]) != c["reply"].get("sport"):
            print("reply sport differs:", k, rep, c["reply"])
            diffs += 1
        if counters:
            want = (c["orig"].get("bytes"), c["orig"].get("packets"),
                    c["reply"].get("bytes"), c["reply"].get("packets"))
            got = (f["bytes_orig"], f["packets_orig"], f["bytes_reply"], f["packets_reply"])
            if want != got:
                print("counters differ:", k, "flowtop", got, "conntrack", want)
                diffs += 1
    print("ct_compare: %d flows, %d differences" % (len(ct), diffs))
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
