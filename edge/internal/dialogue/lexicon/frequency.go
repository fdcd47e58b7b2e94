package lexicon

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed" // the word counts
	"math"
	"strconv"
	"strings"
	"sync"
)

//go:embed subtlex.tsv.gz
var subtlexGz []byte

var (
	freqOnce  sync.Once
	wordCount map[string]float64
	maxCount  float64
)

func loadFrequencies() {
	wordCount = map[string]float64{}
	zr, err := gzip.NewReader(bytes.NewReader(subtlexGz))
	if err != nil {
		return // an empty table: every word counts as rare
	}
	defer zr.Close()
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		w, c, ok := strings.Cut(sc.Text(), "\t")
		if !ok || strings.HasPrefix(w, "#") {
			continue
		}
		n, err := strconv.ParseFloat(c, 64)
		if err != nil {
			continue
		}
		wordCount[w] = n
		maxCount = max(maxCount, n)
	}
}

// Informativeness says how much a word tells about what a line is about,
// from 0.05 (the commonest words of spoken English: "you", "the") to 1 (a
// word rarer than the 40,000 commonest, "deductible"): the log of how much
// rarer it is than the commonest word, from SUBTLEX-US counts of American
// film and TV subtitles. A question's filler ("supposed", "like",
// "somebody") weighs little beside its topic.
func Informativeness(word string) float64 {
	freqOnce.Do(loadFrequencies)
	c, ok := wordCount[strings.ToLower(word)]
	if !ok || maxCount == 0 {
		return 1
	}
	w := (math.Log(maxCount) - math.Log(c+1)) / math.Log(maxCount)
	return math.Max(0.05, math.Min(1, w))
}
