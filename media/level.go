package media

// Peak returns the largest absolute sample of pcm (0 to 32768): the level
// the edge's reply trimming and the load tester's "heard" measure compare
// with a threshold.
func Peak(pcm []int16) int {
	m := 0
	for _, x := range pcm {
		m = max(m, int(x), -int(x))
	}
	return m
}
