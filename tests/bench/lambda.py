#!/usr/bin/env python3
"""Lambda packages and figures: builds each function (x86_64 here, profile `lambda-release`), writes its zip
(`bootstrap` inside) next to the binary, and prints the sizes and the time from process start to the first answered
request, measured on this machine with the same binary, a local Lambda Runtime API and the moto server.

    python3 tests/bench/lambda.py [--runs 10]

Needs the moto virtual environment that tests/run installs (CCHC_VENV, default ~/.cache/cchc/venv).
"""
import argparse, io, json, os, socket, statistics, subprocess, sys, threading, time, zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/cchc/target"))
VENV = os.environ.get("CCHC_VENV", os.path.expanduser("~/.cache/cchc/venv"))
FUNCTIONS = ["cchc-comments", "cchc-questions", "cchc-surveys", "cchc-moderation"]
ROUTE = {"cchc-comments": "/api/health", "cchc-questions": "/api/health", "cchc-surveys": "/api/health", "cchc-moderation": "/api/moderation/comments"}


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close(); return port


def event(path):
    return {
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "",
        "headers": {"host": "api.example.gov.vn", "accept": "application/json", "authorization": "Bearer bench-token"},
        "requestContext": {"accountId": "123456789012", "apiId": "api", "domainName": "api.example.gov.vn",
                           "domainPrefix": "api", "http": {"method": "GET", "path": path, "protocol": "HTTP/1.1",
                           "sourceIp": "203.0.113.9", "userAgent": "bench"}, "requestId": "r1", "routeKey": "$default",
                           "stage": "$default", "time": "23/Nov/2026:00:00:00 +0000", "timeEpoch": 0},
        "isBase64Encoded": False,
    }


class RuntimeApi(BaseHTTPRequestHandler):
    """The two calls a runtime makes for one invocation; the second `next` blocks until the process is killed."""
    served = 0
    answered = None
    answer = None
    path = "/api/health"

    def log_message(self, *args):
        pass

    def do_GET(self):
        if RuntimeApi.served:
            time.sleep(30)
            return
        RuntimeApi.served = 1
        body = json.dumps(event(RuntimeApi.path)).encode()
        self.send_response(200)
        for k, v in {"Lambda-Runtime-Aws-Request-Id": "1", "Lambda-Runtime-Deadline-Ms": str(int(time.time() * 1000) + 30000),
                     "Lambda-Runtime-Invoked-Function-Arn": "arn:aws:lambda:us-east-1:123456789012:function:bench",
                     "Lambda-Runtime-Trace-Id": "Root=1-0-0", "Content-Type": "application/json"}.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        RuntimeApi.answered = time.perf_counter()
        length = int(self.headers.get("Content-Length", 0))
        RuntimeApi.answer = self.rfile.read(length).decode()
        self.send_response(202)
        self.end_headers()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10)
    runs = ap.parse_args().runs
    subprocess.run(["cargo", "build", "--quiet", "--locked", "--profile", "lambda-release", "-p", "cchc-functions", "--bins"],
                   cwd=ROOT, check=True, env=dict(os.environ, CARGO_TARGET_DIR=TARGET))
    moto_port = free_port()
    moto = subprocess.Popen([os.path.join(VENV, "bin", "python"), os.path.join(ROOT, "tests", "moto_server.py"), str(moto_port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        endpoint = f"http://127.0.0.1:{moto_port}"
        boto = os.path.join(VENV, "bin", "python")
        for _ in range(50):
            try:
                socket.create_connection(("127.0.0.1", moto_port), timeout=0.2).close(); break
            except OSError:
                time.sleep(0.1)
        subprocess.run([boto, "-c", (
            "import boto3; c = boto3.client('dynamodb', endpoint_url='%s', region_name='us-east-1', aws_access_key_id='t', aws_secret_access_key='t');"
            "c.create_table(TableName='bench', BillingMode='PAY_PER_REQUEST', AttributeDefinitions=[{'AttributeName': n, 'AttributeType': 'S'} for n in ('pk','sk','gsi1pk','gsi1sk')],"
            "KeySchema=[{'AttributeName':'pk','KeyType':'HASH'},{'AttributeName':'sk','KeyType':'RANGE'}],"
            "GlobalSecondaryIndexes=[{'IndexName':'gsi1','KeySchema':[{'AttributeName':'gsi1pk','KeyType':'HASH'},{'AttributeName':'gsi1sk','KeyType':'RANGE'}],'Projection':{'ProjectionType':'ALL'}}])"
        ) % endpoint], check=True)
        print(f"{'function':<18} {'binary MiB':>10} {'zip MiB':>8}  {'start to first answer, ms: median (min-max)':<44} answer")
        for name in FUNCTIONS:
            binary = os.path.join(TARGET, "lambda-release", name)
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
                z.write(binary, "bootstrap")
            # The package Lambda takes: a zip with the binary named `bootstrap`.
            with open(os.path.join(TARGET, "lambda-release", f"{name}.zip"), "wb") as f:
                f.write(buffer.getvalue())
            times, answer = [], ""
            for _ in range(runs):
                port = free_port()
                RuntimeApi.served, RuntimeApi.answered, RuntimeApi.path = 0, None, ROUTE[name]
                server = ThreadingHTTPServer(("127.0.0.1", port), RuntimeApi)
                threading.Thread(target=server.serve_forever, daemon=True).start()
                env = dict(os.environ, AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{port}", AWS_LAMBDA_FUNCTION_NAME=name,
                           AWS_LAMBDA_FUNCTION_MEMORY_SIZE="256", AWS_LAMBDA_FUNCTION_VERSION="1",
                           AWS_LAMBDA_LOG_STREAM_NAME="s", AWS_LAMBDA_LOG_GROUP_NAME="g", AWS_REGION="us-east-1",
                           AWS_ACCESS_KEY_ID="t", AWS_SECRET_ACCESS_KEY="t", CCHC_TABLE="bench", CCHC_DYNAMODB_ENDPOINT=endpoint,
                           CCHC_CHALLENGE_KEY="k", CCHC_ADDRESS_SALT="s", CCHC_MODERATION_TOKEN="bench-token", RUST_LOG="warn",
                           # No KMS here: personal data is sealed with a key file (made on first start).
                           CCHC_PERSONAL_DATA_KEY_FILE=os.path.join(os.environ.get("TMPDIR", "/tmp"), "cchc-bench-personal-data-key"))
                started = time.perf_counter()
                process = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                while RuntimeApi.answered is None and time.perf_counter() - started < 10:
                    time.sleep(0.0005)
                process.kill(); process.wait(); server.shutdown(); server.server_close()
                if RuntimeApi.answered is None:
                    sys.exit(f"{name} did not answer within 10 s")
                times.append((RuntimeApi.answered - started) * 1000)
                answer = json.loads(RuntimeApi.answer).get("statusCode")
            print(f"{name:<18} {os.path.getsize(binary) / 2**20:>10.2f} {len(buffer.getvalue()) / 2**20:>8.2f}  "
                  f"{statistics.median(times):>6.1f} ({min(times):.1f}-{max(times):.1f}){'':<26} HTTP {answer}")
    finally:
        moto.kill()


if __name__ == "__main__":
    main()
