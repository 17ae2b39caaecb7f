#!/usr/bin/python3
"""Calls /kubexds.demo.Echo/Hello through gRPC C-core (Debian's python3-grpcio) and prints
how many calls each backend answered, as one JSON line.

    GRPC_XDS_BOOTSTRAP=bootstrap.json /usr/bin/python3 ccore_client.py TARGET COUNT

Messages are raw bytes (no serializers), as in bin/demo/echo.ts. Prints
{"counts": {"backend": n, ...}} and exits 0, or, at the first failed call,
{"counts": {...}, "error": {"code": "UNAVAILABLE", "details": "..."}} and exits 1.
"""
import argparse
import json
import sys

import grpc

HELLO_PATH = "/kubexds.demo.Echo/Hello"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", help="e.g. xds:///echo.demo.svc.cluster.local:50051")
    parser.add_argument("count", type=int, help="number of calls")
    parser.add_argument("--deadline", type=float, default=10.0, help="seconds per call")
    args = parser.parse_args()

    counts: dict[str, int] = {}
    with grpc.insecure_channel(args.target) as channel:
        hello = channel.unary_unary(HELLO_PATH)
        for _ in range(args.count):
            try:
                reply = hello(b"hi", timeout=args.deadline)
            except grpc.RpcError as error:
                failure = {"code": error.code().name, "details": error.details()}
                print(json.dumps({"counts": counts, "error": failure}, sort_keys=True))
                return 1
            name = reply.decode("utf-8")
            counts[name] = counts.get(name, 0) + 1
    print(json.dumps({"counts": counts}, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
