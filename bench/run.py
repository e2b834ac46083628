#!/usr/bin/env python3
"""Seeds the bench data set through the running api, drives the scenarios
with wrk / pgbench and writes the results into BENCHMARKS.md.

Started by scripts/bench.sh, which owns the database cluster and the api
process; everything it needs comes from the environment (see bench.sh)."""
import concurrent.futures as cf
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

E = os.environ
BASE = E["BENCH_BASE"]
API_PID = int(E["BENCH_API_PID"])
WORK = E["BENCH_WORK"]
HERE = os.path.dirname(os.path.abspath(__file__))
DUR = int(E.get("BENCH_DURATION", "10"))
RUNS = int(E.get("BENCH_RUNS", "3"))
RUNS2 = int(E.get("BENCH_RUNS_SECONDARY", str(RUNS)))
WARM = int(E.get("BENCH_WARMUP", "3"))
CONNS = int(E.get("BENCH_CONNECTIONS", "64"))
N_PAT = int(E.get("BENCH_PATIENTS", "1000"))
N_DOC = int(E.get("BENCH_DOCTORS", "20"))
N_REC = int(E.get("BENCH_RECORDS_PER_PATIENT", "10"))
SEED_CAP = float(E.get("BENCH_SEED_SECONDS", "240"))
N_EVENTS = int(E.get("BENCH_LEDGER_EVENTS", "1000000"))
SEQ_CAP = float(E.get("BENCH_SEQUENCER_SECONDS", "420"))
PASSWORD = "CareLedger-demo-1"
results = []  # rows for the table
INFO = {}
notes = []


def log(msg):
    print(f"\033[1;34m==>\033[0m {msg}", file=sys.stderr, flush=True)


def psql(sql, db=None):
    out = subprocess.run(
        ["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", db or E["BENCH_DB"], "-c", sql],
        check=True, capture_output=True, text=True)
    return out.stdout.strip()


def call(method, path, body=None, token=None, ok=(200, 201)):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(BASE + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        if e.code in ok:
            return e.code, None
        raise RuntimeError(f"{method} {path} -> {e.code}: {e.read()[:300]!r}")


def login(user):
    return call("POST", "/api/v1/auth/login", {"username": user, "password": PASSWORD})[1]["access_token"]


# ---------------------------------------------------------------- memory
class RssSampler:
    """Samples the api's VmRSS every 100 ms while a scenario runs."""

    def __init__(self):
        self.peak = 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            try:
                with open(f"/proc/{API_PID}/status") as f:
                    for line in f:
                        if line.startswith("VmRSS:"):
                            self.peak = max(self.peak, int(line.split()[1]))
            except OSError:
                pass
            time.sleep(0.1)

    def __enter__(self):
        self._t.start()
        return self

    def __exit__(self, *a):
        self._stop.set()
        self._t.join()


def vm_hwm():
    with open(f"/proc/{API_PID}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


# ---------------------------------------------------------------- wrk
def wrk_once(script, url, conns, secs, env, tag="scenario"):
    with open(os.path.join(HERE, script)) as a, open(os.path.join(HERE, "summary.lua")) as b:
        combined = os.path.join(WORK, f"{tag}.lua")
        with open(combined, "w") as out:
            out.write(a.read() + "\n" + b.read())
    threads = min(2, conns)
    cmd = ["wrk", f"-t{threads}", f"-c{conns}", f"-d{secs}s", "--timeout", "10s", "-s", combined, url]
    p = subprocess.run(cmd, capture_output=True, text=True, env={**E, **env})
    for line in p.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            r = json.loads(line[len("BENCH_JSON "):])
            r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
            r["errors"] = r["err_status"] + r["err_connect"] + r["err_read"] + r["err_write"] + r["err_timeout"]
            return r
    raise RuntimeError(f"wrk failed: {p.stdout}\n{p.stderr}")


def wrk_scenario(name, script, conns, env, runs=RUNS, secs=DUR, warm=WARM, cmd_note=""):
    log(f"{name}: warm-up {warm}s, then {runs} x {secs}s at {conns} connections")
    if warm:
        wrk_once(script, BASE, conns, warm, env)
    rs = []
    with RssSampler() as s:
        for _ in range(runs):
            rs.append(wrk_once(script, BASE, conns, secs, env))
    rs.sort(key=lambda r: r["rps"])
    med = rs[len(rs) // 2]
    row = {"name": name, "kind": "wrk", "conns": conns, "runs": runs, "secs": secs,
           "rps": med["rps"], "p50_ms": med["p50_us"] / 1000, "p99_ms": med["p99_us"] / 1000,
           "errors": sum(r["errors"] for r in rs), "requests": sum(r["requests"] for r in rs),
           "all_rps": [round(r["rps"]) for r in rs], "rss_mb": s.peak / 1024, "cmd": cmd_note}
    log(f"{name}: {row['rps']:.0f} req/s p50 {row['p50_ms']:.2f} ms p99 {row['p99_ms']:.2f} ms "
        f"errors {row['errors']} rss {row['rss_mb']:.0f} MB (runs {row['all_rps']})")
    results.append(row)
    return row


def pgbench_scenario(name, script, db, conns, runs=RUNS, secs=DUR):
    log(f"{name}: pgbench {runs} x {secs}s at {conns} clients")
    rs = []
    for i in range(runs):
        prefix = os.path.join(WORK, f"pgb{i}")
        for f in os.listdir(WORK):
            if f.startswith(f"pgb{i}"):
                os.remove(os.path.join(WORK, f))
        p = subprocess.run(["pgbench", "-n", "-M", "prepared", "-c", str(conns), "-j", "2", "-T", str(secs),
                            "-f", os.path.join(HERE, script), "-l", "--log-prefix", prefix, db],
                           capture_output=True, text=True, cwd=WORK)
        if p.returncode != 0:
            raise RuntimeError(p.stderr)
        tps = float([l for l in p.stdout.splitlines() if l.startswith("tps")][0].split()[2])
        failed = 0
        for l in p.stdout.splitlines():
            if "failed transactions" in l:
                failed = int(l.split(":")[1].split()[0])
        lat = []
        for f in os.listdir(WORK):
            if f.startswith(f"pgb{i}"):
                with open(os.path.join(WORK, f)) as fh:
                    lat += [int(l.split()[2]) for l in fh]
        lat.sort()
        rs.append({"rps": tps, "p50": lat[len(lat) // 2] / 1000, "p99": lat[int(len(lat) * 0.99)] / 1000,
                   "failed": failed, "n": len(lat)})
    rs.sort(key=lambda r: r["rps"])
    med = rs[len(rs) // 2]
    row = {"name": name, "kind": "pgbench", "conns": conns, "runs": runs, "secs": secs, "rps": med["rps"],
           "p50_ms": med["p50"], "p99_ms": med["p99"], "errors": sum(r["failed"] for r in rs),
           "requests": sum(r["n"] for r in rs), "all_rps": [round(r["rps"]) for r in rs], "rss_mb": None,
           "cmd": f"pgbench -n -M prepared -c {conns} -j 2 -T {secs} -f bench/{script}"}
    log(f"{name}: {row['rps']:.0f} tps p50 {row['p50_ms']:.2f} ms p99 {row['p99_ms']:.2f} ms (runs {row['all_rps']})")
    results.append(row)
    return row


def row_of(name, conns, secs, r, rss_mb, cmd):
    return {"name": name, "kind": "wrk", "conns": conns, "runs": 1, "secs": secs, "rps": r["rps"],
            "p50_ms": r["p50_us"] / 1000, "p99_ms": r["p99_us"] / 1000, "errors": r["errors"],
            "requests": r["requests"], "all_rps": [round(r["rps"])], "rss_mb": rss_mb, "cmd": cmd}


def guessing_flood(secs, read_env, me_env, flood_env, flood_conns=128):
    """Wrong current passwords on POST /auth/password from `flood_conns`
    connections while a doctor reads records and another user asks /auth/me,
    all for `secs` seconds at once (three wrk processes). The flood answers
    401 until the credential guard throttles it, then 429: every one of its
    answers is a non-2xx by design."""
    log(f"guessing flood: {flood_conns} connections on /auth/password for {secs}s, "
        "while a doctor reads records (4 connections) and /auth/me is asked (2 connections)")
    out = {}

    def run(key, script, conns, env):
        out[key] = wrk_once(script, BASE, conns, secs, env, tag=f"flood_{key}")

    jobs = [("flood", "random_post.lua", flood_conns, flood_env), ("read", "random_get.lua", 4, read_env),
            ("me", "random_get.lua", 2, me_env)]
    with RssSampler() as s:
        threads = [threading.Thread(target=run, args=j) for j in jobs]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    rss = s.peak / 1024
    for key, name, conns, cmd in [
            ("flood", "guessing flood: wrong current password, POST /auth/password (401 then 429 by design)",
             flood_conns, f"wrk -t2 -c{flood_conns} -d{secs}s -s bench/random_post.lua (POST /api/v1/auth/password)"),
            ("read", "under the guessing flood: audited record read (doctor)", 4,
             f"wrk -t2 -c4 -d{secs}s -s bench/random_get.lua (GET /api/v1/records/{{id}}), alongside"),
            ("me", "under the guessing flood: GET /auth/me (another user)", 2,
             f"wrk -t2 -c2 -d{secs}s -s bench/random_get.lua (GET /api/v1/auth/me), alongside")]:
        if key in out:
            row = row_of(name, conns, secs, out[key], rss, cmd)
            log(f"{name}: {row['rps']:.0f} req/s p99 {row['p99_ms']:.2f} ms errors {row['errors']}")
            results.append(row)


def write_lines(name, lines):
    path = os.path.join(WORK, name)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


# ---------------------------------------------------------------- seeding
def seed():
    t0 = time.time()
    log(f"seeding {N_DOC} doctors, {N_PAT} patients, 2 consents each (SQL)")
    psql(f"""
    BEGIN;
    INSERT INTO users (id, username, role, display_name, password_hash)
      SELECT gen_random_uuid(), 'bench_dr' || lpad(i::text, 3, '0'), 'doctor', 'Dr Bench ' || i,
             (SELECT password_hash FROM users WHERE username = 'dr_smith')
      FROM generate_series(1, {N_DOC}) i;
    INSERT INTO clinicians (user_id, department, specialty, licence_number)
      SELECT id, 'Medicine', 'General practice', 'BENCH-' || username FROM users WHERE username LIKE 'bench_dr%';
    INSERT INTO patients (id, mrn, full_name, date_of_birth, sex, created_by)
      SELECT gen_random_uuid(), 'MRN-' || nextval('patient_mrn_seq'), 'Bench Patient ' || i,
             date '1940-01-01' + (i * 37 % 25000), (ARRAY['female','male','other','unknown'])[1 + i % 4],
             (SELECT id FROM users WHERE username = 'admin')
      FROM generate_series(1, {N_PAT}) i;
    INSERT INTO consents (id, patient_id, grantee_id, access, scope, granted_by)
      SELECT gen_random_uuid(), p.id, u.id, 'read_write', 'chart', (SELECT id FROM users WHERE username = 'admin')
      FROM patients p CROSS JOIN generate_series(0, 1) k JOIN users u
        ON u.username = 'bench_dr' || lpad(((split_part(p.full_name, ' ', 3)::int + k) % {N_DOC} + 1)::text, 3, '0')
      WHERE p.full_name LIKE 'Bench Patient %';
    COMMIT;""")
    pairs = [l.split("|") for l in psql(
        f"SELECT 'bench_dr' || lpad((split_part(full_name, ' ', 3)::int % {N_DOC} + 1)::text, 3, '0'), id "
        "FROM patients WHERE full_name LIKE 'Bench Patient %'").splitlines()]
    tokens = {}
    for d in sorted({d for d, _ in pairs}):
        tokens[d] = login(d)
    drugs = ["amoxicillin", "metformin", "atorvastatin", "lisinopril", "omeprazole", "salbutamol"]
    jobs = [(d, p, k) for k in range(N_REC) for d, p in pairs]
    deadline = time.time() + SEED_CAP
    done = [0]
    log(f"seeding {len(jobs)} records through the api (16 client threads, cap {SEED_CAP:.0f}s)")

    def one(job):
        if time.time() > deadline:
            return 0
        d, p, k = job
        call("POST", f"/api/v1/patients/{p}/records", {
            "kind": "prescription", "title": f"Prescription {k + 1}",
            "body": {"drug": random.choice(drugs), "dose": "500 mg", "route": "oral",
                     "frequency": "twice daily", "duration": "7 days"}}, tokens[d])
        return 1

    with cf.ThreadPoolExecutor(16) as ex:
        done[0] = sum(ex.map(one, jobs))
    n_rec = int(psql("SELECT count(*) FROM records"))
    n_cons = int(psql("SELECT count(*) FROM consents"))
    secs = time.time() - t0
    log(f"seeded in {secs:.0f}s: {n_rec} records, {n_cons} consents")
    return {"patients": N_PAT, "doctors": N_DOC, "records_api": done[0], "records_total": n_rec,
            "records_target": len(jobs), "consents": n_cons, "seed_secs": secs}


# ---------------------------------------------------------------- ledger
def grow_ledger():
    have = int(psql("SELECT count(*) FROM ledger_entries"))
    add = max(0, N_EVENTS - have)
    log(f"inserting {add} synthetic ledger entries (SQL) on top of {have}")
    t0 = time.time()
    psql(f"""
    WITH m AS (
      SELECT row_number() OVER (ORDER BY c.id) - 1 AS k, c.id AS cid, c.patient_id, c.grantee_id,
             (SELECT r.id FROM records r WHERE r.patient_id = c.patient_id LIMIT 1) AS rid
      FROM consents c JOIN users u ON u.id = c.grantee_id AND u.role = 'doctor')
    INSERT INTO ledger_entries (time, actor_id, actor_role, action, outcome, patient_id, record_id,
                                basis_kind, basis_id, request_id, source_addr)
    SELECT now() - interval '30 days' + g * interval '2 seconds', m.grantee_id, 'doctor', 'record_viewed',
           'allowed', m.patient_id, m.rid, 'consent', m.cid, 'bench-' || g, '127.0.0.1'
    FROM generate_series(1, {add}) g JOIN m ON m.k = g % (SELECT count(*) FROM m)""")
    ins = time.time() - t0
    total = int(psql("SELECT count(*) FROM ledger_entries"))
    log(f"inserted in {ins:.0f}s ({total} entries); waiting for the sequencer (cap {SEQ_CAP:.0f}s)")
    t0 = time.time()
    last = -1
    while True:
        n = int(psql("SELECT count(*) FROM ledger_events"))
        if n >= total or time.time() - t0 > SEQ_CAP:
            break
        if n != last:
            log(f"  sequenced {n}/{total} after {time.time() - t0:.0f}s")
            last = n
        time.sleep(5)
    seq_secs = time.time() - t0
    return {"entries": total, "added": add, "events": n, "insert_secs": ins, "sequencer_secs": seq_secs,
            "complete": n >= total}


def ledger_verify(env):
    log("careledger ledger verify")
    t0 = time.time()
    p = subprocess.run([E["CARELEDGER_BIN"], "ledger", "verify"], capture_output=True, text=True, env=env)
    secs = time.time() - t0
    return {"secs": secs, "rc": p.returncode, "out": (p.stdout + p.stderr).strip()[-600:]}


# ---------------------------------------------------------------- main
def main():
    only = set(filter(None, E.get("BENCH_ONLY", "").split(",")))

    def want(k):
        return not only or k in only

    info = INFO
    info["started"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    info["data"] = seed()

    # (1) audited record read
    dr = "bench_dr001"
    tok = login(dr)
    rec = psql("SELECT r.id FROM records r JOIN consents c ON c.patient_id = r.patient_id "
               f"JOIN users u ON u.id = c.grantee_id WHERE u.username = '{dr}'").splitlines()
    info["read_records"] = len(rec)
    read_paths = write_lines("read_paths.txt", [f"/api/v1/records/{r}" for r in rec])
    wrk_scenario("audited record read (doctor, consent)", "random_get.lua", CONNS,
                 {"BENCH_TOKEN": tok, "BENCH_PATHS": read_paths},
                 cmd_note=f"wrk -t2 -c{CONNS} -d{DUR}s -s bench/random_get.lua (GET /api/v1/records/{{id}}, {len(rec)} ids)")
    info["rss_after_read_hwm_mb"] = vm_hwm() / 1024

    # (2) reference rows
    ref = E["BENCH_REF_DB"]
    psql("DROP TABLE IF EXISTS bench_insert, bench_chain, bench_head; "
         "CREATE TABLE bench_insert(id bigserial PRIMARY KEY, v int); "
         "CREATE TABLE bench_chain(seq bigint PRIMARY KEY, prev_hash bytea NOT NULL); "
         "CREATE TABLE bench_head(id int PRIMARY KEY, seq bigint NOT NULL, hash bytea NOT NULL); "
         "INSERT INTO bench_head VALUES (1, 0, sha256(''::bytea));", db=ref)
    pgbench_scenario("ref: raw durable single-row INSERT (pgbench)", "pg_insert.sql", ref, CONNS)
    pgbench_scenario("ref: serialized lock-the-head chain append (pgbench)", "pg_chain.sql", ref, CONNS)
    hp = write_lines("health_paths.txt", ["/health"])
    wrk_scenario("ref: actix-web hello-world proxy (GET /health)", "random_get.lua", CONNS,
                 {"BENCH_TOKEN": "", "BENCH_PATHS": hp}, cmd_note=f"wrk -t2 -c{CONNS} -d{DUR}s GET /health")

    # (3)/(4) ledger at N events
    if want("ledger"):
        info["ledger"] = grow_ledger()
        adm = login("admin")
        call("POST", "/api/v1/ledger/checkpoint", {}, adm)
        venv = dict(E)
        info["verify"] = ledger_verify(venv)
        n = info["ledger"]["events"]
        info["verify"]["events"] = n
        log(f"verify: {n} events in {info['verify']['secs']:.1f}s rc={info['verify']['rc']}")
        size = n
        pp = write_lines("proof_paths.txt", [f"/api/v1/ledger/events/{random.randrange(n)}/proof"
                                             for _ in range(20000)])
        wrk_scenario(f"inclusion proof at {n:,} events (admin)", "random_get.lua", CONNS,
                     {"BENCH_TOKEN": adm, "BENCH_PATHS": pp},
                     cmd_note=f"wrk -t2 -c{CONNS} -d{DUR}s GET /api/v1/ledger/events/<random seq>/proof")
        # The same at one connection: the unloaded per-request latency the
        # p99 target is about (64 connections on 2 cores measure queueing).
        wrk_scenario(f"inclusion proof at {n:,} events (admin) at 1 connection", "random_get.lua", 1,
                     {"BENCH_TOKEN": adm, "BENCH_PATHS": pp},
                     cmd_note="wrk -t1 -c1 -d{DUR}s GET /api/v1/ledger/events/<random seq>/proof".replace("{DUR}", str(DUR)))
        cpaths = []
        for _ in range(20000):
            a = random.randrange(1, size)
            cpaths.append(f"/api/v1/ledger/consistency?from={a}&to={size}")
        cp = write_lines("consistency_paths.txt", cpaths)
        wrk_scenario(f"consistency proof at {n:,} events (admin)", "random_get.lua", CONNS,
                     {"BENCH_TOKEN": login("admin"), "BENCH_PATHS": cp},
                     runs=RUNS2, cmd_note=f"wrk -t2 -c{CONNS} -d{DUR}s GET /api/v1/ledger/consistency?from=<random>&to={size}")

    # (5) record write
    if want("write"):
        pats = psql("SELECT c.patient_id FROM consents c JOIN users u ON u.id = c.grantee_id "
                    f"WHERE u.username = '{dr}'").splitlines()
        body = json.dumps({"kind": "prescription", "title": "Bench prescription",
                           "body": {"drug": "amoxicillin", "dose": "500 mg", "route": "oral",
                                    "frequency": "twice daily", "duration": "7 days"}})
        bp = write_lines("write_bodies.txt", [f"/api/v1/patients/{p}/records\t{body}" for p in pats])
        wrk_scenario("record write (seal + append)", "random_post.lua", CONNS,
                     {"BENCH_TOKEN": login(dr), "BENCH_BODIES": bp},
                     runs=RUNS2, cmd_note=f"wrk -t2 -c{CONNS} -d{DUR}s -s bench/random_post.lua (POST /api/v1/patients/{{id}}/records)")

    # (7) consent grant: patient1 grants read access to random bench doctors
    if want("consent"):
        p1 = call("GET", "/api/v1/patients?limit=1", token=login("patient1"))[1]["items"][0]["id"]
        docs = psql("SELECT id FROM users WHERE username LIKE 'bench_dr%'").splitlines()
        cb = write_lines("consent_bodies.txt", [
            "/api/v1/consents\t" + json.dumps({"patient_id": p1, "grantee_id": d, "access": "read",
                                                "scope": {"type": "chart"}, "expires_at": None}) for d in docs])
        wrk_scenario("consent grant (patient)", "random_post.lua", CONNS,
                     {"BENCH_TOKEN": login("patient1"), "BENCH_BODIES": cb},
                     runs=RUNS2, cmd_note=f"wrk -t2 -c{CONNS} -d{DUR}s -s bench/random_post.lua (POST /api/v1/consents)")
        info["patient1_id"] = p1

    # (8) the patient's access-log page
    if want("accesslog"):
        tokp = login("patient1")
        p1 = call("GET", "/api/v1/patients?limit=1", token=tokp)[1]["items"][0]["id"]
        ap = write_lines("accesslog_paths.txt", [f"/api/v1/ledger/events?patient={p1}&limit=50"])
        wrk_scenario("patient's access-log page (50 events)", "random_get.lua", CONNS,
                     {"BENCH_TOKEN": tokp, "BENCH_PATHS": ap},
                     runs=RUNS2, cmd_note=f"wrk -t2 -c{CONNS} -d{DUR}s GET /api/v1/ledger/events?patient=<id>&limit=50")

    # (6) login, argon2-bound: 1 and 2 connections (2 cores)
    if want("login"):
        lb = write_lines("login_bodies.txt", ["/api/v1/auth/login\t" + json.dumps(
            {"username": "bench_dr%03d" % i, "password": PASSWORD}) for i in range(1, N_DOC + 1)])
        for c in (1, 2):
            wrk_scenario(f"login (argon2) at {c} connection{'s' if c > 1 else ''}", "random_post.lua", c,
                         {"BENCH_TOKEN": "", "BENCH_BODIES": lb}, runs=1, secs=DUR, warm=2,
                         cmd_note=f"wrk -t{c} -c{c} -d{DUR}s -s bench/random_post.lua (POST /api/v1/auth/login)")

    # (6b) bare argon2 on the same machine, for the login rows' ratio
    if want("login") and E.get("BENCH_ARGON2_BIN"):
        info["argon2"] = {}
        for c in (1, 2):
            p = subprocess.run([E["BENCH_ARGON2_BIN"], str(c), str(DUR)], capture_output=True, text=True, check=True)
            info["argon2"][str(c)] = json.loads(p.stdout.strip().splitlines()[-1])
            log(f"bare argon2 at {c} thread(s): {info['argon2'][str(c)]['per_sec']:.1f} hashes/s")

    # (9) password guessing with a stolen token while others work (last: it
    # leaves nurse_kim throttled from this address)
    if want("guessing"):
        flood = write_lines("guess_bodies.txt", ["/api/v1/auth/password\t" + json.dumps(
            {"current_password": f"wrong-guess-{i:05d}", "new_password": "Bench-new-password-1"})
            for i in range(1000)])
        me = write_lines("me_paths.txt", ["/api/v1/auth/me"])
        guessing_flood(int(E.get("BENCH_GUESS_SECONDS", "15")),
                       read_env={"BENCH_TOKEN": login(dr), "BENCH_PATHS": read_paths},
                       me_env={"BENCH_TOKEN": login("patient1"), "BENCH_PATHS": me},
                       flood_env={"BENCH_TOKEN": login("nurse_kim"), "BENCH_BODIES": flood})

    info["hwm_mb"] = vm_hwm() / 1024
    info["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    with open(os.path.join(WORK, "results.json"), "w") as f:
        json.dump({"info": info, "results": results}, f, indent=1)
    log(f"results in {WORK}/results.json")


if __name__ == "__main__":
    try:
        main()
    except BaseException as e:  # keep what was measured; the report says where it stopped
        log(f"run stopped early: {e!r}")
        with open(os.path.join(WORK, "results.json"), "w") as f:
            json.dump({"info": {**INFO, "hwm_mb": vm_hwm() / 1024, "stopped": repr(e)[:300],
                                "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
                       "results": results}, f, indent=1)
        sys.exit(1)
