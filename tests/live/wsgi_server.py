"""The live-site tests' threaded WSGI server: python -m tests.live.wsgi_server PORT"""

from __future__ import annotations

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.live.settings")
    from django.core.servers.basehttp import WSGIServer, run
    from django.core.wsgi import get_wsgi_application

    class Server(WSGIServer):
        # Room for every client the tests start at once; the default backlog
        # of 10 resets connections beyond it.
        request_queue_size = 128

    run(
        "127.0.0.1",
        int(sys.argv[1]),
        get_wsgi_application(),
        threading=True,
        server_cls=Server,
    )
