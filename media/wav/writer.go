package wav

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
)

// headerBytes is the size of the canonical 44-byte header this package writes.
const headerBytes = 44

// maxWriteBytes is the most sample data a WAV header can describe: the RIFF
// size field (data + 36) must fit in 32 bits.
const maxWriteBytes = 0xFFFFFFFF - (headerBytes - 8)

// header returns the canonical 44-byte header for dataBytes of f.
func header(f Format, dataBytes uint32) [headerBytes]byte {
	var h [headerBytes]byte
	copy(h[0:4], "RIFF")
	binary.LittleEndian.PutUint32(h[4:8], dataBytes+headerBytes-8)
	copy(h[8:12], "WAVE")
	copy(h[12:16], "fmt ")
	binary.LittleEndian.PutUint32(h[16:20], 16)
	binary.LittleEndian.PutUint16(h[20:22], formatPCM)
	binary.LittleEndian.PutUint16(h[22:24], uint16(f.Channels))
	binary.LittleEndian.PutUint32(h[24:28], uint32(f.SampleRate))
	binary.LittleEndian.PutUint32(h[28:32], uint32(f.SampleRate*f.blockAlign()))
	binary.LittleEndian.PutUint16(h[32:34], uint16(f.blockAlign()))
	binary.LittleEndian.PutUint16(h[34:36], 16)
	copy(h[36:40], "data")
	binary.LittleEndian.PutUint32(h[40:44], dataBytes)
	return h
}

// Encode writes samples (interleaved, a whole number of frames) as a complete
// WAV stream of format f to w, which need not be seekable.
func Encode(w io.Writer, f Format, samples []int16) error {
	if err := f.Validate(); err != nil {
		return err
	}
	if len(samples)%f.Channels != 0 {
		return fmt.Errorf("%w: %d samples is not a whole number of %d-channel frames", ErrInvalidFormat, len(samples), f.Channels)
	}
	n := int64(len(samples)) * bytesPerSample
	if n > maxWriteBytes {
		return fmt.Errorf("%w: %d bytes of samples, a WAV file holds at most %d", ErrTooLarge, n, int64(maxWriteBytes))
	}
	h := header(f, uint32(n))
	if _, err := w.Write(h[:]); err != nil {
		return fmt.Errorf("write wav header: %w", err)
	}
	var buf [4096]byte
	for len(samples) > 0 {
		k := min(len(samples), len(buf)/bytesPerSample)
		for i, s := range samples[:k] {
			binary.LittleEndian.PutUint16(buf[2*i:], uint16(s))
		}
		if _, err := w.Write(buf[:2*k]); err != nil {
			return fmt.Errorf("write wav data: %w", err)
		}
		samples = samples[k:]
	}
	return nil
}

// WriteFile writes samples as a WAV file at path, replacing any file there.
func WriteFile(path string, f Format, samples []int16) error {
	file, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create wav: %w", err)
	}
	if err := Encode(file, f, samples); err != nil {
		file.Close()
		return err
	}
	if err := file.Close(); err != nil {
		return fmt.Errorf("close wav: %w", err)
	}
	return nil
}

// Writer streams samples into a WAV file whose length is not known up front,
// such as a call recording. Close writes the final sizes into the header, so
// the destination must be seekable. A Writer is not safe for concurrent use.
type Writer struct {
	w      io.WriteSeeker
	start  int64 // offset of the header in w
	format Format
	data   int64
	buf    [4096]byte
	closed bool
}

// NewWriter writes a provisional header to w at its current position and
// returns a Writer for samples of format f.
func NewWriter(w io.WriteSeeker, f Format) (*Writer, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	start, err := w.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, fmt.Errorf("locate wav header: %w", err)
	}
	h := header(f, 0)
	if _, err := w.Write(h[:]); err != nil {
		return nil, fmt.Errorf("write wav header: %w", err)
	}
	return &Writer{w: w, start: start, format: f}, nil
}

// Write appends interleaved samples, a whole number of frames. It allocates
// nothing.
func (wr *Writer) Write(samples []int16) error {
	if wr.closed {
		return ErrClosed
	}
	if len(samples)%wr.format.Channels != 0 {
		return fmt.Errorf("%w: %d samples is not a whole number of %d-channel frames", ErrInvalidFormat, len(samples), wr.format.Channels)
	}
	if wr.data+int64(len(samples))*bytesPerSample > maxWriteBytes {
		return fmt.Errorf("%w: a WAV file holds at most %d bytes of samples", ErrTooLarge, int64(maxWriteBytes))
	}
	for len(samples) > 0 {
		k := min(len(samples), len(wr.buf)/bytesPerSample)
		for i, s := range samples[:k] {
			binary.LittleEndian.PutUint16(wr.buf[2*i:], uint16(s))
		}
		n, err := wr.w.Write(wr.buf[:2*k])
		wr.data += int64(n)
		if err != nil {
			return fmt.Errorf("write wav data: %w", err)
		}
		samples = samples[k:]
	}
	return nil
}

// Close writes the final sizes into the header and leaves w positioned at the
// end of the data. It does not close w. Calling Close twice is safe.
func (wr *Writer) Close() error {
	if wr.closed {
		return nil
	}
	wr.closed = true
	h := header(wr.format, uint32(wr.data))
	if _, err := wr.w.Seek(wr.start, io.SeekStart); err != nil {
		return fmt.Errorf("seek to wav header: %w", err)
	}
	if _, err := wr.w.Write(h[:]); err != nil {
		return fmt.Errorf("rewrite wav header: %w", err)
	}
	if _, err := wr.w.Seek(wr.start+headerBytes+wr.data, io.SeekStart); err != nil {
		return fmt.Errorf("seek to wav end: %w", err)
	}
	return nil
}
