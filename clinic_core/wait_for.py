"""Waits until an HTTP endpoint answers 200: `python -m clinic_core.wait_for URL SECONDS`.

Used by the run script and the test fixtures so that neither sleeps blindly.
"""

from __future__ import annotations

import sys
import time
import urllib.error
import urllib.request


def wait_for(url: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(0.3)
    return False


if __name__ == "__main__":
    ok = wait_for(sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 60)
    if not ok:
        print(f"timed out waiting for {sys.argv[1]}", file=sys.stderr)
    sys.exit(0 if ok else 1)
