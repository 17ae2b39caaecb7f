"""The test-peer client of test/peers/README.md on gRPC C-core, through Python's grpcio.

Runs on any interpreter with grpcio: Debian's python3-grpcio (C-core 1.51) and the pinned
PyPI grpcio in the peers' virtualenv (C-core 1.85). Messages are raw bytes (no serializers).
"""
import argparse
import json
import sys
import threading
import time

import grpc

HELLO_PATH = "/kubexds.demo.Echo/Hello"


class Output:
    """JSON lines on stdout, one writer at a time, flushed per line."""

    def __init__(self) -> None:
        self.start = time.monotonic()
        self.lock = threading.Lock()

    def ms(self) -> int:
        return int((time.monotonic() - self.start) * 1000)

    def emit(self, **fields) -> None:
        with self.lock:
            sys.stdout.write(json.dumps(fields, separators=(",", ":")) + "\n")
            sys.stdout.flush()


class Control:
    """pause/resume from stdin; EOF (or the duration) stops the run."""

    def __init__(self, duration_ms: int, out: Output) -> None:
        self.condition = threading.Condition()
        self.paused = False
        self.stopped = False
        self.deadline = out.start + duration_ms / 1000 if duration_ms > 0 else None
        threading.Thread(target=self._read_stdin, daemon=True).start()

    def _read_stdin(self) -> None:
        for line in sys.stdin:
            command = line.strip()
            with self.condition:
                if command == "pause":
                    self.paused = True
                elif command == "resume":
                    self.paused = False
                self.condition.notify_all()
        with self.condition:
            self.stopped = True
            self.condition.notify_all()

    def wait_until(self, when: float) -> bool:
        """Sleeps until `when` (monotonic) and while paused; False once the run must stop."""
        with self.condition:
            while True:
                now = time.monotonic()
                if self.stopped or (self.deadline is not None and now >= self.deadline):
                    return False
                if not self.paused and now >= when:
                    return True
                limit = self.deadline if self.paused else when
                if self.deadline is not None:
                    limit = min(limit, self.deadline)
                self.condition.wait(timeout=None if limit is None else max(0.0, limit - now))


def main() -> int:
    parser = argparse.ArgumentParser(description="gRPC test-peer client (C-core)")
    parser.add_argument("--target", required=True)
    parser.add_argument("--authority")
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--duration-ms", type=int, default=0)
    parser.add_argument("--deadline-ms", type=int, default=5000)
    parser.add_argument("--idle-timeout-ms", type=int, default=0)
    parser.add_argument("--method", default=HELLO_PATH)
    parser.add_argument("--metadata", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args()
    if not args.method.startswith("/") or args.method.count("/") != 2:
        parser.error("--method must be /SERVICE/METHOD")
    if any("=" not in entry or entry.startswith("=") for entry in args.metadata):
        parser.error("--metadata must be KEY=VALUE")
    metadata = [tuple(entry.split("=", 1)) for entry in args.metadata]
    if args.rate <= 0 or args.duration_ms < 0 or args.deadline_ms <= 0 or args.idle_timeout_ms < 0:
        parser.error("--rate and --deadline-ms must be positive, --duration-ms and --idle-timeout-ms not negative")

    out = Output()
    out.emit(event="start", client="grpc-python", version=grpc.__version__)
    options = []
    if args.authority:
        options.append(("grpc.default_authority", args.authority))
    if args.idle_timeout_ms:
        options.append(("grpc.client_idle_timeout_ms", args.idle_timeout_ms))

    calls: dict[str, int] = {}
    failures: dict[str, int] = {}
    first: dict[str, int] = {}
    control = Control(args.duration_ms, out)
    interval = 1 / args.rate
    with grpc.insecure_channel(args.target, options=options) as channel:
        hello = channel.unary_unary(args.method)
        next_call = time.monotonic()
        while control.wait_until(next_call):
            next_call = max(next_call + interval, time.monotonic())
            try:
                name = hello(b"hi", timeout=args.deadline_ms / 1000, metadata=metadata).decode("utf-8")
            except grpc.RpcError as error:
                code = error.code().name
                failures[code] = failures.get(code, 0) + 1
                out.emit(event="failure", ms=out.ms(), code=code, details=error.details() or "")
                continue
            calls[name] = calls.get(name, 0) + 1
            first.setdefault(name, out.ms())
            out.emit(event="call", ms=out.ms(), backend=name)
    out.emit(event="summary", calls=calls, failures=failures, first_answer_ms=first)
    return 0


if __name__ == "__main__":
    sys.exit(main())
