"""Drive a program through a real pseudo-terminal: send keystrokes, read the screen until a marker.

usage: pty-drive.py PROGRAM ARG... < steps.json
steps: [{"send": "text"}, {"until": "marker", "timeout": s}, ...]; prints the screen text read at each
"until" as a JSON list, and the exit status.
"""
import json, os, pty, select, sys, time

steps = json.load(sys.stdin)
pid, fd = pty.fork()
if pid == 0:
    os.environ["TERM"] = "xterm"
    os.execv(sys.argv[1], sys.argv[1:])

buf = b""
screens = []
for step in steps:
    if "send" in step:
        os.write(fd, step["send"].encode())
        continue
    marker = step["until"].encode()
    deadline = time.time() + step.get("timeout", 60)
    while marker not in buf and time.time() < deadline:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                data = os.read(fd, 65536)
            except OSError:
                break
            if not data:
                break
            buf += data
    i = buf.find(marker)
    if i < 0:
        screens.append({"timeout": True, "text": buf.decode("utf-8", "replace")})
        buf = b""
    else:
        screens.append({"text": buf[: i + len(marker)].decode("utf-8", "replace")})
        buf = buf[i + len(marker):]

# Drain until the program exits.
deadline = time.time() + 30
status = None
while time.time() < deadline:
    done, st = os.waitpid(pid, os.WNOHANG)
    if done:
        status = os.waitstatus_to_exitcode(st)
        break
    r, _, _ = select.select([fd], [], [], 0.2)
    if r:
        try:
            os.read(fd, 65536)
        except OSError:
            pass
print(json.dumps({"screens": screens, "status": status}))
