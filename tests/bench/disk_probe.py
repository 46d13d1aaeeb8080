#!/usr/bin/env python3
"""The disk's own flush latency while a benchmark runs: writes 4 KiB and flushes it (fdatasync) every 10 ms for
SECONDS into FILE, then prints `disk_p50_ms=… disk_max_ms=… disk_stall_ms=…` (the time spent in flushes slower than
10 ms: a server that flushes before it answers cannot answer in less than the disk takes). 100 flushes a second
add little to the load being measured.

    python3 tests/bench/disk_probe.py FILE SECONDS
"""
import os
import sys
import time


def main() -> None:
    path, seconds = sys.argv[1], float(sys.argv[2])
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    block, latencies = b"\0" * 4096, []
    end = time.monotonic() + seconds
    try:
        while time.monotonic() < end:
            os.pwrite(fd, block, 0)
            began = time.perf_counter()
            os.fdatasync(fd)
            took = (time.perf_counter() - began) * 1000
            latencies.append(took)
            time.sleep(max(0.0, 0.010 - took / 1000))
    finally:
        os.close(fd)
        os.unlink(path)
    latencies.sort()
    stalled = sum(ms for ms in latencies if ms > 10)
    print(f"disk_p50_ms={latencies[len(latencies) // 2]:.2f} disk_max_ms={latencies[-1]:.2f} disk_stall_ms={stalled:.0f}")


if __name__ == "__main__":
    main()
