// Package lexicon turns a spoken line into what the dialogue engines match on:
// lower-case words with contractions expanded (the recogniser writes "it's"
// and "it is" either way), their Snowball stems, stop words, phrase cues
// matched on stems, numbers and money amounts, and a hashed bag-of-features
// vector for nearest-example similarity. It works on text without
// punctuation or capitals, as speech-to-text produces it.
package lexicon
