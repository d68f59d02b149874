#!/usr/bin/env python3
"""keylat: how long a program in a tmux pane takes to show what a key
asks for, measured from outside, as a user at the terminal would see it.

  keylat.py [-L SOCKET] SESSION KEY:TEXT|TEXT... [KEY:TEXT|TEXT...]...
            [--count N] [--gap SEC] [--quiet MS]

Attaches to SESSION (of the tmux server named SOCKET, as tmux -L) as a
tmux control-mode client (tmux -C), which gets
every byte the pane writes as it is written (%output lines).  For each of
N keys (the KEYs in turn, tmux send-keys names: r, B, Enter, ...) it
reads the pane's first line, sends the key, and after each burst of
output (a burst ends when the pane writes nothing for --quiet ms, default
10) reads the first line again: the key's result is shown when the TEXTs
that line holds have changed (r:asc|desc for a sort order that flips,
U:UDP|udp for a toggle).  Its latency is from sending to the end of that
burst; a key whose result is not shown within 2 s counts as 2000 ms.
Keys are --gap s apart (default 0.15).  Only the first line is read,
so the TEXTs must be what the key changes there (a header).

stdout: one line per key, "KEY MS", then
  keys: N timed, p50 X ms, p99 Y ms, max Z ms
Exit: 0, 1 when tmux cannot attach or the session ends, 2 usage.
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
        q.put((time.monotonic(), line))
    q.put(None)


class Pane:
    def __init__(self, session, socket):
        self.session = session
        self.proc = subprocess.Popen(['tmux'] +
                                     (['-L', socket] if socket else []) +
                                     ['-C', 'attach-session', '-t', session],
                                     stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE)
        self.q = queue.Queue()
        self.outputs = []       # times of %output lines not yet used
        threading.Thread(target=reader, args=(self.proc.stdout, self.q),
                         daemon=True).start()

    def command(self, cmd):
        self.proc.stdin.write((cmd + '\n').encode())
        self.proc.stdin.flush()

    def next(self, timeout):
        """The next line: (time, bytes), None at the end, or raises
        queue.Empty.  %output lines are also remembered."""
        got = self.q.get(timeout=max(timeout, 0))
        if got is None:
            raise EOFError
        if got[1].startswith(b'%output'):
            self.outputs.append(got[0])
        return got

    def first_line(self):
        """The pane's first line, as shown now."""
        self.command('capture-pane -p -t %s -S 0 -E 0' % self.session)
        lines, inside = [], False
        deadline = time.monotonic() + 2
        while True:
            t, line = self.next(deadline - time.monotonic())
            if line.startswith(b'%begin'):
                inside = True
            elif line.startswith(b'%end') or line.startswith(b'%error'):
                if inside:
                    return b''.join(lines)
            elif inside:
                lines.append(line)

    def quiet(self, secs, deadline):
        """Wait until nothing is written for secs (or the deadline)."""
        while time.monotonic() < deadline:
            try:
                self.next(secs)
            except queue.Empty:
                return


def shown(line, texts):
    return frozenset(x for x in texts if x in line)


def one_key(pane, key, texts, quiet):
    pane.quiet(quiet, time.monotonic() + 2)
    before = shown(pane.first_line(), texts)
    pane.outputs = []
    t0 = time.monotonic()
    pane.command('send-keys -t %s %s' % (pane.session, key))
    deadline = t0 + NO_ANSWER_MS / 1000
    while time.monotonic() < deadline:
        try:
            pane.next(deadline - time.monotonic())
        except queue.Empty:
            break
        if not pane.outputs:
            continue
        pane.quiet(quiet, deadline)
        end = pane.outputs[-1]
        if shown(pane.first_line(), texts) != before:
            return (end - t0) * 1000
    return NO_ANSWER_MS


def main():
    ap = argparse.ArgumentParser(usage=__doc__)
    ap.add_argument('-L', dest='socket')
    ap.add_argument('session')
    ap.add_argument('keys', nargs='+')
    ap.add_argument('--count', type=int, default=40)
    ap.add_argument('--gap', type=float, default=0.15)
    ap.add_argument('--quiet', type=float, default=10.0)
    a = ap.parse_args()
    specs = []
    for spec in a.keys:
        key, _, texts = spec.partition(':')
        texts = [x.encode() for x in texts.split('|') if x]
        if not key or len(texts) < 2:
            ap.print_usage(sys.stderr)
            return 2
        specs.append((key, texts))
    if a.count < 1 or a.count > 10000 or a.gap < 0 or a.quiet <= 0:
        ap.print_usage(sys.stderr)
        return 2
    pane = Pane(a.session, a.socket)
    times = []
    try:
        for i in range(a.count):
            key, texts = specs[i % len(specs)]
            ms = one_key(pane, key, texts, a.quiet / 1000)
            times.append(ms)
            print('%s %.1f' % (key, ms), flush=True)
            time.sleep(a.gap)
    except (EOFError, queue.Empty):
        print('keylat: tmux session %s went away' % a.session,
              file=sys.stderr)
    try:
        pane.proc.stdin.close()
        pane.proc.wait(timeout=2)
    except (OSError, subprocess.TimeoutExpired):
        pane.proc.kill()
    if not times:
        return 1
    times.sort()
    p = max(1, int(len(times) * 0.99))
    print('keys: %d timed, p50 %.1f ms, p99 %.1f ms, max %.1f ms'
          % (len(times), times[len(times) // 2], times[p - 1], times[-1]))
    return 0


if __name__ == '__main__':
    sys.exit(main())
