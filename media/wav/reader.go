package wav

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// DefaultMaxDataBytes caps the data chunk a Reader accepts unless changed with
// WithMaxDataBytes: 256 MiB, over two hours of 16 kHz mono speech.
const DefaultMaxDataBytes = 256 << 20

// MaxSkipBytes caps the bytes a Reader skips in chunks other than fmt and data
// (LIST, fact, cue…) before it gives up with ErrTooLarge.
const MaxSkipBytes = 1 << 20

// maxFmtBytes caps the fmt chunk: 16 (PCM), 18 (with cbSize) or 40
// (WAVE_FORMAT_EXTENSIBLE) bytes are the sizes in use.
const maxFmtBytes = 64

// unknownSize is the data size streaming writers put in a header before they
// know the length; the data then runs to the end of the input.
const unknownSize = 0xFFFFFFFF

// WAVE format codes.
const (
	formatPCM        = 0x0001
	formatFloat      = 0x0003
	formatALaw       = 0x0006
	formatMuLaw      = 0x0007
	formatExtensible = 0xFFFE
)

// pcmSubformatTail is bytes 2..16 of KSDATAFORMAT_SUBTYPE_PCM, after its
// little-endian format code.
var pcmSubformatTail = [14]byte{0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71}

// Option configures a Reader.
type Option func(*readerConfig) error

type readerConfig struct {
	maxDataBytes int64
}

// WithMaxDataBytes caps the size of the data chunk in bytes (default
// DefaultMaxDataBytes). A larger declared size fails with ErrTooLarge before
// anything is read; so does a stream of unknown size that grows past it.
func WithMaxDataBytes(n int64) Option {
	return func(c *readerConfig) error {
		if n <= 0 {
			return fmt.Errorf("%w: max data bytes %d, want > 0", ErrInvalidFormat, n)
		}
		c.maxDataBytes = n
		return nil
	}
}

// Reader streams the samples of a WAV file. It is not safe for concurrent use.
type Reader struct {
	r         io.Reader
	format    Format
	remaining int64 // data bytes left, or -1 when the size is unknown
	read      int64 // data bytes read so far
	max       int64
	buf       [4096]byte
	done      bool
}

// NewReader reads the WAV header from r up to the start of the samples and
// returns a Reader positioned there. It fails with ErrNotWAV, ErrUnsupported,
// ErrMalformed, ErrTruncated or ErrTooLarge as described on each.
func NewReader(r io.Reader, opts ...Option) (*Reader, error) {
	cfg := readerConfig{maxDataBytes: DefaultMaxDataBytes}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	rd := &Reader{r: r, max: cfg.maxDataBytes}
	if err := rd.readHeader(); err != nil {
		return nil, err
	}
	return rd, nil
}

// Format returns the format of the samples.
func (rd *Reader) Format() Format { return rd.format }

// DataBytes returns the size of the sample data declared by the header, or -1
// when the header leaves it open (the data runs to the end of the input).
func (rd *Reader) DataBytes() int64 {
	if rd.remaining < 0 {
		return -1
	}
	return rd.remaining + rd.read
}

func (rd *Reader) readHeader() error {
	var hdr [12]byte
	if _, err := io.ReadFull(rd.r, hdr[:]); err != nil {
		return fmt.Errorf("%w: RIFF header: %w", ErrTruncated, err)
	}
	switch string(hdr[0:4]) {
	case "RIFF":
	case "RF64", "BW64":
		return fmt.Errorf("%w: %s (64-bit WAV)", ErrUnsupported, hdr[0:4])
	default:
		return fmt.Errorf("%w: starts with %q", ErrNotWAV, hdr[0:4])
	}
	if string(hdr[8:12]) != "WAVE" {
		return fmt.Errorf("%w: RIFF form %q", ErrNotWAV, hdr[8:12])
	}
	var skipped int64
	haveFmt := false
	for {
		var ch [8]byte
		if _, err := io.ReadFull(rd.r, ch[:]); err != nil {
			if errors.Is(err, io.EOF) {
				return fmt.Errorf("%w: no data chunk", ErrMalformed)
			}
			return fmt.Errorf("%w: chunk header: %w", ErrTruncated, err)
		}
		id := string(ch[0:4])
		size := int64(binary.LittleEndian.Uint32(ch[4:8]))
		switch id {
		case "fmt ":
			if haveFmt {
				return fmt.Errorf("%w: two fmt chunks", ErrMalformed)
			}
			if err := rd.readFmt(size); err != nil {
				return err
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return fmt.Errorf("%w: data chunk before fmt chunk", ErrMalformed)
			}
			if size == unknownSize {
				rd.remaining = -1
				return nil
			}
			if size > rd.max {
				return fmt.Errorf("%w: data chunk of %d bytes, cap %d", ErrTooLarge, size, rd.max)
			}
			// A trailing partial frame is ignored.
			ba := int64(rd.format.blockAlign())
			rd.remaining = size - size%ba
			return nil
		default:
			n := size + size&1 // chunks are padded to even sizes
			skipped += n + int64(len(ch))
			if skipped > MaxSkipBytes {
				return fmt.Errorf("%w: more than %d bytes of non-audio chunks (%q)", ErrTooLarge, MaxSkipBytes, id)
			}
			if _, err := io.CopyN(io.Discard, rd.r, n); err != nil {
				return fmt.Errorf("%w: chunk %q: %w", ErrTruncated, id, err)
			}
		}
	}
}

func (rd *Reader) readFmt(size int64) error {
	if size < 16 {
		return fmt.Errorf("%w: fmt chunk of %d bytes, want at least 16", ErrMalformed, size)
	}
	if size > maxFmtBytes {
		return fmt.Errorf("%w: fmt chunk of %d bytes, want at most %d", ErrMalformed, size, maxFmtBytes)
	}
	var b [maxFmtBytes + 1]byte
	n := size + size&1
	if _, err := io.ReadFull(rd.r, b[:n]); err != nil {
		return fmt.Errorf("%w: fmt chunk: %w", ErrTruncated, err)
	}
	code := binary.LittleEndian.Uint16(b[0:2])
	channels := int(binary.LittleEndian.Uint16(b[2:4]))
	rate := int64(binary.LittleEndian.Uint32(b[4:8]))
	blockAlign := int(binary.LittleEndian.Uint16(b[12:14]))
	bits := int(binary.LittleEndian.Uint16(b[14:16]))
	if code == formatExtensible {
		if size < 40 {
			return fmt.Errorf("%w: WAVE_FORMAT_EXTENSIBLE fmt chunk of %d bytes, want 40", ErrMalformed, size)
		}
		code = binary.LittleEndian.Uint16(b[24:26])
		if [14]byte(b[26:40]) != pcmSubformatTail {
			return fmt.Errorf("%w: WAVE_FORMAT_EXTENSIBLE with a non-standard subformat", ErrUnsupported)
		}
		if valid := int(binary.LittleEndian.Uint16(b[18:20])); valid != 0 && valid != bits {
			return fmt.Errorf("%w: %d valid bits in %d-bit containers, want 16", ErrUnsupported, valid, bits)
		}
	}
	switch code {
	case formatPCM:
	case formatFloat:
		return fmt.Errorf("%w: %d-bit IEEE float samples, want 16-bit PCM", ErrUnsupported, bits)
	case formatALaw:
		return fmt.Errorf("%w: A-law samples, want 16-bit PCM", ErrUnsupported)
	case formatMuLaw:
		return fmt.Errorf("%w: µ-law samples, want 16-bit PCM", ErrUnsupported)
	default:
		return fmt.Errorf("%w: format code 0x%04x, want 16-bit PCM (1)", ErrUnsupported, code)
	}
	if bits != 16 {
		return fmt.Errorf("%w: %d-bit PCM, want 16-bit", ErrUnsupported, bits)
	}
	if channels == 0 {
		return fmt.Errorf("%w: 0 channels", ErrMalformed)
	}
	if channels > MaxChannels {
		return fmt.Errorf("%w: %d channels, want mono or stereo", ErrUnsupported, channels)
	}
	if rate == 0 {
		return fmt.Errorf("%w: sample rate 0", ErrMalformed)
	}
	if rate > MaxSampleRate {
		return fmt.Errorf("%w: sample rate %d Hz, want at most %d", ErrUnsupported, rate, MaxSampleRate)
	}
	f := Format{SampleRate: int(rate), Channels: channels}
	if blockAlign != f.blockAlign() {
		return fmt.Errorf("%w: block align %d for %d channels of 16-bit PCM, want %d", ErrMalformed, blockAlign, channels, f.blockAlign())
	}
	rd.format = f
	return nil
}

// Read reads up to len(dst) interleaved samples into dst, always a whole
// number of frames (len(dst) is rounded down to a multiple of the channel
// count), and returns how many it read. At the end of the data it returns
// 0, io.EOF. Input that ends before the declared data size yields ErrTruncated.
// Read allocates nothing.
func (rd *Reader) Read(dst []int16) (int, error) {
	if rd.done {
		return 0, io.EOF
	}
	ch := rd.format.Channels
	want := len(dst) - len(dst)%ch
	if want == 0 {
		return 0, nil
	}
	total := 0
	for total < want {
		nb := min((want-total)*bytesPerSample, len(rd.buf))
		nb -= nb % rd.format.blockAlign()
		if rd.remaining >= 0 {
			nb = int(min(int64(nb), rd.remaining))
		} else if rd.read+int64(nb) > rd.max {
			nb = int(rd.max - rd.read)
			nb -= nb % rd.format.blockAlign()
			if nb == 0 {
				// At the cap: the data must end here.
				if k, _ := io.ReadFull(rd.r, rd.buf[:1]); k == 0 {
					rd.done = true
					break
				}
				rd.done = true
				return total, fmt.Errorf("%w: data beyond %d bytes", ErrTooLarge, rd.max)
			}
		}
		if nb == 0 {
			rd.done = true
			break
		}
		got, err := io.ReadFull(rd.r, rd.buf[:nb])
		got -= got % rd.format.blockAlign()
		for i := 0; i < got; i += 2 {
			dst[total] = int16(binary.LittleEndian.Uint16(rd.buf[i : i+2]))
			total++
		}
		rd.read += int64(got)
		if rd.remaining >= 0 {
			rd.remaining -= int64(got)
		}
		if err != nil {
			rd.done = true
			if rd.remaining < 0 && (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)) {
				break // unknown size: the end of input is the end of data
			}
			return total, fmt.Errorf("%w: data ends after %d bytes: %w", ErrTruncated, rd.read, err)
		}
	}
	if total == 0 {
		return 0, io.EOF
	}
	return total, nil
}

// ReadAll reads a whole WAV stream and returns its interleaved samples and
// format. Memory grows with the data actually read, never with the size a
// header claims.
func ReadAll(r io.Reader, opts ...Option) ([]int16, Format, error) {
	rd, err := NewReader(r, opts...)
	if err != nil {
		return nil, Format{}, err
	}
	initial := int64(1 << 16)
	if n := rd.DataBytes(); n >= 0 {
		initial = min(n/bytesPerSample, 1<<20)
	}
	out := make([]int16, 0, initial)
	chunk := make([]int16, 4096)
	for {
		n, err := rd.Read(chunk)
		out = append(out, chunk[:n]...)
		if errors.Is(err, io.EOF) {
			return out, rd.format, nil
		}
		if err != nil {
			return nil, Format{}, err
		}
	}
}

// ReadFile reads the WAV file at path; see ReadAll.
func ReadFile(path string, opts ...Option) ([]int16, Format, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, Format{}, fmt.Errorf("open wav: %w", err)
	}
	defer f.Close()
	samples, format, err := ReadAll(f, opts...)
	if err != nil {
		return nil, Format{}, fmt.Errorf("read %s: %w", path, err)
	}
	return samples, format, nil
}
