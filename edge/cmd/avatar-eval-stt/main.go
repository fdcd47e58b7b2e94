// Command avatar-eval-stt prints the word error rate of the embedded
// speech-to-text engine (PocketSphinx) on a folder of 16 kHz mono WAV files
// with a transcripts.tsv (header row file<TAB>text), sending each file
// through the path a call's audio takes (Opus round trip, resampling,
// endpointing, streaming decode split at pauses). Scoring lower-cases both
// sides, strips punctuation and reads "oh" as "zero".
//
// It scores the generic language model and a domain model interpolated with
// it, and ends with the line WER=<value> for the generic model. The domain
// model is -domain-lm (or AVATAR_STT_LM) when set; otherwise a trigram model
// built from -domain-text, by default the small F&I corpus embedded in
// internal/stt/lm. -build-lm FILE writes that model in ARPA format (for
// AVATAR_STT_LM) and exits.
//
// -split tune or report scores half of each set (the clips at even or odd
// positions, sorted by name: speechset.Split); settings are chosen on the
// tune half and confirmed on the report half. Each score also gives the
// decoding's CPU time per second of audio.
//
//	avatar-eval-stt [-v] [-split all|tune|report] [-domain-lm FILE | -domain-text FILE] [-domain-weight 0.5] DIR...
//	avatar-eval-stt -domain-text corpus.txt -build-lm domain.arpa
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/avatar-fi/avatar/edge/internal/evaluation"
	"github.com/avatar-fi/avatar/edge/internal/stt/lm"
	"github.com/avatar-fi/avatar/edge/internal/stt/pocketsphinx"
	"github.com/avatar-fi/avatar/media/speechset"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "avatar-eval-stt:", err)
		os.Exit(1)
	}
}

func run() error {
	verbose := flag.Bool("v", false, "print every clip's hypothesis")
	domainLM := flag.String("domain-lm", os.Getenv("AVATAR_STT_LM"), "domain language model (ARPA or binary) to score as well; default $AVATAR_STT_LM")
	weight := flag.Float64("domain-weight", pocketsphinx.DefaultDomainWeight, "interpolation weight of the domain model")
	domainText := flag.String("domain-text", "", "build the domain model from this text, one sentence a line (default: the embedded F&I corpus)")
	buildLM := flag.String("build-lm", "", "write the domain model built from -domain-text to this ARPA file and exit")
	noDomain := flag.Bool("no-domain", false, "score the generic model only")
	extra := flag.String("ps-args", "", "extra PocketSphinx arguments, space-separated (e.g. \"-maxhmmpf 10000\")")
	split := flag.String("split", speechset.All, "clips of each set to score: all, tune (even positions) or report (odd positions)")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: avatar-eval-stt [flags] DIR...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *buildLM != "" || (*domainLM == "" && !*noDomain) {
		path, err := buildDomainLM(*domainText, *buildLM)
		if err != nil {
			return err
		}
		if *buildLM != "" {
			fmt.Println("wrote", path)
			return nil
		}
		defer func() { _ = os.Remove(path) }() // a temporary file; nothing to do if it is already gone
		*domainLM = path
	}
	if flag.NArg() == 0 {
		flag.Usage()
		return fmt.Errorf("want a dataset directory")
	}
	var clips []speechset.Clip
	for _, dir := range flag.Args() {
		all, err := speechset.Load(dir)
		if err != nil {
			return err
		}
		part, err := speechset.Split(all, *split)
		if err != nil {
			return err
		}
		clips = append(clips, part...)
	}
	if len(clips) == 0 {
		return fmt.Errorf("%s: no clips in transcripts.tsv", strings.Join(flag.Args(), ", "))
	}
	ctx := context.Background()
	base := pocketsphinx.Config{ExtraArgs: strings.Fields(*extra)}

	var domain *scored
	if *domainLM != "" && !*noDomain {
		cfg := base
		cfg.DomainLM, cfg.DomainWeight = *domainLM, *weight
		r, err := score(ctx, cfg, clips, *verbose, "domain")
		if err != nil {
			return err
		}
		domain = &r
	}
	generic, err := score(ctx, base, clips, *verbose, "generic")
	if err != nil {
		return err
	}
	if domain != nil {
		name := *domainLM
		if *domainText == "" && os.Getenv("AVATAR_STT_LM") == "" {
			name = "embedded F&I corpus"
		}
		report("domain ("+name+", weight "+fmt.Sprint(*weight)+")", *domain)
	}
	report("generic", generic)
	fmt.Printf("WER=%.4f\n", generic.WER())
	return nil
}

// buildDomainLM builds an ARPA model from the text file (or the embedded
// corpus) into out, or a temporary file when out is empty.
func buildDomainLM(textFile, out string) (string, error) {
	text := lm.DefaultCorpus
	if textFile != "" {
		b, err := os.ReadFile(textFile)
		if err != nil {
			return "", err
		}
		text = string(b)
	}
	var f *os.File
	var err error
	if out != "" {
		f, err = os.Create(out)
	} else {
		f, err = os.CreateTemp("", "avatar-domain-*.arpa")
	}
	if err != nil {
		return "", err
	}
	if err := lm.Build(strings.NewReader(text), f); err != nil {
		f.Close()
		return "", err
	}
	return f.Name(), f.Close()
}

// scored is an evaluation and the process CPU time it took.
type scored struct {
	evaluation.Result
	cpu time.Duration
}

func score(ctx context.Context, cfg pocketsphinx.Config, clips []speechset.Clip, verbose bool, name string) (scored, error) {
	tr, err := pocketsphinx.New(cfg)
	if err != nil {
		return scored{}, err
	}
	defer tr.Close()
	cpu0 := processCPU()
	res, err := evaluation.Run(ctx, tr, clips)
	if err != nil {
		return scored{}, err
	}
	r := scored{Result: res, cpu: processCPU() - cpu0}
	if verbose {
		for _, c := range r.Clips {
			fmt.Printf("%s\t%s\t%d/%d\tref=%q\thyp=%q\n", name, c.Name, c.Errors, c.Words, c.Reference, c.Hypothesis)
		}
	}
	return r, nil
}

// processCPU returns the process's user and system CPU time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func report(name string, r scored) {
	fmt.Printf("%s: WER %.4f (%d errors / %d words, %d clips, %.1f s of audio in %.1f s, CPU %.3f s per audio s); finalise p50 %v p95 %v max %v\n",
		name, r.WER(), r.Errors, r.Words, len(r.Clips), r.Audio.Seconds(), r.Wall.Seconds(), r.cpu.Seconds()/r.Audio.Seconds(),
		r.FinaliseQuantile(0.5).Round(time.Millisecond), r.FinaliseQuantile(0.95).Round(time.Millisecond), r.FinaliseQuantile(1).Round(time.Millisecond))
}
