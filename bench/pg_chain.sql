BEGIN;
SELECT seq, hash FROM bench_head WHERE id = 1 FOR UPDATE;
INSERT INTO bench_chain(seq, prev_hash) SELECT seq + 1, hash FROM bench_head WHERE id = 1;
UPDATE bench_head SET seq = seq + 1, hash = sha256(hash) WHERE id = 1;
COMMIT;
