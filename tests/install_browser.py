"""Install what the browser and video tests drive, when it is missing and this machine can:
Debian's chromium, and Debian's janus (the WebRTC server of the video tests, tests/janus.py).

Playwright's own browser download is not used: Mend's browser tests drive the system chromium.
Janus is only installed, never started as a service: the tests start their own on loopback.
Without them (and without root and apt-get to install them) those tests skip, except under
CI=true, where they fail.
"""

import os
import shutil
import subprocess
import sys

# Debian package for each program the tests need.
PACKAGES = {"chromium": "chromium", "janus": "janus"}


def main() -> int:
    missing = [package for program, package in PACKAGES.items() if not shutil.which(program)]
    if not missing:
        return 0
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        sys.stderr.write(f"{', '.join(missing)} missing and cannot be installed here; their tests will not run.\n")
        return 0
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    # A package's own service is not started on installation (policy-rc.d says so to invoke-rc.d).
    policy = "/usr/sbin/policy-rc.d"
    made_policy = not os.path.exists(policy)
    if made_policy:
        with open(policy, "w") as script:
            script.write("#!/bin/sh\nexit 101\n")
        os.chmod(policy, 0o755)
    try:
        for command in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", *missing]):
            if subprocess.run(command, env=environment, stdout=subprocess.DEVNULL).returncode != 0:
                sys.stderr.write(
                    f"{' '.join(command)} failed; the tests that need {', '.join(missing)} will not run.\n"
                )
                return 0
    finally:
        if made_policy:
            os.remove(policy)
    return 0


if __name__ == "__main__":
    sys.exit(main())
