"""Container health check: `python deploy/probe.py [/health/]` asks the local server and exits
0 on a 200. It sends the first ALLOWED_HOSTS name as Host, as Django answers no other."""

import os
import sys
import urllib.request

path = sys.argv[1] if len(sys.argv) > 1 else "/health/"
host = os.environ.get("ALLOWED_HOSTS", "localhost").split(",")[0].strip().lstrip(".") or "localhost"
port = os.environ.get("PORT", "8000")
request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Host": host})
try:
    with urllib.request.urlopen(request, timeout=4) as response:
        sys.exit(0 if response.status == 200 else 1)
except OSError as error:
    print(error, file=sys.stderr)
    sys.exit(1)
