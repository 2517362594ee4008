// Follow a growing log file (Node, no vscode): what a job's terminal and its progress parser read.
// Polls (network filesystems of clusters deliver no change events), decodes UTF-8 across reads, waits
// for a file that does not exist yet (a queued Slurm job's output), starts over when the file shrinks.
import * as fs from 'fs';
import { StringDecoder } from 'string_decoder';
import { stripAnsi } from './progress';

export interface TailOptions {
  /** Start at the end of what is there (default: from the start). */
  fromEnd?: boolean;
  /** Poll interval (default 250 ms). */
  intervalMs?: number;
  /** Bytes read per poll at most (default 1 MiB: a burst is caught up over a few polls). */
  maxRead?: number;
}

export class LogTail {
  private offset = 0;
  private decoder = new StringDecoder('utf8');
  private timer: ReturnType<typeof setInterval> | undefined;
  private reading = false;
  private started = false;

  constructor(
    readonly file: string,
    private readonly onData: (text: string) => void,
    private readonly opts: TailOptions = {},
  ) {}

  start(): this {
    if (this.started) return this;
    this.started = true;
    if (this.opts.fromEnd) {
      try {
        this.offset = fs.statSync(this.file).size;
      } catch {
        this.offset = 0;
      }
    }
    this.readNow();
    this.timer = setInterval(() => this.readNow(), this.opts.intervalMs ?? 250);
    return this;
  }

  /** Read what was appended since the last read (also called by the timer). */
  readNow(): void {
    if (this.reading) return;
    this.reading = true;
    let fd: number | undefined;
    try {
      fd = fs.openSync(this.file, 'r');
      const size = fs.fstatSync(fd).size;
      if (size < this.offset) {
        // truncated or replaced: start over
        this.offset = 0;
        this.decoder = new StringDecoder('utf8');
      }
      let left = Math.min(size - this.offset, this.opts.maxRead ?? 1 << 20);
      const buf = Buffer.alloc(Math.min(left, 64 * 1024));
      while (left > 0) {
        const n = fs.readSync(fd, buf, 0, Math.min(buf.length, left), this.offset);
        if (n <= 0) break;
        this.offset += n;
        left -= n;
        const text = this.decoder.write(buf.subarray(0, n));
        if (text) this.onData(text);
      }
    } catch {
      /* not there yet */
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
      this.reading = false;
    }
  }

  /** Bytes consumed so far. */
  get position(): number {
    return this.offset;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.started) this.readNow();
    this.started = false;
  }
}

/** The last `lines` lines of a file (reads at most the last 64 KiB): the failure notification's tail. */
export function tailLines(file: string, lines: number): string[] {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const len = Math.min(size, 64 * 1024);
      const buf = Buffer.alloc(len);
      fs.readSync(fd, buf, 0, len, size - len);
      // a tqdm bar's redraws: keep what a terminal would show of each line (split first: stripAnsi also drops \r)
      const out = buf
        .toString('utf8')
        .split('\n')
        .map((l) => l.split('\r').map(stripAnsi).filter((x) => x.trim()).pop() ?? '')
        .filter((l) => l.trim() !== '');
      return out.slice(-lines);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return [];
  }
}
