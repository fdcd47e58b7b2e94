package beir

import (
	"errors"
	"os"
	"reflect"
	"testing"
)

func TestRead(t *testing.T) {
	docs, err := ReadCorpus("testdata/set") // gzipped
	if err != nil {
		t.Fatal(err)
	}
	want := []Doc{{"d1", "T1", "first doc"}, {"d2", "", "second"}}
	if !reflect.DeepEqual(docs, want) {
		t.Fatalf("corpus %v, want %v", docs, want)
	}
	qs, err := ReadQueries("testdata/set", "queries.jsonl") // plain
	if err != nil || len(qs) != 1 || qs[0] != (Query{"q1", "what is gap"}) {
		t.Fatalf("queries %v, %v", qs, err)
	}
	qrels, err := ReadQrels("testdata/set", "qrels.tsv")
	if err != nil || !reflect.DeepEqual(qrels, Qrels{"q1": {"d1": 2, "d2": 1}}) {
		t.Fatalf("qrels %v, %v", qrels, err)
	}
	if _, err := ReadQueries("testdata/set", "queries_dev.jsonl"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v, want os.ErrNotExist", err)
	}
}
