#!/usr/bin/env python3
"""Runs the moto server (PyPI moto[server]) on loopback, serving one request at a time.

    python tests/moto_server.py PORT

`moto_server` serves requests on threads and does not lock around DynamoDB's condition checks, so two
simultaneous conditional writes can both succeed, which DynamoDB never allows. Serving one request at a time
gives each write the atomicity DynamoDB guarantees per item; the clients (our tests) stay concurrent.
The listen queue is deep enough for hundreds of simultaneous connections: with werkzeug's default (128), the
connections beyond it wait for a SYN retry and the SDK's 3.1 s connect timeout can fire on a busy machine.

moto's `transact_write_items` keeps a deep copy of the whole table to roll back with, and takes it again for
every item of the transaction: a survey response (response, key, code, counters: ten items) against a table of
thousands of items copied the table ten times per request, so 1,000 submissions took minutes. Here each table
is copied once per transaction; the rollback is the same. A table's stream (the survey aggregator reads it) is
copied as a new list of the same records.
"""
import copy
import sys

import moto.dynamodb.models as dynamodb_models

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import BaseWSGIServer, run_simple

BaseWSGIServer.request_queue_size = 4096


class _CopyOncePerTransaction:
    """`copy` for moto's DynamoDB module during one transaction: each object is deep-copied at most once."""

    def __init__(self):
        self.copies = {}

    def deepcopy(self, obj, memo=None):
        key = id(obj)
        if key not in self.copies:
            self.copies[key] = (obj, copy.deepcopy(obj))  # holding `obj` keeps its id from being reused
        return self.copies[key][1]


_transact_write_items = dynamodb_models.DynamoDBBackend.transact_write_items


def _transact_write_items_copying_once(self, transact_items):
    dynamodb_models.copy = _CopyOncePerTransaction()
    try:
        return _transact_write_items(self, transact_items)
    finally:
        dynamodb_models.copy = copy


dynamodb_models.DynamoDBBackend.transact_write_items = _transact_write_items_copying_once


def _shard_deepcopy(self, memo):
    """A table's stream in that copy: its records are never changed once written, so the copy shares them (a new
    list, so a rolled-back transaction's records go with it) instead of copying every record of the stream for every
    transaction, which made each transaction slower as the stream grew."""
    clone = copy.copy(self)
    memo[id(self)] = clone
    clone.table = memo.get(id(self.table), self.table)
    clone.items = list(self.items)
    return clone


from moto.dynamodb.models.table import StreamShard  # noqa: E402

StreamShard.__deepcopy__ = _shard_deepcopy

port = int(sys.argv[1]) if len(sys.argv) > 1 else 5123
run_simple("127.0.0.1", port, DomainDispatcherApplication(create_backend_app), threaded=False, use_reloader=False)
