package wav_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/avatar-fi/avatar/media/wav"
)

// header builds a WAV header by hand: RIFF, a fmt chunk with the given fields
// (and extra bytes), optional chunks, then a data chunk header of dataSize.
type header struct {
	code       uint16
	channels   uint16
	rate       uint32
	blockAlign uint16
	bits       uint16
	fmtExtra   []byte
	before     []byte // raw chunks between fmt and data
	dataSize   uint32
	noFmt      bool
}

func (h header) bytes() []byte {
	var b bytes.Buffer
	b.WriteString("RIFF")
	_ = binary.Write(&b, binary.LittleEndian, uint32(0))
	b.WriteString("WAVE")
	if !h.noFmt {
		b.WriteString("fmt ")
		_ = binary.Write(&b, binary.LittleEndian, uint32(16+len(h.fmtExtra)))
		_ = binary.Write(&b, binary.LittleEndian, h.code)
		_ = binary.Write(&b, binary.LittleEndian, h.channels)
		_ = binary.Write(&b, binary.LittleEndian, h.rate)
		_ = binary.Write(&b, binary.LittleEndian, h.rate*uint32(h.blockAlign))
		_ = binary.Write(&b, binary.LittleEndian, h.blockAlign)
		_ = binary.Write(&b, binary.LittleEndian, h.bits)
		b.Write(h.fmtExtra)
	}
	b.Write(h.before)
	b.WriteString("data")
	_ = binary.Write(&b, binary.LittleEndian, h.dataSize)
	return b.Bytes()
}

func pcm16(channels uint16, rate uint32, dataSize uint32) header {
	return header{code: 1, channels: channels, rate: rate, blockAlign: 2 * channels, bits: 16, dataSize: dataSize}
}

func extensible(validBits uint16, subformat uint16) []byte {
	b := make([]byte, 24)
	binary.LittleEndian.PutUint16(b[0:], 22) // cbSize
	binary.LittleEndian.PutUint16(b[2:], validBits)
	binary.LittleEndian.PutUint16(b[8:], subformat)
	copy(b[10:], []byte{0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71})
	return b
}

func chunk(id string, payload []byte) []byte {
	b := []byte(id)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(payload)))
	b = append(b, payload...)
	if len(payload)%2 == 1 {
		b = append(b, 0)
	}
	return b
}

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name    string
		format  wav.Format
		samples []int16
	}{
		{name: "mono 16k", format: wav.Format{SampleRate: 16000, Channels: 1}, samples: []int16{0, 1, -1, 32767, -32768, 1234}},
		{name: "stereo 48k", format: wav.Format{SampleRate: 48000, Channels: 2}, samples: []int16{1, 2, 3, 4, -5, -6}},
		{name: "odd rate", format: wav.Format{SampleRate: 11025, Channels: 1}, samples: []int16{7}},
		{name: "empty", format: wav.Format{SampleRate: 8000, Channels: 1}, samples: []int16{}},
		{name: "long", format: wav.Format{SampleRate: 16000, Channels: 1}, samples: make([]int16, 10001)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := wav.Encode(&buf, tt.format, tt.samples); err != nil {
				t.Fatalf("Encode: %v", err)
			}
			if got := buf.Len(); got != 44+2*len(tt.samples) {
				t.Errorf("file is %d bytes, want %d", got, 44+2*len(tt.samples))
			}
			got, f, err := wav.ReadAll(bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatalf("ReadAll: %v", err)
			}
			if f != tt.format || !slices.Equal(got, tt.samples) {
				t.Errorf("read back %v %v, want %v %v", f, got, tt.format, tt.samples)
			}
		})
	}
}

func TestWriterAndFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "rec.wav")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	format := wav.Format{SampleRate: 16000, Channels: 2}
	w, err := wav.NewWriter(f, format)
	if err != nil {
		t.Fatal(err)
	}
	var want []int16
	for i := range 5 {
		frame := []int16{int16(i), int16(-i), int16(100 * i), 7}
		if err := w.Write(frame); err != nil {
			t.Fatal(err)
		}
		want = append(want, frame...)
	}
	if err := w.Write([]int16{1}); !errors.Is(err, wav.ErrInvalidFormat) {
		t.Errorf("odd stereo write: err = %v, want ErrInvalidFormat", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := w.Write(want); !errors.Is(err, wav.ErrClosed) {
		t.Errorf("write after Close: err = %v, want ErrClosed", err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	got, gotFormat, err := wav.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if gotFormat != format || !slices.Equal(got, want) {
		t.Errorf("ReadFile = %v %v, want %v %v", gotFormat, got, format, want)
	}
	// WriteFile produces the same bytes as the streaming writer.
	path2 := filepath.Join(dir, "whole.wav")
	if err := wav.WriteFile(path2, format, want); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(path)
	b, _ := os.ReadFile(path2)
	if !bytes.Equal(a, b) {
		t.Error("WriteFile and Writer produce different files")
	}
	if _, _, err := wav.ReadFile(filepath.Join(dir, "missing.wav")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: err = %v, want os.ErrNotExist", err)
	}
}

func TestReadHeaders(t *testing.T) {
	data4 := []byte{1, 0, 2, 0, 3, 0, 4, 0}
	tests := []struct {
		name    string
		input   []byte
		opts    []wav.Option
		want    []int16
		format  wav.Format
		wantErr error
	}{
		{name: "plain mono", input: append(pcm16(1, 16000, 8).bytes(), data4...), want: []int16{1, 2, 3, 4}, format: wav.Format{SampleRate: 16000, Channels: 1}},
		{name: "fmt with cbSize", input: append(func() []byte { h := pcm16(1, 8000, 8); h.fmtExtra = []byte{0, 0}; return h.bytes() }(), data4...), want: []int16{1, 2, 3, 4}, format: wav.Format{SampleRate: 8000, Channels: 1}},
		{name: "extensible PCM", input: append(func() []byte {
			h := pcm16(2, 48000, 8)
			h.code = 0xFFFE
			h.fmtExtra = extensible(16, 1)
			return h.bytes()
		}(), data4...), want: []int16{1, 2, 3, 4}, format: wav.Format{SampleRate: 48000, Channels: 2}},
		{name: "LIST chunk skipped, odd size padded", input: append(func() []byte { h := pcm16(1, 16000, 8); h.before = chunk("LIST", []byte("abc")); return h.bytes() }(), data4...), want: []int16{1, 2, 3, 4}, format: wav.Format{SampleRate: 16000, Channels: 1}},
		{name: "unknown size reads to EOF", input: append(pcm16(1, 16000, 0xFFFFFFFF).bytes(), data4...), want: []int16{1, 2, 3, 4}, format: wav.Format{SampleRate: 16000, Channels: 1}},
		{name: "trailing partial frame ignored", input: append(pcm16(2, 16000, 10).bytes(), append(data4, 9, 0)...), want: []int16{1, 2, 3, 4}, format: wav.Format{SampleRate: 16000, Channels: 2}},
		{name: "empty input", input: nil, wantErr: wav.ErrTruncated},
		{name: "not RIFF", input: []byte("OggS\x00\x00\x00\x00WAVEfmt "), wantErr: wav.ErrNotWAV},
		{name: "RIFF but not WAVE", input: []byte("RIFF\x00\x00\x00\x00AVI LIST"), wantErr: wav.ErrNotWAV},
		{name: "RF64", input: []byte("RF64\xff\xff\xff\xffWAVEds64"), wantErr: wav.ErrUnsupported},
		{name: "float samples", input: func() []byte { h := pcm16(1, 16000, 8); h.code = 3; h.bits = 32; h.blockAlign = 4; return h.bytes() }(), wantErr: wav.ErrUnsupported},
		{name: "mu-law", input: func() []byte { h := pcm16(1, 8000, 8); h.code = 7; h.bits = 8; h.blockAlign = 1; return h.bytes() }(), wantErr: wav.ErrUnsupported},
		{name: "24-bit PCM", input: func() []byte { h := pcm16(1, 48000, 6); h.bits = 24; h.blockAlign = 3; return h.bytes() }(), wantErr: wav.ErrUnsupported},
		{name: "8-bit PCM", input: func() []byte { h := pcm16(1, 8000, 8); h.bits = 8; h.blockAlign = 1; return h.bytes() }(), wantErr: wav.ErrUnsupported},
		{name: "6 channels", input: pcm16(6, 48000, 12).bytes(), wantErr: wav.ErrUnsupported},
		{name: "extensible float", input: func() []byte {
			h := pcm16(1, 48000, 8)
			h.code = 0xFFFE
			h.fmtExtra = extensible(16, 3)
			return h.bytes()
		}(), wantErr: wav.ErrUnsupported},
		{name: "rate too high", input: pcm16(1, 10_000_000, 8).bytes(), wantErr: wav.ErrUnsupported},
		{name: "zero channels", input: pcm16(0, 16000, 8).bytes(), wantErr: wav.ErrMalformed},
		{name: "zero rate", input: pcm16(1, 0, 8).bytes(), wantErr: wav.ErrMalformed},
		{name: "bad block align", input: func() []byte { h := pcm16(2, 16000, 8); h.blockAlign = 2; return h.bytes() }(), wantErr: wav.ErrMalformed},
		{name: "data before fmt", input: func() []byte { h := pcm16(1, 16000, 8); h.noFmt = true; return h.bytes() }(), wantErr: wav.ErrMalformed},
		{name: "no data chunk", input: []byte("RIFF\x00\x00\x00\x00WAVE"), wantErr: wav.ErrMalformed},
		{name: "short fmt", input: append([]byte("RIFF\x00\x00\x00\x00WAVEfmt \x08\x00\x00\x00"), make([]byte, 8)...), wantErr: wav.ErrMalformed},
		{name: "huge fmt", input: []byte("RIFF\x00\x00\x00\x00WAVEfmt \xff\xff\xff\x7f"), wantErr: wav.ErrMalformed},
		{name: "truncated fmt", input: []byte("RIFF\x00\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00"), wantErr: wav.ErrTruncated},
		{name: "hostile data size", input: pcm16(1, 16000, 0xFFFFFFF0).bytes(), wantErr: wav.ErrTooLarge},
		{name: "data over custom cap", input: append(pcm16(1, 16000, 8).bytes(), data4...), opts: []wav.Option{wav.WithMaxDataBytes(4)}, wantErr: wav.ErrTooLarge},
		{name: "unknown size over cap", input: append(pcm16(1, 16000, 0xFFFFFFFF).bytes(), data4...), opts: []wav.Option{wav.WithMaxDataBytes(4)}, wantErr: wav.ErrTooLarge},
		{name: "unknown size at cap", input: append(pcm16(1, 16000, 0xFFFFFFFF).bytes(), data4...), opts: []wav.Option{wav.WithMaxDataBytes(8)}, want: []int16{1, 2, 3, 4}, format: wav.Format{SampleRate: 16000, Channels: 1}},
		{name: "hostile skipped chunk", input: func() []byte { h := pcm16(1, 16000, 8); h.before = []byte("junk\xff\xff\xff\x7f"); return h.bytes() }(), wantErr: wav.ErrTooLarge},
		{name: "data shorter than declared", input: append(pcm16(1, 16000, 100).bytes(), data4...), wantErr: wav.ErrTruncated},
		{name: "invalid cap option", input: pcm16(1, 16000, 0).bytes(), opts: []wav.Option{wav.WithMaxDataBytes(0)}, wantErr: wav.ErrInvalidFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, f, err := wav.ReadAll(bytes.NewReader(tt.input), tt.opts...)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("ReadAll error = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				t.Logf("error text: %v", err)
				return
			}
			if f != tt.format || !slices.Equal(got, tt.want) {
				t.Errorf("ReadAll = %v %v, want %v %v", f, got, tt.format, tt.want)
			}
		})
	}
}

// TestHostileSizeAllocatesLittle checks that a header claiming a big data
// chunk over a tiny body costs memory for the body, not for the claim.
func TestHostileSizeAllocatesLittle(t *testing.T) {
	input := append(pcm16(1, 16000, 200<<20).bytes(), 1, 0, 2, 0)
	var err error
	allocs := testing.Benchmark(func(b *testing.B) { //nolint:thelper // the benchmark body testing.Benchmark runs, not a helper
		b.ReportAllocs()
		for b.Loop() {
			_, _, err = wav.ReadAll(bytes.NewReader(input))
		}
	}).AllocedBytesPerOp()
	if !errors.Is(err, wav.ErrTruncated) {
		t.Fatalf("err = %v, want ErrTruncated", err)
	}
	if allocs > 4<<20 {
		t.Errorf("a 200 MiB claim allocated %d bytes", allocs)
	}
}

func TestReaderStreaming(t *testing.T) {
	samples := make([]int16, 5000)
	for i := range samples {
		samples[i] = int16(i * 7)
	}
	var buf bytes.Buffer
	if err := wav.Encode(&buf, wav.Format{SampleRate: 16000, Channels: 2}, samples); err != nil {
		t.Fatal(err)
	}
	r, err := wav.NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if r.DataBytes() != 10000 {
		t.Errorf("DataBytes = %d, want 10000", r.DataBytes())
	}
	var got []int16
	dst := make([]int16, 333) // odd: Read must round down to whole frames
	for {
		n, err := r.Read(dst)
		if n%2 != 0 {
			t.Fatalf("Read returned %d samples, not whole stereo frames", n)
		}
		got = append(got, dst[:n]...)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Equal(got, samples) {
		t.Error("streamed samples differ")
	}
}

func TestEncodeErrors(t *testing.T) {
	tests := []struct {
		name    string
		format  wav.Format
		samples []int16
		wantErr error
	}{
		{name: "3 channels", format: wav.Format{SampleRate: 16000, Channels: 3}, wantErr: wav.ErrInvalidFormat},
		{name: "zero rate", format: wav.Format{SampleRate: 0, Channels: 1}, wantErr: wav.ErrInvalidFormat},
		{name: "partial stereo frame", format: wav.Format{SampleRate: 16000, Channels: 2}, samples: []int16{1, 2, 3}, wantErr: wav.ErrInvalidFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := wav.Encode(io.Discard, tt.format, tt.samples); !errors.Is(err, tt.wantErr) {
				t.Errorf("Encode error = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

// FuzzReadAll checks that no input makes the reader panic or return samples
// with a format it would reject.
func FuzzReadAll(f *testing.F) {
	var ok bytes.Buffer
	_ = wav.Encode(&ok, wav.Format{SampleRate: 16000, Channels: 1}, []int16{1, 2, 3})
	f.Add(ok.Bytes())
	f.Add(pcm16(2, 48000, 0xFFFFFFFF).bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		samples, format, err := wav.ReadAll(bytes.NewReader(data), wav.WithMaxDataBytes(1<<16))
		if err != nil {
			return
		}
		if verr := format.Validate(); verr != nil {
			t.Fatalf("accepted invalid format %v: %v", format, verr)
		}
		if len(samples)%format.Channels != 0 {
			t.Fatalf("%d samples for %d channels", len(samples), format.Channels)
		}
	})
}

func BenchmarkReaderRead(b *testing.B) {
	var buf bytes.Buffer
	_ = wav.Encode(&buf, wav.Format{SampleRate: 16000, Channels: 1}, make([]int16, 320*1000))
	data := buf.Bytes()
	dst := make([]int16, 320)
	r, _ := wav.NewReader(bytes.NewReader(data))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Read(dst); err != nil {
			r, _ = wav.NewReader(bytes.NewReader(data))
		}
	}
}

func ExampleEncode() {
	var buf bytes.Buffer
	_ = wav.Encode(&buf, wav.Format{SampleRate: 16000, Channels: 1}, make([]int16, 320))
	samples, format, _ := wav.ReadAll(&buf)
	fmt.Println(len(samples), format.SampleRate, format.Channels)
	// Output: 320 16000 1
}
