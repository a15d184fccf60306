#!/usr/bin/env python3
"""Drives a program through a pseudo-terminal, as a person at a terminal would.

Usage: pty-drive.py STEPS_JSON -- PROGRAM ARGS...
STEPS_JSON is a list of steps: {"send": "text"} writes text (\\t, \\x03 and \\r as typed), then
{"expect": "regex", "timeout": seconds} waits until the output so far matches. Prints a JSON object
{"output": ..., "ok": bool, "failed_step": index or null, "status": exit status or null}.
"""
import json, os, pty, re, select, sys, time

def main():
    sep = sys.argv.index('--')
    steps = json.loads(sys.argv[1])
    argv = sys.argv[sep + 1:]
    pid, fd = pty.fork()
    if pid == 0:
        os.environ['TERM'] = 'xterm'
        os.execvp(argv[0], argv)
    out = b''
    result = {'ok': True, 'failed_step': None}

    def read_for(seconds):
        nonlocal out
        end = time.time() + seconds
        while time.time() < end:
            r, _, _ = select.select([fd], [], [], max(0.0, min(0.05, end - time.time())))
            if r:
                try:
                    data = os.read(fd, 65536)
                except OSError:
                    return False
                if not data:
                    return False
                out += data
        return True

    for i, step in enumerate(steps):
        if 'send' in step:
            os.write(fd, step['send'].encode())
        if 'sleep' in step:
            read_for(step['sleep'])
        if 'expect' in step:
            pattern = re.compile(step['expect'].encode(), re.S)
            start = len(out) if step.get('new') else 0
            deadline = time.time() + step.get('timeout', 20)
            while not pattern.search(out, start) and time.time() < deadline:
                if not read_for(0.1):
                    break
            if not pattern.search(out, start):
                result['ok'] = False
                result['failed_step'] = i
                break
    read_for(0.3)
    status = None
    for _ in range(50):
        p, st = os.waitpid(pid, os.WNOHANG)
        if p:
            status = os.waitstatus_to_exitcode(st)
            break
        time.sleep(0.1)
    if status is None:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    result['status'] = status
    result['output'] = out.decode('utf-8', 'replace')
    print(json.dumps(result))

main()
