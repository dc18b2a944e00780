#!/usr/bin/env python3
"""End-to-end latency: signed WeChat callbacks into the running service, answers observed at the fake WeChat API.

Measures, per message: the callback's own response time, and the time from sending the callback to the moment the
fake WeChat API received the customer-service message (the fake model answers instantly).
Usage: e2e.py SERVICE_URL WIREMOCK_URL TOKEN [MESSAGES] [CONCURRENCY]
"""
import hashlib
import json
import random
import statistics
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

service, wiremock, token = sys.argv[1], sys.argv[2], sys.argv[3]
messages = int(sys.argv[4]) if len(sys.argv) > 4 else 200
concurrency = int(sys.argv[5]) if len(sys.argv) > 5 else 4
run = f"{random.randrange(16**6):06x}"


def callback(i):
    openid = f"obench{run}{i:06d}"
    ts, nonce = str(int(time.time())), str(random.randrange(10**9))
    signature = hashlib.sha1("".join(sorted([token, ts, nonce])).encode()).hexdigest()
    xml = (f"<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
           f"<CreateTime>{ts}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[question {i}]]></Content>"
           f"<MsgId>{7_100_000_000_000_000_000 + int(run, 16) * 1_000_000 + i}</MsgId></xml>").encode()
    request = urllib.request.Request(f"{service}/wechat?signature={signature}&timestamp={ts}&nonce={nonce}",
                                     data=xml, headers={"Content-Type": "text/xml"})
    sent = time.time()
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read().decode()
    answered = time.time()
    assert body == "success", body
    return openid, sent, answered - sent


def delivered_at():
    with urllib.request.urlopen(f"{wiremock}/__admin/requests?limit=100000", timeout=30) as response:
        journal = json.load(response)["requests"]
    seen = {}
    for entry in journal:
        request = entry["request"]
        if request["url"].startswith("/cgi-bin/message/custom/send"):
            touser = json.loads(request["body"])["touser"]
            logged = datetime.fromisoformat(request["loggedDateString"].replace("Z", "+00:00")).timestamp()
            seen.setdefault(touser, []).append(logged)
    return seen


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


with ThreadPoolExecutor(concurrency) as pool:
    results = list(pool.map(callback, range(messages)))

deadline = time.time() + 60
while True:
    seen = delivered_at()
    if all(openid in seen for openid, _, _ in results) or time.time() > deadline:
        break
    time.sleep(0.2)

callback_ms = [r[2] * 1000 for r in results]
e2e_ms = [(seen[o][0] - sent) * 1000 for o, sent, _ in results if o in seen]
duplicates = sum(1 for o, _, _ in results if len(seen.get(o, [])) > 1)
print(f"messages={messages} concurrency={concurrency} delivered={len(e2e_ms)} duplicates={duplicates}")
for name, values in (("callback response", callback_ms), ("callback -> delivered", e2e_ms)):
    print(f"{name:22s} ms: p50={pct(values, 50):.1f} p95={pct(values, 95):.1f} p99={pct(values, 99):.1f} "
          f"max={max(values):.1f} mean={statistics.mean(values):.1f}")
