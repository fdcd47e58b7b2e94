// padWav puts silence around a 16-bit PCM WAV clip, so a looping fake microphone speaks
// one clip and then pauses long enough for the edge to end the turn.
export function padWav(wav: Buffer, beforeSec: number, afterSec: number): Buffer {
  if (wav.toString("ascii", 0, 4) !== "RIFF" || wav.toString("ascii", 8, 12) !== "WAVE") throw new Error("not a WAV file");
  let off = 12;
  let fmt: Buffer | undefined;
  let data: Buffer | undefined;
  while (off + 8 <= wav.length) {
    const id = wav.toString("ascii", off, off + 4);
    const size = wav.readUInt32LE(off + 4);
    const body = wav.subarray(off + 8, off + 8 + size);
    if (id === "fmt ") fmt = body;
    if (id === "data") data = body;
    off += 8 + size + (size % 2);
  }
  if (!fmt || !data) throw new Error("WAV without fmt or data chunk");
  const channels = fmt.readUInt16LE(2);
  const rate = fmt.readUInt32LE(4);
  const bits = fmt.readUInt16LE(14);
  if (fmt.readUInt16LE(0) !== 1 || bits !== 16) throw new Error("only 16-bit PCM WAV is supported");
  const frame = channels * 2;
  const pre = Buffer.alloc(Math.round(beforeSec * rate) * frame);
  const post = Buffer.alloc(Math.round(afterSec * rate) * frame);
  const pcm = Buffer.concat([pre, data, post]);
  const header = Buffer.alloc(44);
  header.write("RIFF", 0, "ascii");
  header.writeUInt32LE(36 + pcm.length, 4);
  header.write("WAVE", 8, "ascii");
  header.write("fmt ", 12, "ascii");
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(channels, 22);
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * frame, 28);
  header.writeUInt16LE(frame, 32);
  header.writeUInt16LE(16, 34);
  header.write("data", 36, "ascii");
  header.writeUInt32LE(pcm.length, 40);
  return Buffer.concat([header, pcm]);
}
