#!/usr/bin/env python3
"""Runs the moto server (PyPI moto[server]) on loopback, serving one request at a time.

    python tests/moto_server.py PORT

`moto_server` serves requests on threads and does not lock around DynamoDB's condition checks, so two
simultaneous conditional writes can both succeed, which DynamoDB never allows. Serving one request at a time
gives each write the atomicity DynamoDB guarantees per item; the clients (our tests) stay concurrent.
The listen queue is deep enough for hundreds of simultaneous connections: with werkzeug's default (128), the
connections beyond it wait for a SYN retry and the SDK's 3.1 s connect timeout can fire on a busy machine.
"""
import sys

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import BaseWSGIServer, run_simple

BaseWSGIServer.request_queue_size = 4096

port = int(sys.argv[1]) if len(sys.argv) > 1 else 5123
run_simple("127.0.0.1", port, DomainDispatcherApplication(create_backend_app), threaded=False, use_reloader=False)
