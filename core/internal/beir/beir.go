// Package beir reads retrieval test sets in the BEIR layout: corpus.jsonl, queries
// files and tab-separated relevance judgements, each optionally gzipped (name.gz). The
// retrieval evaluation and benchmark commands share it.
package beir

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Doc is one corpus document.
type Doc struct {
	ID    string `json:"_id"`
	Title string `json:"title"`
	Text  string `json:"text"`
}

// Query is one query.
type Query struct {
	ID   string `json:"_id"`
	Text string `json:"text"`
}

// Qrels maps a query id to its judged documents' ids and grades.
type Qrels map[string]map[string]int

// ReadCorpus reads dir/corpus.jsonl (or corpus.jsonl.gz).
func ReadCorpus(dir string) ([]Doc, error) { return readJSONL[Doc](dir, "corpus.jsonl") }

// ReadQueries reads a queries file of dir, such as queries.jsonl. A missing file
// answers an error that matches os.ErrNotExist.
func ReadQueries(dir, name string) ([]Query, error) { return readJSONL[Query](dir, name) }

// ReadQrels reads a judgements file of dir (query-id, corpus-id, score; a header line is
// skipped, as are lines whose score is not a number).
func ReadQrels(dir, name string) (Qrels, error) {
	r, err := open(dir, name)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	out := Qrels{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) < 3 || f[0] == "query-id" {
			continue
		}
		g, err := strconv.Atoi(strings.TrimSpace(f[2]))
		if err != nil {
			continue
		}
		if out[f[0]] == nil {
			out[f[0]] = map[string]int{}
		}
		out[f[0]][f[1]] = g
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return out, nil
}

// open opens dir/name, or dir/name.gz decompressed.
func open(dir, name string) (io.ReadCloser, error) {
	if f, err := os.Open(filepath.Join(dir, name)); err == nil {
		return f, nil
	}
	f, err := os.Open(filepath.Join(dir, name+".gz"))
	if err != nil {
		return nil, fmt.Errorf("open %s(.gz): %w", name, err)
	}
	gz, err := gzip.NewReader(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("gunzip %s: %w", name, err)
	}
	return struct {
		io.Reader
		io.Closer
	}{gz, f}, nil
}

func readJSONL[T any](dir, name string) ([]T, error) {
	r, err := open(dir, name)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var out []T
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		if len(strings.TrimSpace(sc.Text())) == 0 {
			continue
		}
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return out, nil
}
