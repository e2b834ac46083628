// Command careledger-verify checks a CareLedger log from its public C2SP
// endpoints alone, with third-party code: golang.org/x/mod/sumdb/note opens
// the checkpoint with the pinned log key (and witness cosigner keys, whose
// cosignature/v1 check is written here from the C2SP spec), and
// golang.org/x/mod/sumdb/tlog proves an entry's inclusion from the hash
// tiles (TileHashReader authenticates every tile against the checkpoint).
//
// It shares no code with CareLedger. Build offline with the Debian package
// golang-golang-x-mod-dev:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o careledger-verify .
//
// Usage:
//
//	careledger-verify -url http://host:port -log-key VKEY [-witness-key VKEY]... \
//	    [-quorum K] [-index N -leaf-hash BASE64]
//
// Exits 0 and prints "ok ..." when everything verifies, 1 otherwise.
package main

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(s string) error { *m = append(*m, s); return nil }

// cosigner verifies C2SP tlog-cosignature cosignature/v1 (Ed25519, type 0x04).
type cosigner struct {
	name string
	hash uint32
	key  ed25519.PublicKey
}

func (c *cosigner) Name() string    { return c.name }
func (c *cosigner) KeyHash() uint32 { return c.hash }
func (c *cosigner) Verify(msg, sig []byte) bool {
	if len(sig) != 8+ed25519.SignatureSize {
		return false
	}
	ts := binary.BigEndian.Uint64(sig[:8])
	if ts == 0 {
		return false
	}
	m := append([]byte(fmt.Sprintf("cosignature/v1\ntime %d\n", ts)), msg...)
	return ed25519.Verify(c.key, m, sig[8:])
}

func parseCosigner(vkey string) (*cosigner, error) {
	parts := strings.SplitN(vkey, "+", 3)
	if len(parts) != 3 {
		return nil, fmt.Errorf("malformed witness key %q", vkey)
	}
	raw, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(raw) != 1+ed25519.PublicKeySize || raw[0] != 0x04 {
		return nil, fmt.Errorf("witness key %q is not a type-0x04 Ed25519 key", vkey)
	}
	h := sha256.Sum256(append([]byte(parts[0]+"\n"), raw...))
	if hex.EncodeToString(h[:4]) != parts[1] {
		return nil, fmt.Errorf("witness key %q: key id mismatch", vkey)
	}
	return &cosigner{name: parts[0], hash: binary.BigEndian.Uint32(h[:4]), key: ed25519.PublicKey(raw[1:])}, nil
}

type tiles struct{ base string }

func (t tiles) Height() int { return 8 }
func (t tiles) ReadTiles(ts []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(ts))
	for i, tile := range ts {
		// Go's sumdb paths carry the height ("tile/8/..."); C2SP's do not.
		path := strings.TrimPrefix(tile.Path(), "tile/8/")
		b, err := get(t.base + "/log/tile/" + path)
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}
func (t tiles) SaveTiles([]tlog.Tile, [][]byte) {}

func get(url string) ([]byte, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return b, nil
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "FAIL: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	var witnessKeys multi
	base := flag.String("url", "", "log base URL")
	logKey := flag.String("log-key", "", "log verifier key")
	quorum := flag.Int("quorum", 0, "witness cosignatures required")
	index := flag.Int64("index", -1, "entry index to prove")
	leaf := flag.String("leaf-hash", "", "entry leaf hash (base64)")
	flag.Var(&witnessKeys, "witness-key", "witness cosigner key (repeatable)")
	flag.Parse()

	logV, err := note.NewVerifier(*logKey)
	if err != nil {
		fail("log key: %v", err)
	}
	verifiers := []note.Verifier{logV}
	for _, k := range witnessKeys {
		c, err := parseCosigner(k)
		if err != nil {
			fail("%v", err)
		}
		verifiers = append(verifiers, c)
	}
	msg, err := get(*base + "/log/checkpoint")
	if err != nil {
		fail("%v", err)
	}
	n, err := note.Open(msg, note.VerifierList(verifiers...))
	if err != nil {
		fail("note.Open: %v", err)
	}
	logSigned, cosigned := false, 0
	for _, s := range n.Sigs {
		if s.Name == logV.Name() && s.Hash == logV.KeyHash() {
			logSigned = true
		} else {
			cosigned++
		}
	}
	if !logSigned {
		fail("checkpoint is not signed by the log key")
	}
	if cosigned < *quorum {
		fail("only %d of %d witness cosignatures", cosigned, *quorum)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) != 4 || lines[3] != "" {
		fail("checkpoint body is not the 3-line C2SP form: %q", n.Text)
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		fail("size: %v", err)
	}
	root, err := tlog.ParseHash(lines[2])
	if err != nil {
		fail("root: %v", err)
	}
	tree := tlog.Tree{N: size, Hash: root}
	hr := tlog.TileHashReader(tree, tiles{*base})
	th, err := tlog.TreeHash(size, hr)
	if err != nil || th != root {
		fail("tree hash from tiles: %v", err)
	}
	if *index >= 0 {
		want, err := base64.StdEncoding.DecodeString(*leaf)
		if err != nil || len(want) != tlog.HashSize {
			fail("leaf hash must be 32 bytes of base64")
		}
		var h tlog.Hash
		copy(h[:], want)
		p, err := tlog.ProveRecord(size, *index, hr)
		if err != nil {
			fail("ProveRecord: %v", err)
		}
		if err := tlog.CheckRecord(p, size, root, *index, h); err != nil {
			fail("CheckRecord: %v", err)
		}
	}
	fmt.Printf("ok origin=%s size=%d cosignatures=%d\n", lines[0], size, cosigned)
}
