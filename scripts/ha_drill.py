#!/usr/bin/env python3
"""The failover drill, against the topology `scripts/ha.sh start` runs.

Per round: patients create records and read them back through HAProxy
(every read is an audited write of a `record_viewed` event); a watcher keeps
the newest signed checkpoint it has seen. Then the replication link stalls
for --stall-ms (the WAL sender is frozen), the primary is killed with
SIGKILL, the standby is promoted and the dead primary is rebuilt as the new
standby. Checks, on the new primary:
  - every acknowledged write (201) is there with its sequenced
    `record_created` event; every acknowledged read has its `record_viewed`
    event;
  - the first checkpoint signed after the failover is consistent with the
    last one a client saw before it (RFC 9162 consistency proof from
    GET /api/v1/ledger/consistency, checked here against both roots);
  - `careledger ledger verify` is clean;
  - recovery time: from the SIGKILL to the first acknowledged write sent
    after it.
Ends with `N acknowledged writes, L lost, recovered in S s`. Exit status: 0
when nothing was lost and every check held (with --expect-loss: 0 when
acknowledged writes WERE lost, the point of the asynchronous run).
Standard library only; only 127.0.0.1 traffic.
"""

import argparse
import hashlib
import json
import os
import random
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HA_DIR = os.path.join(ROOT, ".data", "ha")
HA_SH = os.path.join(ROOT, "scripts", "ha.sh")
PASSWORD = "CareLedger-demo-1"


def pg_bindir():
    base = "/usr/lib/postgresql"
    dirs = sorted(d for d in os.listdir(base) if os.path.exists(os.path.join(base, d, "bin", "psql")))
    return os.path.join(base, dirs[-1], "bin")


PSQL = os.path.join(pg_bindir(), "psql")


def log(msg):
    print(f"ha-drill: {msg}", flush=True)


class Api:
    def __init__(self, base):
        self.base = base

    def call(self, method, path, token=None, body=None, timeout=10.0):
        """(status, parsed JSON or None); status 0 when no HTTP answer came."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                raw = resp.read()
                return resp.status, (json.loads(raw) if raw else None)
        except urllib.error.HTTPError as e:
            e.read()
            return e.code, None
        except (urllib.error.URLError, OSError, ValueError):
            return 0, None

    def login(self, username):
        deadline = time.time() + 60
        while time.time() < deadline:
            status, body = self.call("POST", "/api/v1/auth/login", body={"username": username, "password": PASSWORD})
            if status == 200:
                return body["access_token"]
            time.sleep(0.5)
        raise SystemExit(f"cannot sign in as {username}")


def sh(*args, timeout=120):
    out = subprocess.run([HA_SH, *args], capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        raise SystemExit(f"ha.sh {' '.join(args)} failed:\n{out.stdout}{out.stderr}")
    for line in out.stderr.splitlines():
        if "ha:" in line:
            log("  " + line.split("ha: ", 1)[-1])
    return out.stdout.strip()


def ports():
    """The ports `ha.sh start` chose (HA_PG_PORTS, HA_API_PORTS, HA_LB_PORT)."""
    out = {}
    for line in open(os.path.join(HA_DIR, "ports")):
        key, _, value = line.strip().partition("=")
        out[key] = value.strip('"')
    return out


def primary_port():
    node = open(os.path.join(HA_DIR, "primary")).read().strip()
    pg = ports()["HA_PG_PORTS"].split()
    return pg[0] if node == "n1" else pg[1]


def sql(query):
    """Rows (lists of text) from the current primary, as the owner."""
    out = subprocess.run(
        [PSQL, "-X", "-q", "-At", "-F", "\t", "-h", "127.0.0.1", "-p", primary_port(), "-U", "postgres",
         "-d", "careledger", "-v", "ON_ERROR_STOP=1", "-f", "-"],
        input=query, capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise SystemExit(f"psql failed: {out.stderr}")
    return [line.split("\t") for line in out.stdout.splitlines() if line]


# RFC 9162 section 2.1.4.2: verifying a consistency proof.
def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def verify_consistency(first, second, first_hash, second_hash, proof):
    if first == second:
        return not proof and first_hash == second_hash
    if first == 0 or first > second or not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:  # a power of two: the old root is the seed
        path.insert(0, first_hash)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_hash and sr == second_hash and sn == 0


class Load:
    """Writers, readers and a checkpoint watcher, all through HAProxy."""

    def __init__(self, api, charts, admin_token, writers, readers):
        self.api, self.charts, self.admin = api, charts, admin_token
        self.n_writers, self.n_readers = writers, readers
        self.lock = threading.Lock()
        self.acked = []  # (record_id, sent, acked)
        self.reads = {}  # record_id -> acknowledged reads
        self.statuses = {}
        self.checkpoint = None  # newest signed checkpoint seen: (size, root, time seen)
        self.watched = []  # (sent, answered) of every successful checkpoint read
        self.stop = threading.Event()
        self.threads = []

    def count(self, what, status):
        with self.lock:
            key = f"{what} {status}"
            self.statuses[key] = self.statuses.get(key, 0) + 1

    def writer(self, n):
        token, patient = self.charts[n % len(self.charts)]
        i = 0
        while not self.stop.is_set():
            i += 1
            body = {"kind": "document", "title": f"drill {n}-{i}",
                    "body": {"filename": "drill.txt", "content_type": "text/plain", "content": f"drill {n}-{i}"}}
            sent = time.time()
            status, resp = self.api.call("POST", f"/api/v1/patients/{patient}/records", token, body)
            self.count("write", status)
            if status == 201:
                with self.lock:
                    self.acked.append((resp["id"], sent, time.time(), n % len(self.charts)))
            elif status in (0, 502, 503, 504, 500):
                time.sleep(0.05)

    def reader(self, n):
        while not self.stop.is_set():
            with self.lock:
                mine = [a for a in self.acked[-200:] if a[3] == n % len(self.charts)]
            if not mine:
                time.sleep(0.05)
                continue
            rid = random.choice(mine)[0]
            token = self.charts[n % len(self.charts)][0]
            status, _ = self.api.call("GET", f"/api/v1/records/{rid}", token)
            self.count("read", status)
            if status == 200:
                with self.lock:
                    self.reads[rid] = self.reads.get(rid, 0) + 1
            else:
                time.sleep(0.05)

    def watcher(self):
        while not self.stop.is_set():
            sent = time.time()
            status, body = self.api.call("GET", "/api/v1/ledger/checkpoint", self.admin, timeout=2)
            if status == 200:
                cp = body["checkpoint"]
                with self.lock:
                    self.watched.append((sent, time.time()))
                    if self.checkpoint is None or cp["size"] > self.checkpoint[0]:
                        self.checkpoint = (cp["size"], bytes.fromhex(cp["root"]), time.time())
            time.sleep(0.1)

    def start(self):
        self.stop.clear()
        self.threads = [threading.Thread(target=self.writer, args=(i,), daemon=True) for i in range(self.n_writers)]
        self.threads += [threading.Thread(target=self.reader, args=(i,), daemon=True) for i in range(self.n_readers)]
        self.threads.append(threading.Thread(target=self.watcher, daemon=True))
        for t in self.threads:
            t.start()

    def halt(self):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=30)


def wait_for(what, check, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.2)
    log(f"timed out after {timeout} s waiting for {what}")
    return None


def check_round(api, load, admin, since, cp_before, t_promoted):
    """Problems found on the new primary (an empty list when all hold), and
    how many acknowledged writes / reads lost their row or event."""
    problems = []
    with load.lock:
        acked = [a for a in load.acked if a[2] >= since]
        reads = dict(load.reads)
    ids = [a[0] for a in acked]
    if not ids:
        return ["no write was acknowledged this round"], 0, 0
    id_list = ",".join(f"'{i}'" for i in ids)
    present = {r[0] for r in sql(f"SELECT id FROM records WHERE id IN ({id_list})")}
    lost_rows = [i for i in ids if i not in present]

    def missing_events():
        if not present:
            return []
        pl = ",".join(f"'{i}'" for i in present)
        rows = sql(
            "SELECT x.record_id FROM ledger_entries x JOIN ledger_events e ON e.entry_id = x.id "
            f"WHERE x.action = 'record_created' AND x.record_id IN ({pl})")
        done = {r[0] for r in rows}
        return [i for i in present if i not in done]

    # The sequencer integrates within about a second once it leads again
    # (a record that is missing altogether is counted lost above).
    wait_for("every acknowledged write's event to be sequenced", lambda: not missing_events(), 30)
    no_event = missing_events()
    read_ids = [r for r in reads if r in set(ids)]
    lost_reads = 0
    if read_ids:
        rl = ",".join(f"'{i}'" for i in read_ids)
        viewed = {r[0]: int(r[1]) for r in sql(
            "SELECT x.record_id, count(*) FROM ledger_entries x JOIN ledger_events e ON e.entry_id = x.id "
            f"WHERE x.action = 'record_viewed' AND x.record_id IN ({rl}) GROUP BY x.record_id")}
        lost_reads = sum(max(0, reads[r] - viewed.get(r, 0)) for r in read_ids)
    if lost_rows:
        problems.append(f"{len(lost_rows)} acknowledged records missing (e.g. {lost_rows[0]})")
    if no_event:
        problems.append(f"{len(no_event)} acknowledged records without a sequenced record_created event")
    if lost_reads:
        problems.append(f"{lost_reads} acknowledged reads without their record_viewed event")

    # The first checkpoint the new leader signed, against the last one a client saw before.
    if cp_before is None:
        problems.append("no checkpoint was seen before the failover")
    else:
        size_b, root_b, _ = cp_before
        first = wait_for("the first checkpoint after the failover", lambda: sql(
            f"SELECT size FROM ledger_checkpoints WHERE size > {size_b} "
            f"AND time >= to_timestamp({int(t_promoted)}) ORDER BY size LIMIT 1"), 30)
        if not first:
            problems.append("no checkpoint signed after the failover")
        else:
            size_a = int(first[0][0])
            status, cp = api.call("GET", f"/api/v1/ledger/checkpoint?size={size_a}", admin)
            status2, proof = api.call("GET", f"/api/v1/ledger/consistency?from={size_b}&to={size_a}", admin)
            if status != 200 or status2 != 200:
                problems.append(f"checkpoint/consistency requests answered {status}/{status2}")
            else:
                root_a = bytes.fromhex(cp["checkpoint"]["root"])
                path = [bytes.fromhex(h) for h in proof["proof"]]
                ok = (bytes.fromhex(proof["from_root"]) == root_b
                      and bytes.fromhex(proof["to_root"]) == root_a
                      and verify_consistency(size_b, size_a, root_b, root_a, path))
                if not ok:
                    problems.append(f"checkpoint {size_a} after the failover is NOT consistent with checkpoint {size_b} seen before it")
                else:
                    log(f"  checkpoint {size_b} (before) -> {size_a} (first after): consistency proof verified")
    env = dict(os.environ, DATABASE_URL=sh("url"), CARELEDGER_DATA_DIR=os.path.join(HA_DIR, "keys"))
    out = subprocess.run([os.path.join(HA_DIR, "careledger"), "ledger", "verify"], capture_output=True,
                         text=True, env=env, timeout=120)
    if out.returncode != 0:
        problems.append(f"careledger ledger verify: {out.stdout.strip()} {out.stderr.strip()[-300:]}")
    else:
        log(f"  {out.stdout.strip()}")
    return problems, len(set(lost_rows) | set(no_event)), lost_reads


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--warm", type=float, default=2.0, help="seconds of load before each kill")
    ap.add_argument("--after", type=float, default=1.5, help="seconds of load after recovery")
    ap.add_argument("--stall-ms", type=int, default=500, help="replication stall before each kill")
    ap.add_argument("--writers", type=int, default=4)
    ap.add_argument("--readers", type=int, default=2)
    ap.add_argument("--expect-loss", action="store_true", help="asynchronous run: succeed when writes were lost")
    args = ap.parse_args()

    api = Api(f"http://127.0.0.1:{ports()['HA_LB_PORT']}")
    admin = api.login("admin")
    charts = []
    for user in ("patient1", "patient2"):
        pid = sql("SELECT p.id FROM patients p JOIN users u ON u.id = p.user_id "
                  f"WHERE u.username = '{user}'")[0][0]
        charts.append((api.login(user), pid))
    load = Load(api, charts, admin, args.writers, args.readers)
    total_lost = total_lost_reads = 0
    recoveries, promotes, rebuilds, reads_back, failures = [], [], [], [], []
    started = time.time()
    for rnd in range(1, args.rounds + 1):
        since = time.time()
        load.start()
        time.sleep(args.warm)
        if args.stall_ms > 0:
            sh("stall")
            time.sleep(args.stall_ms / 1000)
        with load.lock:
            cp_before = load.checkpoint
        old = open(os.path.join(HA_DIR, "primary")).read().strip()
        sh("kill-primary")
        t_kill = time.time()
        sh("promote")
        t_promoted = time.time()
        sh("rebuild")
        t_rebuilt = time.time()

        def first_ack_after_kill():
            with load.lock:
                after = [a[2] for a in load.acked if a[1] >= t_kill]
            return min(after) if after else None

        first = wait_for("an acknowledged write after the failover", first_ack_after_kill, 60)
        recovery = (first - t_kill) if first else float("inf")
        if first is None:
            failures.append(f"round {rnd}: no write was acknowledged within 60 s of the failover")
        with load.lock:
            read_again = min((a for s_, a in load.watched if s_ >= t_kill), default=float("inf"))
        reads_back.append(read_again - t_kill)
        time.sleep(args.after)
        load.halt()
        new = open(os.path.join(HA_DIR, "primary")).read().strip()
        log(f"round {rnd}: killed {old}, promoted {new} in {t_promoted - t_kill:.2f} s, "
            f"{old} rebuilt as standby in {t_rebuilt - t_promoted:.2f} s, first write acknowledged "
            f"{recovery:.2f} s after the kill")
        problems, lost, lost_reads = check_round(api, load, admin, since, cp_before, t_promoted)
        total_lost += lost
        total_lost_reads += lost_reads
        recoveries.append(recovery)
        promotes.append(t_promoted - t_kill)
        rebuilds.append(t_rebuilt - t_promoted)
        for p in problems:
            log(f"  round {rnd}: {p}")
        failures += problems
    # Writes of earlier rounds must survive the later failovers too.
    with load.lock:
        all_ids = [a[0] for a in load.acked]
    if all_ids:
        id_list = ",".join(f"'{i}'" for i in all_ids)
        kept = {r[0] for r in sql(
            "SELECT x.record_id FROM records r JOIN ledger_entries x ON x.record_id = r.id "
            f"AND x.action = 'record_created' JOIN ledger_events e ON e.entry_id = x.id WHERE r.id IN ({id_list})")}
        gone = len(set(all_ids) - kept)
        if gone > total_lost:
            failures.append(f"after all rounds, {gone} acknowledged writes lack their record or event")
            log(f"  after all rounds: {gone} acknowledged writes lack their record or sequenced event")
            total_lost = gone
    with load.lock:
        n = len(load.acked)
        n_reads = sum(load.reads.values())
        statuses = dict(sorted(load.statuses.items()))
    log(f"{args.rounds} failovers in {time.time() - started:.0f} s; answers: {statuses}")

    def series(xs):
        return " ".join(f"{x:.2f}" for x in xs)

    log(f"per failover (s): promotion {series(promotes)}; standby rebuilt {series(rebuilds)}; "
        f"kill -> first acknowledged write {series(recoveries)}; "
        f"kill -> first checkpoint read (no write, no standby wait) {series(reads_back)}")
    log(f"{n_reads} acknowledged reads, {total_lost_reads} without their ledger event")
    print(f"{n} acknowledged writes, {total_lost} lost, recovered in {max(recoveries):.1f} s", flush=True)
    if args.expect_loss:
        # Only a loss or a fork shows the point; any other failure is a failure.
        forked = any("NOT consistent" in f for f in failures)
        if total_lost or total_lost_reads or forked:
            log("asynchronous standby: acknowledged events were lost or the ledger forked, as expected")
            return 0
        log("asynchronous standby: nothing was lost in this run")
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
