"""Install Debian's chromium for the browser tests when it is missing and this machine can.

Playwright's own browser download is not used: Mend's browser tests drive the
system chromium. Without it (and without root and apt-get to install it) the
browser tests skip, except under CI=true, where they fail.
"""

import os
import shutil
import subprocess
import sys


def main() -> int:
    if shutil.which("chromium"):
        return 0
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        sys.stderr.write("chromium is missing and cannot be installed here; browser tests will not run.\n")
        return 0
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "chromium"]):
        if subprocess.run(command, env=environment, stdout=subprocess.DEVNULL).returncode != 0:
            sys.stderr.write(f"{' '.join(command)} failed; browser tests will not run.\n")
            return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
