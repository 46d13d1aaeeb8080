#!/usr/bin/env python3
"""The disk's own flush latency while a benchmark runs: writes 4 KiB and flushes it (fdatasync) every 10 ms for
SECONDS into FILE, then prints `disk_p50_ms=… disk_max_ms=… disk_stall_ms=… disk_over5_pct=…`: the time spent in
flushes slower than 10 ms, and the share of the run in which a flush would still be busy 5 ms after it began (the sum
of each flush's time beyond 5 ms, over the run). A server that flushes before it answers cannot answer sooner than
the disk flushes: a request that arrives in such a stretch waits past 5 ms, so with disk_over5_pct at 1 or more no
such server has a p99 under 5 ms in that run (the probe flushes every 10 ms, so it sees a long stall up to 10 ms
late: the share is, if anything, too low). The stalls include those the measured server's own writes cause.
100 flushes a second add little to the load being measured.

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
    over5 = sum(ms - 5 for ms in latencies if ms > 5) / (seconds * 1000) * 100
    print(
        f"disk_p50_ms={latencies[len(latencies) // 2]:.2f} disk_max_ms={latencies[-1]:.2f} "
        f"disk_stall_ms={stalled:.0f} disk_over5_pct={over5:.2f}"
    )


if __name__ == "__main__":
    main()
