package lexicon

import "strings"

// numberWords are spoken numbers as a recogniser writes them.
var numberWords = setOf(
	"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
	"eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
	"eighteen", "nineteen", "twenty", "thirty", "forty", "fifty", "sixty", "seventy",
	"eighty", "ninety", "hundred", "thousand", "grand", "bucks", "dollars", "dollar",
	"cents", "percent",
)

// moneyUnits follow a figure that is money or a rate.
var moneyUnits = setOf("dollar", "buck", "grand", "cent", "percent", "monthli")

// otherUnits follow a figure that is not money: a distance, a duration, a count.
var otherUnits = setOf("mile", "year", "month", "day", "week", "hour", "minut", "time", "peopl",
	"custom", "kid", "car", "mph")

// timeWords come before a figure that is a clock time.
var timeWords = map[string]bool{"by": true, "until": true, "till": true, "before": true, "after": true}

// periods follow "a" or "per" after a figure that is a rate: "38 a month".
var periods = setOf("month", "day", "week", "year")

// HasAmount reports whether the line states a price, payment or rate: a
// dollar sign; a figure followed by a unit of money ("two thousand
// dollars", "five point nine percent"); a figure followed by "a" or "per"
// and a period ("38 a month", "a dollar a day"); or a bare figure of three
// or more digits, or of two or more spoken number words ("eighteen ninety
// five"), that no unit of distance, time or count follows.
func (t *Text) HasAmount() bool {
	if strings.ContainsRune(t.Raw, '$') {
		return true
	}
	n := len(t.Words)
	for i := 0; i < n; i++ {
		w := t.Words[i]
		isDigits := allDigits(w)
		_, isWord := numberWords[w]
		if !isDigits && !isWord {
			continue
		}
		if isWord && !isDigits {
			if _, money := moneyUnits[t.Stems[i]]; money {
				if i > 0 && t.Words[i-1] == "a" && i+2 < n && t.Words[i+1] == "a" {
					return true // "a dollar a day"
				}
			}
		}
		// The run of figures starting here.
		j := i
		words := 0
		for j < n && (allDigits(t.Words[j]) || isNumberWord(t.Words[j]) || t.Words[j] == "point" || t.Words[j] == "and") {
			if isNumberWord(t.Words[j]) {
				words++
			}
			j++
		}
		for j > i && (t.Words[j-1] == "and" || t.Words[j-1] == "point") {
			j--
		}
		next := ""
		if j < n {
			next = t.Stems[j]
		}
		if _, ok := moneyUnits[next]; ok {
			return true
		}
		if (next == "a" || next == "per" || next == "each") && j+1 < n {
			if _, ok := periods[t.Stems[j+1]]; ok {
				return true
			}
		}
		_, other := otherUnits[next]
		if i > 0 && timeWords[t.Words[i-1]] {
			other = true // "out by five thirty" is a time
		}
		if !other && (isDigits && len(strings.ReplaceAll(w, ".", "")) >= 3 || words >= 2) {
			return true
		}
		i = j
	}
	return false
}

// isNumberWord reports a spoken number ("one" included inside a run).
func isNumberWord(w string) bool {
	switch w {
	case "dollar", "dollars", "bucks", "grand", "cents", "percent":
		return false
	}
	_, ok := numberWords[w]
	return ok || w == "one"
}

// allDigits reports a figure written in digits ("2495", "6.9").
func allDigits(w string) bool {
	for i := 0; i < len(w); i++ {
		if (w[i] < '0' || w[i] > '9') && w[i] != '.' {
			return false
		}
	}
	return w != "" && w[0] != '.'
}
