#!/usr/bin/env python3
"""keylat: how long a program in a tmux pane takes to show what a key
asks for, measured from outside, as a user at the terminal would see it.

  keylat.py SESSION KEY... [--count N] [--gap SEC] [--quiet MS]

Attaches to SESSION as a tmux control-mode client (tmux -C), which gets
every byte the pane writes as it is written (%output lines).  For each of
N keys (the KEYs in turn, tmux send-keys names: r, B, Enter, ...) it
sends the key and waits for the pane's answer: the time from sending to
the last output of the burst that follows, a burst ending when the pane
writes nothing for --quiet ms (default 25).  A key with no answer within
2 s counts as 2000 ms.  Keys are --gap s apart (default 0.15).

stdout: one line per key, "KEY MS", then
  keys: N timed, p50 X ms, p99 Y ms, max Z ms
Exit: 0, 1 when tmux cannot attach, 2 usage.
"""
import argparse
import queue
import subprocess
import sys
import threading
import time

NO_ANSWER_MS = 2000.0


def reader(stream, q):
    for line in stream:
        if line.startswith(b'%output'):
            q.put(time.monotonic())
    q.put(None)


def one_key(proc, q, session, key, quiet):
    # Output still coming from before (a refresh) is not this key's.
    while True:
        try:
            if q.get(timeout=quiet) is None:
                return None
        except queue.Empty:
            break
    t0 = time.monotonic()
    proc.stdin.write(('send-keys -t %s %s\n' % (session, key)).encode())
    proc.stdin.flush()
    last = None
    deadline = t0 + NO_ANSWER_MS / 1000
    while True:
        wait = quiet if last else deadline - time.monotonic()
        if wait <= 0:
            break
        try:
            t = q.get(timeout=wait)
        except queue.Empty:
            break
        if t is None:
            return None
        last = t
    return (last - t0) * 1000 if last else NO_ANSWER_MS


def main():
    ap = argparse.ArgumentParser(usage=__doc__)
    ap.add_argument('session')
    ap.add_argument('keys', nargs='+')
    ap.add_argument('--count', type=int, default=40)
    ap.add_argument('--gap', type=float, default=0.15)
    ap.add_argument('--quiet', type=float, default=25.0)
    a = ap.parse_args()
    if a.count < 1 or a.count > 10000 or a.gap < 0 or a.quiet <= 0:
        ap.print_usage(sys.stderr)
        return 2
    proc = subprocess.Popen(['tmux', '-C', 'attach-session', '-t',
                             a.session], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE)
    q = queue.Queue()
    threading.Thread(target=reader, args=(proc.stdout, q),
                     daemon=True).start()
    times = []
    for i in range(a.count):
        key = a.keys[i % len(a.keys)]
        ms = one_key(proc, q, a.session, key, a.quiet / 1000)
        if ms is None:
            print('keylat: tmux session %s went away' % a.session,
                  file=sys.stderr)
            break
        times.append(ms)
        print('%s %.1f' % (key, ms), flush=True)
        time.sleep(a.gap)
    try:
        proc.stdin.close()
        proc.wait(timeout=2)
    except (OSError, subprocess.TimeoutExpired):
        proc.kill()
    if not times:
        return 1
    times.sort()
    p = max(1, int(len(times) * 0.99))
    print('keys: %d timed, p50 %.1f ms, p99 %.1f ms, max %.1f ms'
          % (len(times), times[len(times) // 2], times[p - 1], times[-1]))
    return 0


if __name__ == '__main__':
    sys.exit(main())
